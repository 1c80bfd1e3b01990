// A small but real subset of BusyBox sh for `sh -c SCRIPT`, so that a service's command can loop
// over the built-in network commands (`while true; do wget -qO- http://api; sleep 1; done`): the
// host's shell would run the host's wget, which knows nothing of the swarm's names.
//
// The subset: commands separated by `;` or newlines, `&&`, `||`, `!`, `while`/`until LIST; do
// LIST; done`, `for NAME in WORDS; do LIST; done`, `if LIST; then LIST; [elif...] [else LIST;] fi`,
// 'single' and "double" quotes, backslash escapes, $VAR, ${VAR}, ${VAR:-default}, $?, $0-$9,
// NAME=value (alone, or before a command), export, exit, break, continue, `:`, and the image's
// built-in commands (echo, sleep, true, false, ping, wget, curl, nslookup, cat, hostname). A
// command it does not have fails as in sh: `sh: X: not found`, exit 127.
//
// Which `sh -c` runs here: a script in the subset that uses a command only the swarm's network or
// the task's mounted files can answer (wget, curl, nslookup, ping, cat). Any other script (a pipe,
// a redirection, `trap`, `exec`, `&`, or plain `sleep 1000`) runs as a real shell, as before.
//
// Like the real sh as a container's PID 1, it has no signal handlers: `docker stop`'s SIGTERM does
// nothing and the task is killed after the grace period (exit 137).

import type { BuiltinProgram, ProgramContext, TaskNetwork } from '../program.ts';
import type { Timer } from '../../clock.ts';
import { echoProgram } from './echo.ts';
import { falseProgram, trueProgram } from './exit-status.ts';
import { catProgram, curlProgram, nslookupProgram, wgetProgram } from './net-tools.ts';
import { pingProgram } from './ping.ts';
import { sleepProgram } from './sleep.ts';

// ---- syntax ----------------------------------------------------------------------------------------

type Segment = { text: string; quoted: boolean } | { variable: string; quoted: boolean; fallback?: Word };
type Word = Segment[];

type Token = { kind: 'word'; word: Word } | { kind: 'op'; op: ';' | '&&' | '||' | '\n' };

export type Command =
  | { type: 'simple'; assignments: { name: string; value: Word }[]; words: Word[] }
  | { type: 'loop'; until: boolean; condition: Sequence; body: Sequence }
  | { type: 'for'; name: string; items: Word[]; body: Sequence }
  | { type: 'if'; branches: { condition: Sequence; body: Sequence }[]; otherwise?: Sequence };

/** Commands joined by && and ||; `negate` is a leading `!`. */
export interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
}
interface Pipeline {
  negate: boolean;
  command: Command;
}
export type Sequence = AndOr[];

export class ShellSyntaxError extends Error {}

const RESERVED = new Set(['while', 'until', 'for', 'do', 'done', 'if', 'then', 'elif', 'else', 'fi', '!', 'in', '{', '}', 'case', 'esac', 'function', 'select']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const unsupported = (what: string) => new ShellSyntaxError(`unsupported: ${what}`);
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      if (src[i + 1] === ';') throw unsupported(';;');
      tokens.push({ kind: 'op', op: c });
      i++;
      continue;
    }
    if (c === '&' || c === '|') {
      if (src[i + 1] !== c) throw unsupported(c === '&' ? 'background jobs (&)' : 'pipes (|)');
      tokens.push({ kind: 'op', op: c === '&' ? '&&' : '||' });
      i += 2;
      continue;
    }
    if ('<>()`'.includes(c)) throw unsupported(c);
    const [word, next] = readWord(src, i, false);
    tokens.push({ kind: 'word', word });
    i = next;
  }
  return tokens;
}

