// Columns as Go's tabwriter lays them out for docker-machine ls (minimum width 5, padding 3).

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(5, ...all.map((r) => (r[i] ?? '').length + 3)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('').trimEnd() + '\n').join('');
}
