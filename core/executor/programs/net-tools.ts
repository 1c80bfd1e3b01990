// BusyBox's network commands as the networking tutorials use them inside a container, reaching
// other services only through the task's network (ctx.net): nslookup against Docker's embedded
// DNS, wget, and a minimal curl (not in BusyBox, but in most tutorials).

import type { BuiltinProgram, ProgramContext } from '../program.ts';
import { errnoText, httpRequest, parseHttpUrl, RequestError, type HttpResponse } from './http-client.ts';

/** Docker's embedded DNS server, the only resolver a container on a swarm network has. */
export const EMBEDDED_DNS = '127.0.0.11';

// ---- nslookup ----------------------------------------------------------------------------------

export const nslookupProgram: BuiltinProgram = {
  async run(ctx) {
    const args = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
    const name = args[0];
    if (name === undefined) {
      ctx.stderr.write('BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n');
      return ctx.exit(1);
    }
    const header = `Server:\t\t${EMBEDDED_DNS}\nAddress:\t${EMBEDDED_DNS}:53\n\n`;
    let addresses: string[];
    try {
      addresses = await ctx.net.lookup(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTFOUND') {
        ctx.stdout.write(`${header}** server can't find ${name}: NXDOMAIN\n\n`);
      } else {
        ctx.stdout.write(';; connection timed out; no servers could be reached\n\n');
      }
      return ctx.exit(1);
    }
    if (addresses.length === 0) {
      ctx.stdout.write(`${header}*** Can't find ${name}: No answer\n\n`);
      return ctx.exit(1);
    }
    ctx.stdout.write(`${header}Non-authoritative answer:\n${addresses.map((a) => `Name:\t${name}\nAddress: ${a}\n`).join('')}\n`);
    ctx.exit(0);
  },
};

// ---- option parsing shared by wget and curl -----------------------------------------------------

interface OptionSpec {
  /** Short letters that take no value. */
  flags: string;
  /** Short letters that take a value (rest of the word or the next argument). */
  valued: string;
  /** Long names → the short letter they stand for (a value-taking one if that letter is valued). */
  long: Record<string, string>;
}

interface ParsedOptions {
  opts: Map<string, string[]>;
  operands: string[];
}

function parseOptions(prog: string, argv: readonly string[], spec: OptionSpec): ParsedOptions | string {
  const opts = new Map<string, string[]>();
  const add = (k: string, v = '') => opts.set(k, [...(opts.get(k) ?? []), v]);
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const letter = spec.long[name];
      if (letter === undefined) return `${prog}: unrecognized option '${a}'`;
      if (spec.valued.includes(letter)) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) return `${prog}: option '--${name}' requires an argument`;
        add(letter, v);
      } else add(letter);
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (spec.valued.includes(c)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return `${prog}: option requires an argument -- '${c}'`;
        add(c, v);
        break;
      }
      if (!spec.flags.includes(c)) return `${prog}: invalid option -- '${c}'`;
      add(c);
    }
  }
  return { opts, operands };
}

/** Seconds (a decimal number) as ms, or undefined. */
function seconds(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+(\.\d*)?$|^\.\d+$/.test(v)) return undefined;
  return Number(v) * 1000;
}

const last = (o: Map<string, string[]>, k: string) => o.get(k)?.at(-1);

function headerLines(res: HttpResponse): string[] {
  const out: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) out.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return out;
}

