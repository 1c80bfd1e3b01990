// Card outlines: a manager is an octagon (cut corners), a worker a rounded rectangle, so the two
// differ by shape and not only by colour or label.

export function managerPath(w: number, h: number): string {
  const c = Math.min(12, h / 3, w / 4);
  const x = w / 2, y = h / 2;
  return `M${-x + c},${-y}H${x - c}L${x},${-y + c}V${y - c}L${x - c},${y}H${-x + c}L${-x},${y - c}V${-y + c}Z`;
}

export function workerPath(w: number, h: number): string {
  const r = 8;
  const x = w / 2, y = h / 2;
  return `M${-x + r},${-y}H${x - r}A${r},${r} 0 0 1 ${x},${-y + r}V${y - r}A${r},${r} 0 0 1 ${x - r},${y}H${-x + r}A${r},${r} 0 0 1 ${-x},${y - r}V${-y + r}A${r},${r} 0 0 1 ${-x + r},${-y}Z`;
}

/** A crown, 24 wide and 16 high, its base on y = 0. */
export const CROWN = 'M-12,0L-12,-12L-6,-6L0,-16L6,-6L12,-12L12,0Z';
