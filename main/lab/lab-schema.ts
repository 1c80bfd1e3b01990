// The lab file's schema: what a lab file may say, with the message each wrong value gets. Messages
// say what was expected and what was found; where they are (file, line, path) is added by
// lab-file.ts. Every mapping is strict, so a misspelt key is reported, with the key it resembles.

import { z } from 'zod';
import { byShape, expected, showYaml, strict } from '../../core/api/validate/yaml-words.ts';
import { oneOfList } from '../../core/api/validate/format.ts';
import { parseDuration } from '../../core/swarmctl/duration.ts';
import { shellWords } from '../../core/api/shell-words.ts';
import { DRIVERS, ISOLATIONS, MACHINE_NAME } from '../../vm/config.ts';

export const ROLES = ['manager', 'worker'] as const;
export const PROFILES = ['lab', 'swarm'] as const;
const FAILURE_ACTIONS = ['pause', 'continue', 'rollback'] as const;
const UPDATE_ORDERS = ['stop-first', 'start-first'] as const;
const RESTART_CONDITIONS = ['none', 'on-failure', 'any'] as const;
const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const PUBLISH_MODES = ['ingress', 'host'] as const;

const text = (what: string) => z.string({ error: expected(what) }).min(1, { error: `expected ${what}, got ""` });
const oneOf = <const V extends readonly [string, ...string[]]>(values: V) => z.enum(values, { error: expected(oneOfList([...values])) });
const count = (what: string, min = 0) =>
  z.number({ error: expected(what) }).int({ error: expected(what) }).min(min, { error: (iss) => `expected ${what}, got ${showYaml(iss.input)}` });

