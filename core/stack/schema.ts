// The compose file (format 3.x) as `docker stack deploy` reads it, as a strict zod schema: every
// mapping refuses keys it does not know (with the key it resembles), and every value says what was
// expected and what was found. Where a problem is (file, line, column) is added by the loader
// (main/stack/load.ts). Shapes that compose allows two ways (a list or a mapping, a short string or
// a long mapping) are normalised here to one, as docker/cli's loader does before converting.
//
// Keys compose knows but the docker CLI ignores (build, links, ...), refuses (extends, ...) or that
// swarmlab does not model (volumes, healthcheck, ...) are taken out before this schema sees them
// (see ./properties.ts).

import { z } from 'zod';
import { byShape, expected, showYaml, strict } from '../api/validate/yaml-words.ts';
import { oneOfList } from '../api/validate/format.ts';
import { shellWords } from '../api/shell-words.ts';
import { parseDuration } from '../swarmctl/duration.ts';

const text = (what: string) => z.string({ error: expected(what) }).min(1, { error: `expected ${what}, got ""` });
const oneOf = <const V extends readonly [string, ...string[]]>(values: V) => z.enum(values, { error: expected(oneOfList([...values])) });
const whole = (what: string, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: expected(what) })
    .int({ error: expected(what) })
    .min(0, { error: (iss) => `expected ${what}, got ${showYaml(iss.input)}` })
    .max(max, { error: (iss) => `expected ${what}, got ${showYaml(iss.input)}` });
const bool = z.boolean({ error: expected('true or false') });

/** Go's durations ("500ms", "10s", "1m30s"), to nanoseconds. */
const duration = z.string({ error: expected('a duration such as 10s, 1m30s or 500ms') }).transform((s, ctx) => {
  try {
    const ns = parseDuration(s);
    if (ns >= 0) return ns;
  } catch {
    /* reported below */
  }
  ctx.addIssue({ code: 'custom', message: `expected a duration such as 10s, 1m30s or 500ms, got ${showYaml(s)}` });
  return z.NEVER;
});

/** Strings; a YAML number or boolean is taken as written (as Go's fmt.Sprint would print it). */
const scalarText = z.union([z.string(), z.number(), z.boolean()], { error: expected('a string') }).transform(String);

/** `{a: b}` or `["a=b", "c"]` (labels: a missing value is ""). */
const labels = byShape('a mapping of label: value, or a list of label=value', {
  mapping: z.record(z.string(), scalarText.nullable().transform((v) => v ?? ''), { error: expected('a mapping of label: value') }),
  list: z.array(z.string({ error: expected('label=value') }), { error: expected('a list of label=value') }).transform((l) => Object.fromEntries(l.map((e) => splitPair(e, '=', '')))),
});

function splitPair<D>(entry: string, sep: string, missing: D): [string, string | D] {
  const i = entry.indexOf(sep);
  return i < 0 ? [entry, missing] : [entry.slice(0, i), entry.slice(i + sep.length)];
}

/** `{A: b, B: null}` or `["A=b", "B"]`: a variable without a value is taken from the environment (null here). */
const environment = byShape('a mapping of NAME: value, or a list of NAME=value', {
  mapping: z.record(z.string(), scalarText.nullable(), { error: expected('a mapping of NAME: value') }),
  list: z.array(z.string({ error: expected('NAME=value') }).min(1, { error: 'expected NAME=value, got ""' }), { error: expected('a list of NAME=value') }).transform((l) => Object.fromEntries(l.map((e) => splitPair(e, '=', null)))),
});

/** A string (split as a shell would) or a list of arguments. */
const shellCommand = byShape('a command: a string ("ping localhost") or a list of arguments', {
  scalar: z.string({ error: expected('a command string') }).transform((s, ctx) => {
    const words = shellWords(s);
    if (words) return words;
    ctx.addIssue({ code: 'custom', message: `unterminated quote in command ${showYaml(s)}` });
    return z.NEVER;
  }),
  list: z.array(z.union([z.string(), z.number()], { error: expected('an argument (a string)') }).transform(String)),
});

const stringList = (what: string) =>
  byShape(`${what}: a string or a list of strings`, {
    scalar: z.string().transform((s) => [s]),
    list: z.array(text(what)),
  });

