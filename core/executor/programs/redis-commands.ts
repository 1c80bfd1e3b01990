// The Redis commands the tutorials use, on one in-memory keyspace of strings with expiry, with
// Redis's own replies and error messages.

import type { Reply } from './resp.ts';

const OK: Reply = { simple: 'OK' };
const NOT_INTEGER: Reply = { error: 'ERR value is not an integer or out of range' };
const SYNTAX: Reply = { error: 'ERR syntax error' };
const arity = (cmd: string): Reply => ({ error: `ERR wrong number of arguments for '${cmd}' command` });

interface Value {
  data: Buffer;
  /** ms since the epoch; undefined: no expiry. */
  expiresAt?: number;
}

/** Command name → its argument count, name included, as Redis writes arity: N exactly, or -N for at least N. */
const ARITY: Record<string, number> = {
  ping: -1, echo: 2, set: -3, get: 2, getset: 3, mget: -2, mset: -3, del: -2, exists: -2, incr: 2, decr: 2,
  incrby: 3, decrby: 3, append: 3, strlen: 2, keys: 2, dbsize: 1, flushall: -1, flushdb: -1, expire: 3,
  ttl: 2, pttl: 2, persist: 2, type: 2, select: 2, quit: 1, command: -1, info: -1, client: -2,
};

export const REDIS_VERSION = '7.2.5';

export class RedisKeyspace {
  private readonly keys = new Map<string, Value>();

  constructor(private readonly now: () => number) {}

  /** Runs one command; "quit" means: reply OK, then close the connection. */
  execute(args: readonly Buffer[]): { reply: Reply; quit?: boolean } {
    const name = args[0]?.toString().toLowerCase() ?? '';
    const a = args.slice(1).map((b) => b.toString());
    const expected = ARITY[name];
    if (expected === undefined) {
      const shown = a.slice(0, 10).map((x) => `'${x}' `).join('');
      return { reply: { error: `ERR unknown command '${args[0]?.toString() ?? ''}', with args beginning with: ${shown}` } };
    }
    if ((expected > 0 && args.length !== expected) || (expected < 0 && args.length < -expected)) return { reply: arity(name) };
    if (name === 'quit') return { reply: OK, quit: true };
    return { reply: this.run(name, a, args.slice(1)) };
  }

  private run(name: string, a: string[], raw: Buffer[]): Reply {
    switch (name) {
      case 'ping':
        return a.length === 0 ? { simple: 'PONG' } : a.length === 1 ? raw[0]! : arity(name);
      case 'echo':
        return raw[0]!;
      case 'set':
        return this.set(a[0]!, raw[1]!, a.slice(2));
      case 'get':
        return this.get(a[0]!)?.data ?? null;
      case 'getset': {
        const old = this.get(a[0]!)?.data ?? null;
        this.keys.set(a[0]!, { data: raw[1]! });
        return old;
      }
      case 'mget':
        return a.map((k) => this.get(k)?.data ?? null);
      case 'mset':
        if (a.length % 2 !== 0) return arity(name);
        for (let i = 0; i < a.length; i += 2) this.keys.set(a[i]!, { data: raw[i + 1]! });
        return OK;
      case 'del':
        return a.filter((k) => this.get(k) !== undefined && this.keys.delete(k)).length;
      case 'exists':
        return a.filter((k) => this.get(k) !== undefined).length;
      case 'incr':
        return this.incrBy(a[0]!, 1);
      case 'decr':
        return this.incrBy(a[0]!, -1);
      case 'incrby':
      case 'decrby': {
        const by = toInteger(a[1]!);
        if (by === undefined) return NOT_INTEGER;
        return this.incrBy(a[0]!, name === 'incrby' ? by : -by);
      }
      case 'append': {
        const v = this.get(a[0]!);
        const data = Buffer.concat([v?.data ?? Buffer.alloc(0), raw[1]!]);
        this.keys.set(a[0]!, { ...v, data });
        return data.length;
      }
      case 'strlen':
        return this.get(a[0]!)?.data.length ?? 0;
      case 'keys': {
        const re = globToRegExp(a[0]!);
        return [...this.keys.keys()].filter((k) => this.get(k) !== undefined && re.test(k));
      }
      case 'dbsize':
        return [...this.keys.keys()].filter((k) => this.get(k) !== undefined).length;
      case 'flushall':
      case 'flushdb':
        this.keys.clear();
        return OK;
      case 'expire': {
        const secs = toInteger(a[1]!);
        if (secs === undefined) return NOT_INTEGER;
        const v = this.get(a[0]!);
        if (!v) return 0;
        if (secs <= 0) this.keys.delete(a[0]!);
        else v.expiresAt = this.now() + secs * 1000;
        return 1;
      }
      case 'ttl':
      case 'pttl': {
        const v = this.get(a[0]!);
        if (!v) return -2;
        if (v.expiresAt === undefined) return -1;
        const ms = v.expiresAt - this.now();
        return name === 'ttl' ? Math.round(ms / 1000) : ms;
      }
      case 'persist': {
        const v = this.get(a[0]!);
        if (!v || v.expiresAt === undefined) return 0;
        delete v.expiresAt;
        return 1;
      }
      case 'type':
        return { simple: this.get(a[0]!) ? 'string' : 'none' };
      case 'select':
        return a[0] === '0' ? OK : { error: 'ERR DB index is out of range' };
      case 'command':
        // redis-cli asks for command docs to show hints; it copes with none.
        return [];
      case 'info':
        return `# Server\r\nredis_version:${REDIS_VERSION}\r\nredis_mode:standalone\r\nswarmlab_stand_in:yes\r\n\r\n# Keyspace\r\ndb0:keys=${this.keys.size},expires=0,avg_ttl=0\r\n`;
      case 'client':
        return OK;
      default:
        return { error: `ERR unknown command '${name}'` };
    }
  }