/** Go's durations ("500ms", "5s", "1h30m"), to nanoseconds. */
const duration = (minNs = 0, hint = '') =>
  z.string({ error: expected('a duration such as 500ms, 5s or 1h30m') }).transform((s, ctx) => {
    let ns: number;
    try {
      ns = parseDuration(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 5s or 1h30m, got ${showYaml(s)}` });
      return z.NEVER;
    }
    if (ns < minNs) ctx.addIssue({ code: 'custom', message: `${showYaml(s)} is too short${hint ? `: ${hint}` : ''}` });
    return ns;
  });

/** Labels and environment values are strings; a YAML number or boolean is taken as written. */
const scalarText = z.union([z.string(), z.number(), z.boolean()], { error: expected('a string') }).transform(String);
const labels = z.record(z.string(), scalarText, { error: expected('a mapping of label: value') });

export const machineSchema = strict(
  {
    name: text('a machine name such as manager1').regex(MACHINE_NAME, {
      error: (iss) => `invalid machine name ${showYaml(iss.input)}: names start with a letter or digit and hold only letters, digits, dots and hyphens`,
    }),
    role: oneOf(ROLES),
    labels: labels.optional(),
    driver: oneOf(DRIVERS).default('local'),
    isolation: oneOf(ISOLATIONS).default('process'),
  },
  'a machine',
);

/** `machines: {managers: 3, workers: 2}`: machines named manager1..3 and worker1..2. */
const machineCountsSchema = strict(
  {
    managers: count('a number of managers (1 or more)', 1),
    workers: count('a number of workers (0 or more)').default(0),
    driver: oneOf(DRIVERS).default('local'),
    isolation: oneOf(ISOLATIONS).default('process'),
  },
  'machine counts',
);

const machinesSchema = byShape('a list of machines, or a mapping such as {managers: 3, workers: 2}', {
  list: z.array(machineSchema).min(1, { error: 'a lab needs at least one machine' }),
  mapping: machineCountsSchema,
});

const clusterSchema = strict(
  {
    profile: oneOf(PROFILES).default('lab'),
    heartbeat: duration(1_000_000, 'the dispatcher heartbeat is 1ms or more').optional(),
    // 0 would mean "the default" to the API, not "keep none": refused rather than misread.
    taskHistoryLimit: count('a number of tasks (1 or more)', 1).optional(),
    certExpiry: duration(3600e9, 'node certificates last 1h or more').optional(),
  },
  'cluster settings',
);

const PORT = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/;
const port = (what: string, min: number) => count(what, min).max(65535, { error: (iss) => `expected ${what}, got ${showYaml(iss.input)}` });
const portMapping = strict(
  {
    published: port('a port number', 0).optional(),
    target: port('a port number (1-65535)', 1),
    protocol: oneOf(PROTOCOLS).optional(),
    mode: oneOf(PUBLISH_MODES).optional(),
  },
  'a published port',
);
export type PublishedPort = z.output<typeof portMapping>;

const publishEntry = byShape('a port such as "8080:80", or a mapping {published, target, protocol, mode}', {
  mapping: portMapping,
  scalar: z.union([z.string(), z.number()]).transform((v, ctx): PublishedPort => {
    const m = PORT.exec(String(v));
    const target = m ? Number(m[2]) : NaN;
    const published = m?.[1] === undefined ? undefined : Number(m[1]);
    if (!m || target < 1 || target > 65535 || (published !== undefined && published > 65535)) {
      ctx.addIssue({ code: 'custom', message: `expected a port such as "8080:80" (published:target) or "53:53/udp", got ${showYaml(v)}` });
      return z.NEVER;
    }
    return { target, ...(published !== undefined ? { published } : {}), ...(m[3] ? { protocol: m[3] as (typeof PROTOCOLS)[number] } : {}) };
  }),
});

const envSchema = byShape('a mapping of NAME: value, or a list of NAME=value', {
  mapping: z.record(z.string(), scalarText, { error: expected('a mapping of NAME: value') }).transform((r) => Object.entries(r).map(([k, v]) => `${k}=${v}`)),
  list: z.array(z.string({ error: expected('NAME=value') }).regex(/^[^=]+=/, { error: (iss) => `expected NAME=value, got ${showYaml(iss.input)}` })),
});

const commandSchema = byShape('a command: a string ("ping localhost") or a list of arguments', {
  scalar: z.string({ error: expected('a command string') }).transform((s, ctx) => {
    const words = shellWords(s);
    if (words) return words;
    ctx.addIssue({ code: 'custom', message: `unterminated quote in command ${showYaml(s)}` });
    return z.NEVER;
  }),
  list: z.array(z.union([z.string(), z.number()], { error: expected('an argument (a string)') }).transform(String)),
});

const updateSchema = strict(
  {
    parallelism: count('a number of tasks (0 for all at once)').optional(),
    delay: duration().optional(),
    failureAction: oneOf(FAILURE_ACTIONS).optional(),
    order: oneOf(UPDATE_ORDERS).optional(),
    monitor: duration().optional(),
    maxFailureRatio: z.number({ error: expected('a ratio between 0 and 1') }).min(0).max(1, { error: (iss) => `expected a ratio between 0 and 1, got ${showYaml(iss.input)}` }).optional(),
  },
  'update settings',
);

const restartSchema = strict(
  {
    condition: oneOf(RESTART_CONDITIONS).optional(),
    delay: duration().optional(),
    maxAttempts: count('a number of attempts (0: no limit)').optional(),
    window: duration().optional(),
  },
  'restart settings',
);

export const serviceSchema = strict(
  {
    name: text('a service name such as web'),
    image: text('an image from the catalog, such as swarmlab/whoami:1'),
    replicas: count('a number of replicas (0 or more)').optional(),
    mode: oneOf(['replicated', 'global']).optional(),
    publish: z.array(publishEntry, { error: expected('a list of ports such as "8080:80"') }).optional(),
    constraints: z.array(text('a constraint such as node.role == worker'), { error: expected('a list of constraints') }).optional(),
    env: envSchema.optional(),
    command: commandSchema.optional(),
    labels: labels.optional(),
    update: updateSchema.optional(),
    restart: restartSchema.optional(),
  },
  'a service',
);

export const labSchema = strict(
  {
    name: text('the lab\'s name, such as "name: mylab"').regex(MACHINE_NAME, {
      error: (iss) => `invalid lab name ${showYaml(iss.input)}: names start with a letter or digit and hold only letters, digits, dots and hyphens`,
    }),
    description: z.string({ error: expected('a string') }).optional(),
    machines: machinesSchema,
    cluster: clusterSchema.default({ profile: 'lab' }),
    services: z.array(serviceSchema, { error: expected('a list of services') }).default([]),
  },
  'a lab',
);

export type LabFileData = z.output<typeof labSchema>;
export type LabServiceData = z.output<typeof serviceSchema>;
