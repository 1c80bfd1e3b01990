// Go's text/tabwriter, as SwarmKit's swarmctl formats its tables and summaries with it: cells end
// at a tab, a column's width is its widest cell plus padding, and a column block ends at the first
// line without a cell in that column (so "Status:\t" lines share the key column of "ID\t: x").
// Only the options swarmctl uses: space padding, left alignment, no flags.

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
}

interface Cell {
  text: string;
  width: number;
}

/** Widths in runes, as Go counts them (utf8.RuneCount). */
const runeWidth = (s: string) => [...s].length;

export function tabwrite(text: string, opts: TabwriterOptions): string {
  const source = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (source === '') return text;
  const lines: Cell[][] = source.split('\n').map((l) => l.split('\t').map((c) => ({ text: c, width: runeWidth(c) })));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i]!;
      let s = '';
      line.forEach((c, j) => {
        s += c.text;
        if (j < widths.length) s += ' '.repeat(Math.max(0, widths[j]! - c.width));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(start, i);
      start = i;
      let width = opts.minwidth;
      for (; i < line1; i++) {
        const line = lines[i]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + opts.padding);
      }
      widths.push(width);
      format(start, i);
      widths.pop();
      // Line i has no cell here (or is line1): the loop's increment may step over it.
      start = i;
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (text.endsWith('\n') ? '\n' : '');
}

/** SwarmKit's common.PrintHeader: the column names, then each underlined with dashes. */
export function header(...columns: string[]): string {
  return `${columns.join('\t')}\n${columns.map((c) => '-'.repeat(c.length)).join('\t')}\n`;
}

/** The two layouts swarmctl uses: tables (lists) and key/value summaries (inspect). */
export const TABLE: TabwriterOptions = { minwidth: 0, padding: 2 };
export const SUMMARY: TabwriterOptions = { minwidth: 8, padding: 8 };
export const TASK_TABLE: TabwriterOptions = { minwidth: 4, padding: 4 };
