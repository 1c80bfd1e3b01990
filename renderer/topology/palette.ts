// Colours that colour-blind viewers can tell apart: Okabe & Ito's eight, then Paul Tol's muted
// set. Node state never relies on colour alone (borders, hatching and icons say it too).

const SERVICE_COLORS = [
  '#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7',
  '#88CCEE', '#44AA99', '#DDCC77', '#AA4499', '#999933', '#882255', '#117733', '#332288',
];

export function serviceColor(colorIndex: number): string {
  return SERVICE_COLORS[((colorIndex % SERVICE_COLORS.length) + SERVICE_COLORS.length) % SERVICE_COLORS.length]!;
}