// ---- ports ------------------------------------------------------------------------------------------

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export interface PortEntry {
  target: number;
  published?: number;
  protocol?: (typeof PROTOCOLS)[number];
  mode?: 'ingress' | 'host';
}

const portNumber = (what: string, min: number) =>
  z
    .number({ error: expected(what) })
    .int({ error: expected(what) })
    .min(min, { error: (iss) => `expected ${what}, got ${showYaml(iss.input)}` })
    .max(65535, { error: (iss) => `expected ${what}, got ${showYaml(iss.input)}` });

const longPort = strict(
  {
    target: portNumber('a port number from 1 to 65535', 1),
    published: portNumber('a port number from 0 to 65535', 0).optional(),
    protocol: oneOf(PROTOCOLS).optional(),
    mode: oneOf(['ingress', 'host']).optional(),
  },
  'a port',
);

const SHORT_PORT = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):)?(?:(\d+)(?:-(\d+))?:)?(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/;

/**
 * "80", "8080:80", "8080:80/udp", "127.0.0.1:8080:80", "8000-8001:80-81": what docker's nat.ParsePortSpecs
 * and opts.ConvertPortToPortConfig make of it: tcp and ingress unless said, unpublished ports as 0.
 */
export function parseShortPort(spec: string): PortEntry[] | string {
  const bad = `expected a port such as "8080:80" (published:target), "80" or "53:53/udp", got ${showYaml(spec)}`;
  const m = SHORT_PORT.exec(spec);
  if (!m) return bad;
  const [, , , hostStart, hostEnd, start, end, proto] = m;
  const protocol = (proto ?? 'tcp').toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) return `invalid protocol ${JSON.stringify(proto)} in port ${JSON.stringify(spec)}: expected ${oneOfList([...PROTOCOLS])}`;
  const range = (a: string, b: string | undefined): [number, number] | undefined => {
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    return lo > 65535 || hi > 65535 || hi < lo ? undefined : [lo, hi];
  };
  const targets = range(start!, end);
  if (!targets || targets[0] < 1) return `invalid port ${JSON.stringify(spec)}: the target port goes from 1 to 65535`;
  const hosts = hostStart === undefined ? undefined : range(hostStart, hostEnd);
  if (hostStart !== undefined && !hosts) return `invalid port ${JSON.stringify(spec)}: the published port goes from 0 to 65535`;
  const nTargets = targets[1] - targets[0] + 1;
  const nHosts = hosts ? hosts[1] - hosts[0] + 1 : 1;
  if (hosts && nTargets > 1 && nTargets !== nHosts) return `invalid port range ${JSON.stringify(spec)}: the published and target ranges differ in length`;
  const out: PortEntry[] = [];
  const p = protocol as PortEntry['protocol'];
  if (nTargets === 1) {
    // One target, maybe a range of published ports: one entry each (ConvertPortToPortConfig).
    for (let h = hosts ? hosts[0] : 0; h <= (hosts ? hosts[1] : 0); h++) out.push({ target: targets[0], published: h, protocol: p, mode: 'ingress' });
  } else {
    for (let i = 0; i < nTargets; i++) out.push({ target: targets[0] + i, published: hosts ? hosts[0] + i : 0, protocol: p, mode: 'ingress' });
  }
  return out;
}

const portEntry = byShape('a port such as "8080:80", or a mapping {target, published, protocol, mode}', {
  mapping: longPort.transform((p): PortEntry[] => [p as PortEntry]),
  scalar: z.union([z.string(), z.number()], { error: expected('a port such as "8080:80"') }).transform((v, ctx): PortEntry[] => {
    const r = parseShortPort(String(v));
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r });
      return z.NEVER;
    }
    return r;
  }),
});

const ports = z.array(portEntry, { error: expected('a list of ports such as "8080:80"') }).transform((l) => l.flat());

// ---- deploy -----------------------------------------------------------------------------------------

