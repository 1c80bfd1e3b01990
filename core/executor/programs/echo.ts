// BusyBox echo: -n (no newline), -e (backslash escapes), -E (none, the default).

import type { BuiltinProgram } from '../program.ts';

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

export const echoProgram: BuiltinProgram = {
  run(ctx) {
    let args = ctx.argv.slice(1);
    let newline = true;
    let escapes = false;
    // As in BusyBox, only a word made of known option letters is an option; "-x" is printed.
    while (args.length > 0 && /^-[neE]+$/.test(args[0]!)) {
      for (const c of args[0]!.slice(1)) {
        if (c === 'n') newline = false;
        else escapes = c === 'e';
      }
      args = args.slice(1);
    }
    let text = args.join(' ');
    if (escapes) {
      const cut = text.indexOf('\\c');
      if (cut >= 0) {
        text = text.slice(0, cut);
        newline = false;
      }
      text = text.replace(/\\(0[0-7]{0,3}|[abfnrtv\\])/g, (_m, e: string) =>
        e.startsWith('0') ? String.fromCharCode(parseInt(e.slice(1) || '0', 8)) : ESCAPES[e]!,
      );
    }
    ctx.stdout.write(newline ? `${text}\n` : text);
    ctx.exit(0);
  },
};
