// The controller's boundary: every request either transport carries ({ method, params }) is checked
// here before the controller sees it, and refused with a message that names the method, the field
// and what was expected ("createService: replicas: expected a whole number ≥ 0, got -1").

import { z } from 'zod';
import { closest, oneOfList } from '../../core/api/validate/format.ts';
import { fieldPath } from '../../core/api/validate/fields.ts';
import { parseDuration } from '../../core/swarmctl/duration.ts';
import { LabError } from './errors.ts';
import { LAB_METHODS, type LabApi, type LabMethod } from './protocol.ts';

export class RequestError extends LabError {
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

/** A value as the caller sent it, after "got". */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

type Issue = { input?: unknown };
const expected = (what: string) => (iss: Issue) => (iss.input === undefined ? `required: ${what}` : `expected ${what}, got ${show(iss.input)}`);

function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const key = iss.keys[0]!;
        const hint = closest(key, known);
        return `unknown field ${JSON.stringify(key)} (${hint ? `did you mean ${JSON.stringify(hint)}?` : known.length ? `the fields are ${known.join(', ')}` : 'it takes none'})`;
      }
      return expected(known.length ? `an object with ${known.join(', ')}` : 'no parameters')(iss);
    },
  });
}

const text = (what: string, max = 1_000) =>
  z.string({ error: expected(what) }).min(1, { error: `expected ${what}, got ""` }).max(max, { error: `expected ${what} of at most ${max} characters` });
const whole = (min: number, max = Number.MAX_SAFE_INTEGER, what = 'a whole number') => {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  const msg = (iss: Issue) => `expected ${what} ${range}, got ${show(iss.input)}`;
  return z.number({ error: expected(`${what} ${range}`) }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
};
const oneOf = <const V extends readonly [string, ...string[]]>(values: V) => z.enum(values, { error: expected(oneOfList([...values])) });
const duration = z.string({ error: expected('a duration such as 500ms, 5s or 1m30s') }).refine(
  (s) => {
    try {
      return parseDuration(s) >= 0;
    } catch {
      return false;
    }
  },
  { error: (iss) => `expected a duration such as 500ms, 5s or 1m30s, got ${show(iss.input)}` },
);
const list = <T extends z.ZodType>(item: T, what: string, max = 100) =>
  z.array(item, { error: expected(what) }).max(max, { error: `expected at most ${max} entries` });

const ROLE = oneOf(['manager', 'worker']);
const AVAILABILITY = oneOf(['active', 'pause', 'drain']);
const ACTION = oneOf(['start', 'stop', 'kill', 'restart', 'pause', 'resume', 'remove']);
const none = strict({}).optional().transform(() => undefined);
const machine = text('a machine name such as worker1', 200);
const nodeId = text('a node ID', 200);
const serviceId = text('a service ID or name', 200);
const consoleId = text('a console ID', 200);
const terminal = { cols: whole(1, 1_000, 'a column count'), rows: whole(1, 1_000, 'a row count') };

const updatePolicy = strict({
  parallelism: whole(0, 1_000, 'a number of tasks (0: all at once)').optional(),
  delay: duration.optional(),
  failureAction: oneOf(['pause', 'continue', 'rollback']).optional(),
  order: oneOf(['stop-first', 'start-first']).optional(),
  monitor: duration.optional(),
});

const serviceCreate = strict({
  name: text('a service name such as web', 63),
  image: text('an image from the catalog, such as swarmlab/whoami:1', 200),
  mode: oneOf(['replicated', 'global']),
  replicas: whole(0, 10_000, 'a number').optional(),
  command: list(z.string({ error: expected('an argument (a string)') }), 'a list of arguments').optional(),
  env: list(z.string({ error: expected('NAME=value') }).regex(/^[^=]+=/, { error: (iss) => `expected NAME=value, got ${show(iss.input)}` }), 'a list of NAME=value').optional(),
  ports: list(
    strict({
      published: whole(1, 65_535, 'a port').optional(),
      target: whole(1, 65_535, 'a port'),
      protocol: oneOf(['tcp', 'udp']).optional(),
      mode: oneOf(['ingress', 'host']).optional(),
    }),
    'a list of ports',
  ).optional(),
  constraints: list(text('a constraint such as node.role == worker'), 'a list of constraints').optional(),
  restart: strict({
    condition: oneOf(['none', 'on-failure', 'any']).optional(),
    delay: duration.optional(),
    maxAttempts: whole(0, 1_000, 'a number of attempts (0: no limit)').optional(),
  }).optional(),
  update: updatePolicy.optional(),
}).superRefine((s, ctx) => {
  if (s.mode === 'global' && s.replicas !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'a global service runs one task on every node: leave replicas out, or use mode replicated' });
  }
});

const createLab = strict({ template: text('a template id such as default', 200).optional(), file: text("a lab file's path", 4_096).optional() }).superRefine((r, ctx) => {
  if ((r.template === undefined) === (r.file === undefined)) ctx.addIssue({ code: 'custom', message: 'give either template (a template id such as default) or file (the path of a lab file), not both' });
});

type Params<M extends LabMethod> = Parameters<LabApi[M]> extends [infer P] ? P : undefined;