function extraHeaders(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of values ?? []) {
    const i = h.indexOf(':');
    if (i > 0) out[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return out;
}

// ---- wget ----------------------------------------------------------------------------------------

const WGET_USAGE =
  'BusyBox v1.36.1 multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n\nRetrieve files via HTTP or FTP\n';

const WGET_SPEC: OptionSpec = {
  flags: 'cqSs',
  valued: 'OoTUYPH',
  long: {
    quiet: 'q',
    'output-document': 'O',
    'output-file': 'o',
    timeout: 'T',
    'user-agent': 'U',
    'server-response': 'S',
    spider: 's',
    header: 'H',
    continue: 'c',
    proxy: 'Y',
    'directory-prefix': 'P',
    'no-check-certificate': 'c',
  },
};

/**
 * BusyBox wget. `-O -` writes the body to stdout; without -O (index.html) or with `-O FILE` the
 * body is saved nowhere (a task has no file system to keep it in) but the messages are wget's.
 */
export const wgetProgram: BuiltinProgram = {
  async run(ctx) {
    const parsed = parseOptions('wget', ctx.argv.slice(1), WGET_SPEC);
    if (typeof parsed === 'string') {
      ctx.stderr.write(`${parsed}\n${WGET_USAGE}`);
      return ctx.exit(1);
    }
    const { opts, operands } = parsed;
    if (operands.length === 0) {
      ctx.stderr.write(WGET_USAGE);
      return ctx.exit(1);
    }
    const quiet = opts.has('q');
    const spider = opts.has('s');
    const output = last(opts, 'O');
    const timeoutArg = last(opts, 'T');
    const timeoutMs = timeoutArg === undefined ? 900_000 : seconds(timeoutArg);
    if (timeoutMs === undefined) {
      ctx.stderr.write(`wget: invalid number '${timeoutArg}'\n`);
      return ctx.exit(1);
    }
    const say = (text: string) => {
      if (!quiet) ctx.stderr.write(`${text}\n`);
    };
    for (const operand of operands) {
      const url = parseHttpUrl(operand);
      if (typeof url === 'string') {
        ctx.stderr.write(`wget: ${url}\n`);
        return ctx.exit(1);
      }
      const file = output ?? (url.path.split('?')[0]!.split('/').pop() || 'index.html');
      let res: HttpResponse;
      try {
        res = await httpRequest(ctx, url, {
          method: spider ? 'HEAD' : 'GET',
          timeoutMs,
          headers: { 'User-Agent': last(opts, 'U') ?? 'Wget', ...extraHeaders(opts.get('H')) },
        });
      } catch (err) {
        if (ctx.exited) return;
        if (err instanceof RequestError && err.address !== undefined && err.failure === 'connect') say(`Connecting to ${url.host}${url.port === 80 ? '' : `:${url.port}`} (${err.address}:${url.port})`);
        ctx.stderr.write(`wget: ${wgetError(err)}\n`);
        return ctx.exit(1);
      }
      if (ctx.exited) return;
      say(`Connecting to ${url.host}${url.port === 80 ? '' : `:${url.port}`} (${res.address}:${url.port})`);
      if (opts.has('S')) {
        ctx.stderr.write(`  HTTP/${res.httpVersion} ${res.status} ${res.statusText}\n${headerLines(res).map((l) => `  ${l}\n`).join('')}`);
      }
      if (res.status >= 400) {
        ctx.stderr.write(`wget: server returned error: HTTP/${res.httpVersion} ${res.status} ${res.statusText}\n`);
        return ctx.exit(1);
      }
      if (spider) {
        say('remote file exists');
        continue;
      }
      const toStdout = file === '-';
      say(toStdout ? 'writing to stdout' : `saving to '${file}'`);
      if (toStdout) ctx.stdout.write(res.body);
      const size = Buffer.byteLength(res.body);
      say(`${(toStdout ? '-' : file).padEnd(20).slice(0, 20)} 100% |********************************| ${String(size).padStart(5)}  0:00:00 ETA`);
      say(toStdout ? 'written to stdout' : `'${file}' saved`);
    }
    ctx.exit(0);
  },
};

function wgetError(err: unknown): string {
  if (!(err instanceof RequestError)) return (err as Error).message;
  switch (err.failure) {
    case 'timeout':
      return 'download timed out';
    case 'protocol':
      return `error getting response: ${errnoText(err.code)}`;
    default:
      return err.message;
  }
}

// ---- curl ----------------------------------------------------------------------------------------

const CURL_SPEC: OptionSpec = {
  flags: 'sSiIfLvk',
  valued: 'omwHXAd',
  long: {
    silent: 's',
    'show-error': 'S',
    include: 'i',
    head: 'I',
    fail: 'f',
    location: 'L',
    verbose: 'v',
    insecure: 'k',
    output: 'o',
    'max-time': 'm',
    'connect-timeout': 'm',
    'write-out': 'w',
    header: 'H',
    request: 'X',
    'user-agent': 'A',
    data: 'd',
  },
};

const CURL_VERSION = '8.9.1';

/** A minimal curl: -s, -S, -i, -I, -f, -o FILE (discarded), -m SEC, -w '%{http_code}', -H, -X, -A. */
export const curlProgram: BuiltinProgram = {
  async run(ctx) {
    const parsed = parseOptions('curl', ctx.argv.slice(1), CURL_SPEC);
    if (typeof parsed === 'string') {
      ctx.stderr.write(`curl: ${parsed.replace(/^curl: /, '')}\ncurl: try 'curl --help' or 'curl --manual' for more information\n`);
      return ctx.exit(2);
    }
    const { opts, operands } = parsed;
    const showErrors = !opts.has('s') || opts.has('S');
    const fail = (code: number, text: string) => {
      if (showErrors) ctx.stderr.write(`curl: (${code}) ${text}\n`);
      ctx.exit(code);
    };
    if (operands.length === 0) {
      ctx.stderr.write("curl: try 'curl --help' or 'curl --manual' for more information\n");
      return ctx.exit(2);
    }
    const maxTime = last(opts, 'm');
    const timeoutMs = maxTime === undefined ? 300_000 : seconds(maxTime);
    if (timeoutMs === undefined) return fail(2, `option -m: expected a proper numerical parameter`);
    const method = last(opts, 'X') ?? (opts.has('I') ? 'HEAD' : 'GET');
    for (const operand of operands) {
      const url = parseHttpUrl(operand);
      if (typeof url === 'string') return fail(url.includes('not supported') ? 1 : 3, url.includes('not supported') ? `Protocol "https" not supported` : 'URL rejected: Malformed input to a URL function');
      const started = performance.now();
      let res: HttpResponse;
      try {
        res = await httpRequest(ctx, url, {
          method,
          timeoutMs,
          headers: { 'User-Agent': last(opts, 'A') ?? `curl/${CURL_VERSION}`, Accept: '*/*', ...extraHeaders(opts.get('H')) },
        });
      } catch (err) {
        if (ctx.exited) return;
        const ms = Math.round(performance.now() - started);
        if (!(err instanceof RequestError)) return fail(1, (err as Error).message);
        switch (err.failure) {
          case 'resolve':
            return fail(6, `Could not resolve host: ${url.host}`);
          case 'connect':
            return fail(7, `Failed to connect to ${url.host} port ${url.port} after ${ms} ms: ${err.code === 'ECONNREFUSED' ? "Couldn't connect to server" : errnoText(err.code)}`);
          case 'timeout':
            return fail(28, `Operation timed out after ${ms} milliseconds with 0 bytes received`);
          default:
            return fail(56, `Recv failure: ${errnoText(err.code)}`);
        }
      }
      if (ctx.exited) return;
      if (opts.has('f') && res.status >= 400) return fail(22, `The requested URL returned error: ${res.status}`);
      let text = '';
      if (opts.has('i') || opts.has('I')) text += `HTTP/${res.httpVersion} ${res.status} ${res.statusText}\n${headerLines(res).join('\n')}\n\n`;
      if (!opts.has('o') && method !== 'HEAD') text += res.body;
      const format = last(opts, 'w');
      if (format !== undefined) text += writeOut(format, res);
      ctx.stdout.write(text);
    }
    ctx.exit(0);
  },
};

function writeOut(format: string, res: HttpResponse): string {
  return format
    .replace(/%\{(\w+)\}/g, (m, name: string) => {
      switch (name) {
        case 'http_code':
        case 'response_code':
          return String(res.status).padStart(3, '0');
        case 'remote_ip':
          return res.address;
        case 'size_download':
          return String(Buffer.byteLength(res.body));
        default:
          return m;
      }
    })
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t');
}

// ---- cat -----------------------------------------------------------------------------------------

/**
 * BusyBox cat of the files mounted into the task (secrets under /run/secrets, configs): the
 * secrets tutorial's `cat /run/secrets/NAME`. A task has no other files to show.
 */
export const catProgram: BuiltinProgram = {
  accepts: (argv) => argv.length > 1 && argv.slice(1).every((a) => a.startsWith('/')),
  run(ctx: ProgramContext) {
    let code = 0;
    for (const path of ctx.argv.slice(1)) {
      const data = ctx.readFile(path);
      if (data === undefined) {
        ctx.stderr.write(`cat: can't open '${path}': No such file or directory\n`);
        code = 1;
        continue;
      }
      ctx.stdout.write(data.toString('utf8'));
    }
    ctx.exit(code);
  },
};
