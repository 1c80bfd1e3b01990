// The size of a node's card and where each task dot sits in it. Every card has the same size (the
// busiest node decides), so the graph stays tidy and a dot's cell depends only on its rank.

export const COLS = 10;
export const CELL = 13;
export const DOT_RADIUS = 4.6;
export const HEADER = 34;
const PAD_X = 10;
const PAD_BOTTOM = 10;

export interface CardSize {
  w: number;
  h: number;
  rows: number;
}

export function cardSize(maxDots: number): CardSize {
  const rows = Math.max(1, Math.ceil(maxDots / COLS));
  return { w: COLS * CELL + 2 * PAD_X + 16, h: HEADER + rows * CELL + PAD_BOTTOM, rows };
}

/** Offset of the index-th dot from the card's centre. */
export function cellOffset(index: number, size: CardSize): { dx: number; dy: number } {
  const col = index % COLS;
  const row = Math.floor(index / COLS);
  return {
    dx: -size.w / 2 + PAD_X + 8 + col * CELL + CELL / 2,
    dy: -size.h / 2 + HEADER + row * CELL + CELL / 2,
  };
}