/** docker's opts.ParseCPUs: a decimal number of CPUs, to NanoCPUs (refused if finer than a nano-CPU). */
export function parseCPUs(v: string | number): number | string {
  const s = String(v).trim();
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || s === '' || s === '.') return `expected a number of CPUs such as 0.5 or 2, got ${showYaml(v)}`;
  const frac = m[2] ?? '';
  if (frac.replace(/0+$/, '').length > 9) return `invalid number of CPUs ${showYaml(v)}: value is too precise (at most 9 decimals)`;
  return Number(BigInt(m[1] || '0') * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9)));
}

/** docker's units.RAMInBytes: "512m", "1g", "300M", "1.5GiB", or a number of bytes. */
export function parseBytes(v: string | number): number | string {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : `expected a size such as 512M or 1G, got ${v}`;
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v.trim());
  if (!m) return `expected a size such as 512M or 1G, got ${showYaml(v)}`;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? '').toLowerCase() as '' | 'k'];
  return Math.trunc(Number(m[1]) * mult);
}

const cpus = z.union([z.string(), z.number()], { error: expected('a number of CPUs such as 0.5 or 2') }).transform((v, ctx) => {
  const r = parseCPUs(v);
  if (typeof r === 'string') {
    ctx.addIssue({ code: 'custom', message: r });
    return z.NEVER;
  }
  return r;
});

const bytes = z.union([z.string(), z.number()], { error: expected('a size such as 512M or 1G') }).transform((v, ctx) => {
  const r = parseBytes(v);
  if (typeof r === 'string') {
    ctx.addIssue({ code: 'custom', message: r });
    return z.NEVER;
  }
  return r;
});

const resource = (what: string) => strict({ cpus: cpus.optional(), memory: bytes.optional() }, what);

const updateConfig = (what: string, actions: readonly [string, ...string[]]) =>
  strict(
    {
      parallelism: whole('a number of tasks (0: all at once)').optional(),
      delay: duration.optional(),
      failure_action: oneOf(actions).optional(),
      monitor: duration.optional(),
      max_failure_ratio: z
        .number({ error: expected('a ratio from 0 to 1') })
        .min(0, { error: (iss) => `expected a ratio from 0 to 1, got ${showYaml(iss.input)}` })
        .max(1, { error: (iss) => `expected a ratio from 0 to 1, got ${showYaml(iss.input)}` })
        .optional(),
      order: oneOf(['stop-first', 'start-first']).optional(),
    },
    what,
  );

const deploy = strict(
  {
    mode: oneOf(['replicated', 'global']).optional(),
    replicas: whole('a whole number').optional(),
    labels: labels.optional(),
    update_config: updateConfig('update settings', ['continue', 'rollback', 'pause']).optional(),
    rollback_config: updateConfig('rollback settings', ['continue', 'pause']).optional(),
    restart_policy: strict(
      {
        condition: oneOf(['none', 'on-failure', 'any']).optional(),
        delay: duration.optional(),
        max_attempts: whole('a number of attempts (0: no limit)').optional(),
        window: duration.optional(),
      },
      'a restart policy',
    ).optional(),
    resources: strict({ limits: resource('resource limits').optional(), reservations: resource('resource reservations').optional() }, 'resources').optional(),
    placement: strict(
      {
        constraints: z.array(text('a constraint such as node.role == worker'), { error: expected('a list of constraints') }).optional(),
        preferences: z.array(strict({ spread: text('a spread descriptor such as node.labels.zone') }, 'a placement preference'), { error: expected('a list of preferences such as {spread: node.labels.zone}') }).optional(),
        max_replicas_per_node: whole('a whole number').optional(),
      },
      'placement',
    ).optional(),
    endpoint_mode: z
      .string({ error: expected('vip or dnsrr') })
      .transform((s) => s.toLowerCase())
      .pipe(oneOf(['vip', 'dnsrr']))
      .optional(),
  },
  'deploy settings',
);

// ---- secrets, configs, networks of a service --------------------------------------------------------

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

const fileReference = (what: string) =>
  byShape(`a ${what} name, or a mapping {source, target, uid, gid, mode}`, {
    scalar: text(`a ${what} name`).transform((source): FileReference => ({ source })),
    mapping: strict(
      {
        source: text(`the ${what}'s name in the file's ${what}s`),
        target: text('a file name').optional(),
        uid: scalarText.optional(),
        gid: scalarText.optional(),
        mode: whole('a file mode such as 0440').optional(),
      },
      `a ${what} reference`,
    ),
  });