/** Reads a word from `i`; inside ${VAR:-...} (`inBrace`) it ends at the closing brace. */
function readWord(src: string, start: number, inBrace: boolean): [Word, number] {
  const word: Word = [];
  let i = start;
  const lit = (text: string, quoted: boolean) => {
    const prev = word.at(-1);
    if (prev && 'text' in prev && prev.quoted === quoted) prev.text += text;
    else word.push({ text, quoted });
  };
  const ends = (c: string) => (inBrace ? c === '}' : ' \t\n;&|<>()'.includes(c));
  while (i < src.length && !ends(src[i]!)) {
    const c = src[i]!;
    if (c === '`') throw new ShellSyntaxError('unsupported: `');
    if (c === '\\') {
      if (i + 1 < src.length) lit(src[i + 1]!, true);
      i += 2;
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('unterminated quoted string');
      word.push({ text: src.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < src.length) {
        const d = src[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '`') throw new ShellSyntaxError('unsupported: `');
        if (d === '\\' && i + 1 < src.length && '$`"\\\n'.includes(src[i + 1]!)) {
          if (src[i + 1] !== '\n') lit(src[i + 1]!, true);
          i += 2;
        } else if (d === '$') {
          i = readDollar(src, i, true, word, lit);
        } else {
          lit(d, true);
          i++;
        }
      }
      if (!closed) throw new ShellSyntaxError('unterminated quoted string');
      // "" is an (empty) word of its own
      if (word.length === 0) word.push({ text: '', quoted: true });
    } else if (c === '$') {
      i = readDollar(src, i, false, word, lit);
    } else {
      lit(c, false);
      i++;
    }
  }
  return [word, i];
}

function readDollar(src: string, i: number, quoted: boolean, word: Word, lit: (t: string, q: boolean) => void): number {
  const next = src[i + 1] ?? '';
  if (next === '(') throw new ShellSyntaxError('unsupported: $(...)');
  if (next === '{') {
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9?#$])(:-|\})/.exec(src.slice(i));
    if (!m) throw new ShellSyntaxError('unsupported: ${...}');
    if (m[2] === '}') {
      word.push({ variable: m[1]!, quoted });
      return i + m[0].length;
    }
    const [fallback, end] = readWord(src, i + m[0].length, true);
    if (src[end] !== '}') throw new ShellSyntaxError('missing }');
    word.push({ variable: m[1]!, quoted, fallback });
    return end + 1;
  }
  const m = /^\$([A-Za-z_][A-Za-z0-9_]*|[0-9?#$])/.exec(src.slice(i));
  if (!m) {
    lit('$', quoted);
    return i + 1;
  }
  word.push({ variable: m[1]!, quoted });
  return i + m[0].length;
}

/** A word that is plain unquoted text: a reserved word, a command name. */
function plain(word: Word): string | undefined {
  return word.length === 1 && 'text' in word[0]! && !word[0].quoted ? word[0].text : undefined;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseScript(): Sequence {
    const seq = this.sequence(new Set());
    if (this.pos < this.tokens.length) throw new ShellSyntaxError(`syntax error: unexpected "${this.describe(this.tokens[this.pos]!)}"`);
    return seq;
  }

  private describe(t: Token): string {
    return t.kind === 'op' ? (t.op === '\n' ? 'newline' : t.op) : (plain(t.word) ?? 'word');
  }

  private peekReserved(): string | undefined {
    const t = this.tokens[this.pos];
    if (t?.kind !== 'word') return undefined;
    const p = plain(t.word);
    return p !== undefined && RESERVED.has(p) ? p : undefined;
  }

  private skipSeparators(): void {
    while (this.tokens[this.pos]?.kind === 'op' && ['\n', ';'].includes((this.tokens[this.pos] as { op: string }).op)) this.pos++;
  }

  /** And-or lists until EOF or one of the `stop` reserved words at a command's start. */
  private sequence(stop: Set<string>): Sequence {
    const seq: Sequence = [];
    for (;;) {
      this.skipNewlines();
      const t = this.tokens[this.pos];
      if (!t) break;
      const r = this.peekReserved();
      if (r !== undefined && stop.has(r)) break;
      if (t.kind === 'op') throw new ShellSyntaxError(`syntax error: unexpected "${this.describe(t)}"`);
      seq.push(this.andOr());
      const sep = this.tokens[this.pos];
      if (!sep) break;
      if (sep.kind === 'op' && (sep.op === ';' || sep.op === '\n')) {
        this.pos++;
        continue;
      }
      const r2 = this.peekReserved();
      if (r2 !== undefined && stop.has(r2)) break;
      throw new ShellSyntaxError(`syntax error: unexpected "${this.describe(sep)}"`);
    }
    return seq;
  }

  private skipNewlines(): void {
    while (this.tokens[this.pos]?.kind === 'op' && (this.tokens[this.pos] as { op: string }).op === '\n') this.pos++;
  }

  private andOr(): AndOr {
    const first = this.pipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      const t = this.tokens[this.pos];
      if (t?.kind !== 'op' || (t.op !== '&&' && t.op !== '||')) break;
      this.pos++;
      this.skipNewlines();
      rest.push({ op: t.op, pipeline: this.pipeline() });
    }
    return { first, rest };
  }

  private pipeline(): Pipeline {
    let negate = false;
    if (this.peekReserved() === '!') {
      negate = true;
      this.pos++;
    }
    return { negate, command: this.command() };
  }

  private expect(word: string): void {
    this.skipSeparators();
    if (this.peekReserved() !== word) {
      const t = this.tokens[this.pos];
      throw new ShellSyntaxError(`syntax error: unexpected ${t ? `"${this.describe(t)}"` : 'end of file'} (expecting "${word}")`);
    }
    this.pos++;
  }

  private command(): Command {
    const r = this.peekReserved();
    if (r === 'while' || r === 'until') {
      this.pos++;
      const condition = this.nonEmpty(this.sequence(new Set(['do'])));
      this.expect('do');
      const body = this.nonEmpty(this.sequence(new Set(['done'])));
      this.expect('done');
      return { type: 'loop', until: r === 'until', condition, body };
    }
    if (r === 'for') {
      this.pos++;
      const t = this.tokens[this.pos];
      const name = t?.kind === 'word' ? plain(t.word) : undefined;
      if (name === undefined || !NAME.test(name)) throw new ShellSyntaxError('syntax error: bad for loop variable');
      this.pos++;
      this.skipNewlines();
      const items: Word[] = [];
      if (this.peekReserved() === 'in') {
        this.pos++;
        for (let w = this.tokens[this.pos]; w?.kind === 'word'; w = this.tokens[this.pos]) {
          items.push(w.word);
          this.pos++;
        }
      } else throw new ShellSyntaxError('unsupported: for without "in"');
      this.expect('do');
      const body = this.nonEmpty(this.sequence(new Set(['done'])));
      this.expect('done');
      return { type: 'for', name, items, body };
    }
    if (r === 'if') {
      this.pos++;
      const branches: { condition: Sequence; body: Sequence }[] = [];
      let otherwise: Sequence | undefined;
      for (;;) {
        const condition = this.nonEmpty(this.sequence(new Set(['then'])));
        this.expect('then');
        const body = this.nonEmpty(this.sequence(new Set(['elif', 'else', 'fi'])));
        branches.push({ condition, body });
        const next = this.peekReserved();
        this.pos++;
        if (next === 'elif') continue;
        if (next === 'else') {
          otherwise = this.nonEmpty(this.sequence(new Set(['fi'])));
          this.expect('fi');
        } else if (next !== 'fi') throw new ShellSyntaxError('syntax error: unexpected end of file (expecting "fi")');
        break;
      }
      return { type: 'if', branches, ...(otherwise ? { otherwise } : {}) };
    }
    if (r !== undefined) throw new ShellSyntaxError(r === '{' || r === '}' || r === 'case' || r === 'function' || r === 'select' ? `unsupported: ${r}` : `syntax error: unexpected "${r}"`);
    const assignments: { name: string; value: Word }[] = [];
    const words: Word[] = [];
    for (let t = this.tokens[this.pos]; t?.kind === 'word'; t = this.tokens[this.pos]) {
      const a = words.length === 0 ? assignment(t.word) : undefined;
      if (a) assignments.push(a);
      else words.push(t.word);
      this.pos++;
    }
    return { type: 'simple', assignments, words };
  }

  private nonEmpty(seq: Sequence): Sequence {
    if (seq.length === 0) {
      const t = this.tokens[this.pos];
      throw new ShellSyntaxError(`syntax error: unexpected ${t ? `"${this.describe(t)}"` : 'end of file'}`);
    }
    return seq;
  }
}

/** NAME=value at a command's start. */
function assignment(word: Word): { name: string; value: Word } | undefined {
  const first = word[0];
  if (!first || !('text' in first) || first.quoted) return undefined;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
  if (!m) return undefined;
  const rest = first.text.slice(m[0].length);
  return { name: m[1]!, value: [...(rest ? [{ text: rest, quoted: false }] : []), ...word.slice(1)] };
}

export function parseScript(src: string): Sequence {
  return new Parser(tokenize(src)).parseScript();
}

/** The command names a script runs, where they are written plainly. */
function commandNames(seq: Sequence, out = new Set<string>()): Set<string> {
  const visit = (c: Command) => {
    switch (c.type) {
      case 'simple': {
        const name = c.words[0] && plain(c.words[0]);
        if (name !== undefined) out.add(name.slice(name.lastIndexOf('/') + 1));
        break;
      }
      case 'loop':
        commandNames(c.condition, out);
        commandNames(c.body, out);
        break;
      case 'for':
        commandNames(c.body, out);
        break;
      case 'if':
        for (const b of c.branches) {
          commandNames(b.condition, out);
          commandNames(b.body, out);
        }
        if (c.otherwise) commandNames(c.otherwise, out);
    }
  };
  for (const ao of seq) {
    visit(ao.first.command);
    for (const r of ao.rest) visit(r.pipeline.command);
  }
  return out;
}

// ---- commands --------------------------------------------------------------------------------------

/** The image's commands the shell can run. */
export const SHELL_COMMANDS: ReadonlyMap<string, BuiltinProgram> = new Map([
  ['echo', echoProgram],
  ['sleep', sleepProgram],
  ['true', trueProgram],
  ['false', falseProgram],
  ['ping', pingProgram],
  ['wget', wgetProgram],
  ['curl', curlProgram],
  ['nslookup', nslookupProgram],
  ['cat', catProgram],
  ['hostname', { run: (ctx) => (ctx.stdout.write(`${ctx.identity.hostname}\n`), ctx.exit(0)) }],
]);

/** Commands only the swarm's network or the task's mounted files can answer. */
const NEEDS_THE_TASK = ['wget', 'curl', 'nslookup', 'ping', 'cat'];

/** Whether `sh ARGV` runs here: see the top of this file. */
export function shellAccepts(argv: readonly string[]): boolean {
  if (argv.length === 1) return true;
  if (argv[1] !== '-c' || argv[2] === undefined) return false;
  try {
    const names = commandNames(parseScript(argv[2]));
    return NEEDS_THE_TASK.some((n) => names.has(n));
  } catch {
    return false;
  }
}

/**
 * `sh` alone reads commands from stdin, which a container started without -i does not have: it
 * sees end of input and exits 0 at once, which is why `alpine` alone does nothing. `sh -c SCRIPT`
 * runs the script (see the top of this file).
 */
export const shellProgram: BuiltinProgram = {
  accepts: shellAccepts,
  async run(ctx) {
    if (ctx.argv.length === 1) return ctx.exit(0);
    if (ctx.argv[1] !== '-c' || ctx.argv[2] === undefined) {
      ctx.stderr.write('sh: -c requires an argument\n');
      return ctx.exit(2);
    }
    let script: Sequence;
    try {
      script = parseScript(ctx.argv[2]);
    } catch (err) {
      ctx.stderr.write(`sh: ${(err as Error).message}\n`);
      return ctx.exit(2);
    }
    const shell = new Shell(ctx, SHELL_COMMANDS, [ctx.argv[3] ?? 'sh', ...ctx.argv.slice(4)]);
    const code = await shell.run(script);
    if (!ctx.exited) ctx.exit(code);
  },
};

class ExitSignal {
  constructor(readonly code: number) {}
}
class LoopControl {
  constructor(readonly kind: 'break' | 'continue') {}
}
/** The process ended (killed) while the script ran. */
class Ended {}

/** Loop iterations between yields to the event loop (a loop of instant commands must not hog it). */
const YIELD_EVERY = 64;

export class Shell {
  private status = 0;
  private readonly vars = new Map<string, string>();
  private readonly exported = new Set<string>();
  private iterations = 0;

  constructor(
    private readonly ctx: ProgramContext,
    private readonly commands: ReadonlyMap<string, BuiltinProgram>,
    private readonly positional: readonly string[],
  ) {
    for (const [k, v] of Object.entries(ctx.env)) {
      this.vars.set(k, v);
      this.exported.add(k);
    }
  }

  /** Runs the script; its exit status (the last command's, or exit's). */
  async run(script: Sequence): Promise<number> {
    try {
      await this.sequence(script);
    } catch (err) {
      if (err instanceof ExitSignal) return err.code;
      if (err instanceof Ended) return 137;
      if (err instanceof LoopControl) return this.status;
      throw err;
    }
    return this.status;
  }

  private async sequence(seq: Sequence): Promise<void> {
    for (const ao of seq) await this.andOr(ao);
  }

  private async andOr(ao: AndOr): Promise<void> {
    await this.pipeline(ao.first);
    for (const { op, pipeline } of ao.rest) {
      if ((op === '&&') === (this.status === 0)) await this.pipeline(pipeline);
    }
  }

  private async pipeline(p: Pipeline): Promise<void> {
    await this.command(p.command);
    if (p.negate) this.status = this.status === 0 ? 1 : 0;
  }

  private async command(c: Command): Promise<void> {
    switch (c.type) {
      case 'simple':
        return this.simple(c);
      case 'loop': {
        let last = 0;
        for (;;) {
          await this.sequence(c.condition);
          if ((this.status === 0) === c.until) break;
          const stop = await this.loopBody(c.body);
          last = this.status;
          if (stop) break;
        }
        this.status = last;
        return;
      }
      case 'for': {
        const items = c.items.flatMap((w) => this.expand(w));
        let last = 0;
        for (const item of items) {
          this.vars.set(c.name, item);
          const stop = await this.loopBody(c.body);
          last = this.status;
          if (stop) break;
        }
        this.status = last;
        return;
      }
      case 'if': {
        for (const b of c.branches) {
          await this.sequence(b.condition);
          if (this.status === 0) return this.sequence(b.body);
        }
        if (c.otherwise) return this.sequence(c.otherwise);
        this.status = 0;
      }
    }
  }

  /** One iteration; true when `break` ends the loop. */
  private async loopBody(body: Sequence): Promise<boolean> {
    if (++this.iterations % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    if (this.ctx.exited) throw new Ended();
    try {
      await this.sequence(body);
    } catch (err) {
      if (err instanceof LoopControl) return err.kind === 'break';
      throw err;
    }
    return false;
  }

  private lookup(name: string): string | undefined {
    if (name === '?') return String(this.status);
    if (name === '$') return '1';
    if (name === '#') return String(Math.max(0, this.positional.length - 1));
    if (/^\d$/.test(name)) return this.positional[Number(name)];
    return this.vars.get(name);
  }

  /** A word's fields: variables substituted, unquoted substitutions split on blanks. */
  private expand(word: Word): string[] {
    const fields: string[] = [];
    let current: string | undefined;
    const append = (s: string) => (current = (current ?? '') + s);
    for (const seg of word) {
      if ('text' in seg) {
        append(seg.text);
        continue;
      }
      let value = this.lookup(seg.variable);
      if ((value === undefined || value === '') && seg.fallback) value = this.expand(seg.fallback).join(' ');
      value ??= '';
      if (seg.quoted) {
        append(value);
        continue;
      }
      const parts = value.split(/[ \t\n]+/);
      parts.forEach((part, i) => {
        if (i > 0 && current !== undefined) {
          fields.push(current);
          current = undefined;
        }
        if (part !== '') append(part);
      });
    }
    if (current !== undefined) fields.push(current);
    return fields;
  }

  private async simple(c: Extract<Command, { type: 'simple' }>): Promise<void> {
    if (this.ctx.exited) throw new Ended();
    const assigned = c.assignments.map((a) => [a.name, this.expand(a.value).join(' ')] as const);
    const argv = c.words.flatMap((w) => this.expand(w));
    if (argv.length === 0) {
      for (const [k, v] of assigned) this.vars.set(k, v);
      this.status = 0;
      return;
    }
    const name = argv[0]!;
    switch (name) {
      case ':':
        this.status = 0;
        return;
      case 'exit': {
        const n = argv[1] === undefined ? this.status : Number(argv[1]);
        if (!Number.isInteger(n)) {
          this.ctx.stderr.write(`sh: exit: Illegal number: ${argv[1]}\n`);
          throw new ExitSignal(2);
        }
        throw new ExitSignal(n & 255);
      }
      case 'break':
      case 'continue':
        throw new LoopControl(name);
      case 'export':
        for (const a of argv.slice(1)) {
          const eq = a.indexOf('=');
          const k = eq < 0 ? a : a.slice(0, eq);
          if (eq >= 0) this.vars.set(k, a.slice(eq + 1));
          this.exported.add(k);
        }
        this.status = 0;
        return;
    }
    const program = this.commands.get(name.slice(name.lastIndexOf('/') + 1));
    if (!program) {
      this.ctx.stderr.write(`sh: ${name}: not found\n`);
      this.status = 127;
      return;
    }
    const env: Record<string, string> = {};
    for (const k of this.exported) {
      const v = this.vars.get(k);
      if (v !== undefined) env[k] = v;
    }
    for (const [k, v] of assigned) env[k] = v;
    this.status = await runChild(this.ctx, program, argv, env);
    if (this.ctx.exited) throw new Ended();
  }
}

/**
 * Runs a built-in program as the shell's child: its own argv, environment and exit code; output,
 * network, files and the clock are the task's; whatever it holds is released when it exits (or when
 * the task ends). Signals reach the shell (PID 1) only, as in a container.
 */
export function runChild(parent: ProgramContext, program: BuiltinProgram, argv: readonly string[], env: Readonly<Record<string, string>>): Promise<number> {
  return new Promise<number>((resolve) => {
    let done = false;
    const holds = new Set<() => void>();
    let untieParent = () => {};
    const end = (code: number) => {
      if (done) return;
      done = true;
      untieParent();
      for (const release of holds) {
        try {
          release();
        } catch {
          // best effort, as for the task itself
        }
      }
      holds.clear();
      resolve(code);
    };
    untieParent = parent.hold(() => end(137));
    const hold = (release: () => void) => {
      if (done) {
        release();
        return () => {};
      }
      holds.add(release);
      return () => void holds.delete(release);
    };
    const name = argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1);
    const crash = (err: unknown) => {
      if (done) return;
      parent.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      end(1);
    };
    const timer = (kind: 'setTimeout' | 'setInterval', fn: () => void, ms: number): Timer => {
      let untie = () => {};
      const t = parent[kind](() => {
        if (kind === 'setTimeout') untie();
        if (done) return;
        try {
          fn();
        } catch (err) {
          crash(err);
        }
      }, ms);
      untie = hold(() => t.cancel());
      return {
        cancel: () => {
          untie();
          t.cancel();
        },
      };
    };
    const net: TaskNetwork = {
      addresses: parent.net.addresses,
      lookup: (host) => parent.net.lookup(host),
      connect: async (host, port) => {
        const socket = await parent.net.connect(host, port);
        if (done) {
          socket.destroy();
          throw Object.assign(new Error('the process has exited'), { code: 'ECONNABORTED' });
        }
        const untie = hold(() => socket.destroy());
        socket.once('close', untie);
        return socket;
      },
    };
    const ctx: ProgramContext = {
      argv,
      env,
      options: parent.options,
      identity: parent.identity,
      clock: parent.clock,
      stdout: { write: (text) => void (done || parent.stdout.write(text)) },
      stderr: { write: (text) => void (done || parent.stderr.write(text)) },
      onSignal: () => {},
      exit: end,
      get exited() {
        return done || parent.exited;
      },
      hold,
      setTimeout: (fn, ms) => timer('setTimeout', fn, ms),
      setInterval: (fn, ms) => timer('setInterval', fn, ms),
      listen: async (server, port) => {
        const address = await parent.listen(server, port);
        hold(() => server.close());
        return address;
      },
      net,
      readFile: (path) => parent.readFile(path),
    };
    try {
      const running = program.run(ctx);
      if (running) running.catch(crash);
    } catch (err) {
      crash(err);
    }
  });
}