  private get(key: string): Value | undefined {
    const v = this.keys.get(key);
    if (v?.expiresAt !== undefined && v.expiresAt <= this.now()) {
      this.keys.delete(key);
      return undefined;
    }
    return v;
  }

  private set(key: string, data: Buffer, opts: string[]): Reply {
    let expiresAt: number | undefined;
    let keepTtl = false;
    let condition: 'nx' | 'xx' | undefined;
    let returnOld = false;
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i]!.toLowerCase();
      if (o === 'nx' || o === 'xx') {
        if (condition) return SYNTAX;
        condition = o;
      } else if (o === 'get') returnOld = true;
      else if (o === 'keepttl') keepTtl = true;
      else if (o === 'ex' || o === 'px') {
        const n = opts[i + 1] === undefined ? undefined : toInteger(opts[++i]!);
        if (n === undefined) return opts[i] === undefined ? SYNTAX : NOT_INTEGER;
        if (n <= 0 || expiresAt !== undefined) return { error: "ERR invalid expire time in 'set' command" };
        expiresAt = this.now() + (o === 'ex' ? n * 1000 : n);
      } else return SYNTAX;
    }
    const old = this.get(key);
    const reply: Reply = returnOld ? (old?.data ?? null) : OK;
    if ((condition === 'nx' && old) || (condition === 'xx' && !old)) return returnOld ? reply : null;
    if (keepTtl && old?.expiresAt !== undefined) expiresAt = old.expiresAt;
    this.keys.set(key, { data, ...(expiresAt !== undefined ? { expiresAt } : {}) });
    return reply;
  }

  private incrBy(key: string, by: number): Reply {
    const v = this.get(key);
    const current = v ? toInteger(v.data.toString()) : 0;
    if (current === undefined) return NOT_INTEGER;
    const next = current + by;
    if (!Number.isSafeInteger(next)) return { error: 'ERR increment or decrement would overflow' };
    this.keys.set(key, { ...v, data: Buffer.from(String(next)) });
    return next;
  }
}

function toInteger(s: string): number | undefined {
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Redis's glob: * ? [set] [^set] and \ to escape. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]!);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let set = glob.slice(i + 1, end);
        const negate = set.startsWith('^');
        if (negate) set = set.slice(1);
        re += `[${negate ? '^' : ''}${set.replace(/[\\\]]/g, '\\$&')}]`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