const serviceNetworks = byShape('a list of network names, or a mapping of network: {aliases}', {
  list: z.array(text('a network name'), { error: expected('a list of network names') }).transform((l) => Object.fromEntries(l.map((n) => [n, null] as [string, ServiceNetwork | null]))),
  mapping: z.record(
    z.string(),
    byShape('a mapping {aliases}, or nothing', {
      nothing: null,
      mapping: strict({ aliases: z.array(text('an alias'), { error: expected('a list of aliases') }).optional(), ipv4_address: z.string().optional(), ipv6_address: z.string().optional() }, 'a network attachment'),
    }),
  ),
});
export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
}

// ---- services ---------------------------------------------------------------------------------------

export const serviceSchema = strict(
  {
    image: text('an image such as swarmlab/whoami:1'),
    command: shellCommand.optional(),
    entrypoint: shellCommand.optional(),
    environment: environment.optional(),
    env_file: stringList('an env file path').optional(),
    ports: ports.optional(),
    networks: serviceNetworks.optional(),
    deploy: deploy.optional(),
    labels: labels.optional(),
    hostname: z.string({ error: expected('a hostname') }).optional(),
    user: z.string({ error: expected('a user') }).optional(),
    working_dir: z.string({ error: expected('a directory') }).optional(),
    stop_grace_period: duration.optional(),
    stop_signal: text('a signal such as SIGTERM').optional(),
    secrets: z.array(fileReference('secret'), { error: expected('a list of secrets') }).optional(),
    configs: z.array(fileReference('config'), { error: expected('a list of configs') }).optional(),
    /** Ignored by the docker CLI with a warning, but used when deploy.restart_policy is not set. */
    restart: z.string({ error: expected('no, always, on-failure or unless-stopped') }).optional(),
  },
  'a service',
);

// ---- top level --------------------------------------------------------------------------------------

/** `external: true`, or the old `external: {name: x}`. */
const external = byShape('true or false (or {name: NAME})', {
  scalar: bool.transform((e): { external: boolean; name?: string } => ({ external: e })),
  mapping: strict({ name: text('a name').optional() }, 'an external reference').transform((e) => ({ external: true, ...(e.name !== undefined ? { name: e.name } : {}) })),
});

const networkSchema = strict(
  {
    driver: text('a network driver such as overlay').optional(),
    driver_opts: z.record(z.string(), scalarText, { error: expected('a mapping of option: value') }).optional(),
    ipam: strict(
      {
        driver: text('an IPAM driver').optional(),
        config: z.array(strict({ subnet: text('a subnet such as 10.0.9.0/24') }, 'an IPAM pool'), { error: expected('a list of {subnet}') }).optional(),
      },
      'IPAM settings',
    ).optional(),
    external: external.optional(),
    internal: bool.optional(),
    attachable: bool.optional(),
    labels: labels.optional(),
    name: text('a network name').optional(),
  },
  'a network',
);

const fileObject = (what: string) =>
  strict(
    {
      file: text('a file path, relative to the compose file').optional(),
      external: external.optional(),
      name: text(`a ${what} name`).optional(),
      labels: labels.optional(),
    },
    `a ${what}`,
  );

const mapOf = <T extends z.ZodType>(item: T, what: string) => z.record(z.string(), item, { error: expected(`a mapping of ${what}`) });

export const composeSchema = strict(
  {
    version: z.union([z.string(), z.number()], { error: expected('a version such as "3.8"') }).transform(String).optional(),
    services: mapOf(serviceSchema, 'service name: service'),
    networks: mapOf(byShape('a network (a mapping), or nothing', { nothing: {} as z.output<typeof networkSchema>, mapping: networkSchema }), 'network name: network').optional(),
    secrets: mapOf(fileObject('secret'), 'secret name: secret').optional(),
    configs: mapOf(fileObject('config'), 'config name: config').optional(),
  },
  'a compose file',
);

export type ComposeFile = z.output<typeof composeSchema>;
export type ComposeService = z.output<typeof serviceSchema>;
export type ComposeNetwork = z.output<typeof networkSchema>;
export type ComposeFileObject = z.output<ReturnType<typeof fileObject>>;