const SCHEMAS: { [M in LabMethod]: z.ZodType<Params<M>, unknown> } = {
  templates: none,
  createLab: createLab as z.ZodType<Params<'createLab'>, unknown>,
  destroyLab: none,
  images: none,
  addMachine: strict({ role: ROLE }),
  machineAction: strict({ machine, action: ACTION }),
  partition: strict({ machine, from: list(machine, 'a list of machine names').optional() }),
  heal: strict({ machine }),
  delay: strict({ machine, ms: whole(0, 60_000, 'a delay in milliseconds'), lossPercent: z.number({ error: expected('a percentage from 0 to 100') }).min(0, { error: (i) => `expected a percentage from 0 to 100, got ${show(i.input)}` }).max(100, { error: (i) => `expected a percentage from 0 to 100, got ${show(i.input)}` }).optional() }),
  checkNodeChange: strict({ nodeId, role: ROLE.optional(), availability: AVAILABILITY.optional(), action: oneOf(['start', 'stop', 'kill', 'restart', 'pause', 'resume', 'remove', 'partition']).optional() }),
  setNodeRole: strict({ nodeId, role: ROLE }),
  setNodeAvailability: strict({ nodeId, availability: AVAILABILITY }),
  createService: serviceCreate,
  scaleService: strict({ serviceId, replicas: whole(0, 10_000, 'a number') }),
  updateService: strict({ serviceId, image: text('an image from the catalog', 200).optional(), policy: updatePolicy.optional() }),
  rollbackService: strict({ serviceId }),
  removeService: strict({ serviceId }),
  deployStack: strict({
    name: text('a stack name such as app', 50).regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, { error: (iss) => `expected a stack name (a letter or digit, then letters, digits, '_', '.' or '-'), got ${show(iss.input)}` }),
    compose: text("a compose file's text", 1 << 20),
    prune: z.boolean({ error: expected('true or false') }).optional(),
    dir: text('a directory', 4_096).optional(),
    files: z
      .record(z.string().min(1).max(1_024), z.string().max(1 << 20, { error: 'expected a file of at most 1 MiB' }), { error: expected('an object of file name: contents') })
      .optional(),
    env: z.record(z.string(), z.string({ error: expected('a string') }), { error: expected('an object of NAME: value') }).optional(),
  }),
  removeStack: strict({ name: text('a stack name such as app', 50) }),
  sendTraffic: strict({
    serviceId,
    port: whole(1, 65_535, 'a published port').optional(),
    viaNodeId: nodeId.optional(),
    count: whole(1, 1_000, 'a number of requests').optional(),
    rate: z.number({ error: expected('requests per second, from 0.1 to 50') }).min(0.1, { error: (i) => `expected requests per second, from 0.1 to 50, got ${show(i.input)}` }).max(50, { error: (i) => `expected requests per second, from 0.1 to 50, got ${show(i.input)}` }).optional(),
    path: text('a path such as /api', 1_000).regex(/^\/[^\s]*$/, { error: (iss) => `expected a path starting with /, got ${show(iss.input)}` }).optional(),
  }),
  stopTraffic: strict({ trafficId: text('a traffic run ID', 200) }),
  openLogs: strict({ serviceId, tail: whole(0, 100_000, 'a line count').optional() }),
  closeLogs: strict({ streamId: text('a log stream ID', 200) }),
  openConsole: strict({ machine, ...terminal }),
  consoleInput: strict({ consoleId, data: z.string({ error: expected('the typed text (a string)') }).max(1 << 20, { error: 'expected at most 1 MiB of input at once' }) }),
  consoleResize: strict({ consoleId, ...terminal }),
  consoleAck: strict({ consoleId, bytes: whole(0, Number.MAX_SAFE_INTEGER, 'a count') }),
  closeConsole: strict({ consoleId }),
};

export function isLabMethod(method: unknown): method is LabMethod {
  return typeof method === 'string' && (LAB_METHODS as readonly string[]).includes(method);
}

/** Checks a request's params; the error names the method and each field that is wrong. */
export function parseRequest<M extends LabMethod>(method: M, params: unknown): Params<M> {
  const r = SCHEMAS[method].safeParse(params);
  if (r.success) return r.data as Params<M>;
  const shown = r.error.issues.slice(0, 3).map((i) => {
    const where = fieldPath(i.path);
    return `${where ? `${where}: ` : ''}${i.message}`;
  });
  if (r.error.issues.length > shown.length) shown.push(`(and ${r.error.issues.length - shown.length} more)`);
  throw new RequestError(`${method}: ${shown.join('; ')}`);
}

/**
 * One request, as both transports carry it: the method checked against the API, its params
 * validated, then the call. Resolves with the method's result (undefined for most).
 */
export async function dispatch(api: LabApi, method: unknown, params: unknown): Promise<unknown> {
  if (!isLabMethod(method)) {
    const name = typeof method === 'string' ? method : show(method);
    const hint = typeof method === 'string' ? closest(method, LAB_METHODS) : undefined;
    throw new RequestError(`unknown method ${typeof method === 'string' ? JSON.stringify(name) : name}${hint ? ` (did you mean ${hint}?)` : ''}: the methods are ${LAB_METHODS.join(', ')}`);
  }
  const valid = parseRequest(method, params);
  const call = api[method] as (this: LabApi, p: unknown) => Promise<unknown>;
  return call.call(api, valid);
}
