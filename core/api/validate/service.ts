// ServiceSpec validation: Docker's rules (SwarmKit's controlapi and the daemon's conversions),
// plus a refusal of unknown fields, which the Engine API would silently ignore.

import { z } from 'zod';
import { ConstraintError, parseConstraint } from '../constraints.ts';
import type { ConfigReference, FileTarget, SecretReference, ServiceMode, ServiceSpec } from '../objects.ts';
import { crossCheck, labels, list, num, obj, oneOf, parseSpec, SpecError, str, strList } from './fields.ts';
import { formatBytes, formatCPUs, show } from './format.ts';

// ---- names, images, env ---------------------------------------------------------------------------

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NAME_MAX = 63;

function checkName(name: string): string | undefined {
  if (name === '') return undefined; // Docker generates one
  if (!NAME.test(name)) return `invalid name ${show(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`;
  if (name.length > NAME_MAX) return `invalid name ${show(name)}: must be at most ${NAME_MAX} characters, got ${name.length}`;
  return undefined;
}

// The image reference grammar of Docker's distribution/reference package.
const ALNUM = '[a-z0-9]+';
const PATH_COMPONENT = `${ALNUM}(?:(?:[._]|__|-+)${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
const REFERENCE_MAX = 512;
const IMAGE_REQUIRED = 'invalid image: an image is required (e.g. swarmlab/whoami:1)';

function checkImage(image: string): string | undefined {
  if (image.trim() === '') return IMAGE_REQUIRED;
  const valid = (s: string) => s.length <= REFERENCE_MAX && REFERENCE.test(s);
  if (valid(image)) return undefined;
  if (valid(image.toLowerCase())) return `invalid image ${show(image)}: repository name must be lowercase`;
  return `invalid image ${show(image)}: expected name[:tag][@digest], e.g. swarmlab/whoami:1 or registry.example.com:5000/team/app:2.1`;
}

const ENV = /^[^=\s]+(=[\s\S]*)?$/;

const checkEnv = (entry: string) => (ENV.test(entry) ? undefined : `invalid env entry ${show(entry)}: expected KEY=value or KEY`);

function checkConstraint(text: string): string | undefined {
  try {
    parseConstraint(text);
    return undefined;
  } catch (err) {
    if (err instanceof ConstraintError) return err.message;
    throw err;
  }
}

const SPREAD = /^(node|engine)\.labels\.\S+$/i;

const checkSpread = (descriptor: string) =>
  SPREAD.test(descriptor)
    ? undefined
    : `invalid spread descriptor ${show(descriptor)}: expected node.labels.<name> or engine.labels.<name>`;

// ---- the task template ------------------------------------------------------------------------------------

const duration = (thing: string) => num(thing, { kind: 'duration' });
const count = (thing: string) => num(thing, { kind: 'count' });

// ---- secrets and configs -------------------------------------------------------------------------------

const fileTarget = (kind: 'secret' | 'config') =>
  obj(
    {
      Name: str(`${kind} target`, { expected: kind === 'secret' ? 'a file name under /run/secrets' : 'a file path such as /etc/app.conf' }).optional(),
      UID: str(`${kind} file UID`).optional(),
      GID: str(`${kind} file GID`).optional(),
      Mode: num(`${kind} file mode`, { kind: 'count', max: 0o7777 }).optional(),
    },
    { thing: `${kind} file target` },
  );

function checkReference(kind: 'secret' | 'config', id: string | undefined, name: string | undefined, file: { Name?: string } | undefined, report: (m: string, p?: (string | number)[]) => void) {
  const Kind = kind === 'secret' ? 'Secret' : 'Config';
  if (!id && !name) report(`malformed ${kind} reference: give the ${kind}'s name (${Kind}Name) or ID (${Kind}ID), e.g. --${kind} my${kind}`);
  if (file && file.Name === '') {
    report(`malformed file ${kind} reference, invalid target file name provided: leave File.Name out for the default`, ['File', 'Name']);
  }
}

/** File.Name left out is '' here: the control API fills in the default, which needs the object's name. */
const fileOut = (f: { Name?: string } | undefined): FileTarget | undefined => (f ? { ...f, Name: f.Name ?? '' } : undefined);

/** A reference by SecretID and SecretName (as the docker CLI sends it), or by either one: the control API fills in the other. */
const secretReference = crossCheck(
  obj(
    { File: fileTarget('secret').optional(), SecretID: str('secret ID').optional(), SecretName: str('secret name').optional() },
    { thing: 'secret reference' },
  ),
  (r, report) => checkReference('secret', r.SecretID, r.SecretName, r.File, report),
).transform((r): SecretReference => ({ ...r, File: fileOut(r.File), SecretID: r.SecretID ?? '', SecretName: r.SecretName ?? '' }));

const configReference = crossCheck(
  obj(
    { File: fileTarget('config').optional(), ConfigID: str('config ID').optional(), ConfigName: str('config name').optional() },
    { thing: 'config reference', unsupported: ['Runtime'] },
  ),
  (r, report) => checkReference('config', r.ConfigID, r.ConfigName, r.File, report),
).transform((r): ConfigReference => ({ ...r, File: fileOut(r.File), ConfigID: r.ConfigID ?? '', ConfigName: r.ConfigName ?? '' }));

const containerSpec = obj(
  {
    Image: str('image', {
      required: IMAGE_REQUIRED,
      expected: 'an image reference such as swarmlab/whoami:1',
      check: checkImage,
    }),
    Labels: labels('container labels').optional(),
    Command: strList('command').optional(),
    Args: strList('args').optional(),
    Hostname: str('hostname').optional(),
    Env: strList('env', { item: 'env entry', expected: 'a string KEY=value or KEY', check: checkEnv }).optional(),
    Dir: str('working directory').optional(),
    User: str('user').optional(),
    StopGracePeriod: duration('stop grace period').optional(),
    StopSignal: str('stop signal').optional(),
    Secrets: list('secrets', secretReference).optional(),
    Configs: list('configs', configReference).optional(),
  },
  {
    thing: 'container spec',
    missing: {},
    unsupported: [
      'Groups',
      'Privileges',
      'Init',
      'TTY',
      'OpenStdin',
      'ReadOnly',
      'Mounts',
      'Healthcheck',
      'Hosts',
      'DNSConfig',
      'Isolation',
      'Sysctls',
      'CapabilityAdd',
      'CapabilityDrop',
      'Ulimits',
      'OomScoreAdj',
    ],
  },
);

const resourceAmounts = (what: 'limit' | 'reservation', unsupported: string[]) =>
  obj(
    {
      NanoCPUs: num(`CPU ${what}`, { kind: 'nanocpus' })
        .superRefine((v, ctx) => {
          if (v !== 0 && v < 1e6) {
            ctx.addIssue({
              code: 'custom',
              message: `invalid CPU ${what}: the minimum is 0.001 CPU (NanoCPUs 1000000), got NanoCPUs ${v}`,
            });
          }
        })
        .optional(),
      MemoryBytes: num(`memory ${what}`, { kind: 'bytes' })
        .superRefine((v, ctx) => {
          if (v !== 0 && v < MIN_MEMORY) {
            ctx.addIssue({
              code: 'custom',
              message: `invalid memory ${what}: the minimum is 4MiB (${MIN_MEMORY} bytes), got ${formatBytes(v)}`,
            });
          }
        })
        .optional(),
    },
    { thing: `resource ${what}s`, unsupported },
  );

/** SwarmKit refuses less memory than this (a limit or reservation of 0 means none). */
const MIN_MEMORY = 4 * 1024 * 1024;

const resources = crossCheck(
  obj(
    {
      Limits: resourceAmounts('limit', ['Pids']).optional(),
      Reservations: resourceAmounts('reservation', ['GenericResources']).optional(),
    },
    { thing: 'resources' },
  ),
  (r, report) => {
    const cpuLimit = r.Limits?.NanoCPUs;
    const cpu = r.Reservations?.NanoCPUs;
    if (cpu !== undefined && cpuLimit !== undefined && cpuLimit > 0 && cpu > cpuLimit) {
      report(`invalid CPU reservation: ${formatCPUs(cpu)} is more than the CPU limit of ${formatCPUs(cpuLimit)}`, [
        'Reservations',
        'NanoCPUs',
      ]);
    }
    const memLimit = r.Limits?.MemoryBytes;
    const mem = r.Reservations?.MemoryBytes;
    if (mem !== undefined && memLimit !== undefined && memLimit > 0 && mem > memLimit) {
      report(`invalid memory reservation: ${formatBytes(mem)} is more than the memory limit of ${formatBytes(memLimit)}`, [
        'Reservations',
        'MemoryBytes',
      ]);
    }
  },
);

const restartPolicy = obj(
  {
    Condition: oneOf('restart condition', ['none', 'on-failure', 'any'], { emptyIsUnset: true }).optional(),
    Delay: duration('restart delay').optional(),
    MaxAttempts: count('restart max attempts').optional(),
    Window: duration('restart window').optional(),
  },
  { thing: 'restart policy' },
);

const PREFERENCE_FORM = 'expected {"Spread": {"SpreadDescriptor": "node.labels.<name>"}}';

const placement = obj(
  {
    Constraints: strList('placement constraints', {
      item: 'constraint',
      expected: 'a string such as node.role==worker',
      check: checkConstraint,
    }).optional(),
    Preferences: list(
      'placement preferences',
      obj(
        {
          Spread: obj(
            { SpreadDescriptor: str('spread descriptor', { check: checkSpread }) },
            { thing: 'spread preference', required: `invalid placement preference: ${PREFERENCE_FORM}` },
          ),
        },
        { thing: 'placement preference' },
      ),
      `a list of ${PREFERENCE_FORM.slice('expected '.length)}`,
    ).optional(),
    MaxReplicas: count('max replicas per node').optional(),
    Platforms: list(
      'platforms',
      obj({ Architecture: str('platform architecture').optional(), OS: str('platform OS').optional() }, { thing: 'platform' }),
    ).optional(),
  },
  { thing: 'placement' },
);

const networkAttachment = obj(
  {
    Target: str('network', {
      required: 'invalid network: Target is required (a network name or ID)',
      check: (t) => (t === '' ? 'invalid network: Target is required (a network name or ID)' : undefined),
    }),
    Aliases: strList('network aliases', { item: 'network alias' }).optional(),
  },
  { thing: 'network attachment', unsupported: ['DriverOpts'] },
);

const networks = crossCheck(list('networks', networkAttachment), (attachments, report) => {
  const seen = new Set<string>();
  attachments.forEach((a, i) => {
    if (seen.has(a.Target)) report(`invalid networks: network ${show(a.Target)} is attached twice; attach each network once`, [i, 'Target']);
    seen.add(a.Target);
  });
});

const taskSpec = obj(
  {
    ContainerSpec: containerSpec,
    Resources: resources.optional(),
    RestartPolicy: restartPolicy.optional(),
    Placement: placement.optional(),
    Networks: networks.optional(),
    ForceUpdate: count('force update counter').optional(),
    Runtime: str('runtime').optional(),
  },
  { thing: 'task template', missing: {}, unsupported: ['PluginSpec', 'NetworkAttachmentSpec', 'LogDriver'] },
);

// ---- mode, updates, endpoint ------------------------------------------------------------------------------

const JOBS = 'swarmlab does not run jobs yet; use Replicated or Global';

const mode = crossCheck(
  obj(
    {
      Replicated: obj({ Replicas: count('replicas').optional() }, { thing: 'replicated mode' }).optional(),
      Global: obj({}, { thing: 'global mode' }).optional(),
    },
    {
      thing: 'mode',
      // Docker's default when a client sends no mode.
      missing: { Replicated: { Replicas: 1 } },
      refused: { ReplicatedJob: `invalid mode: ${JOBS}`, GlobalJob: `invalid mode: ${JOBS}` },
    },
  ),
  (m, report) => {
    if (m.Replicated && m.Global) report('invalid mode: choose one of Replicated or Global, got both');
    else if (!m.Replicated && !m.Global) report('invalid mode: choose one of Replicated or Global, got neither');
  },
).transform((m): ServiceMode =>
  // Docker's default for a replicated service that gives no count.
  m.Replicated ? { Replicated: { Replicas: m.Replicated.Replicas ?? 1 } } : { Global: {} },
);

const updateConfig = (kind: 'update' | 'rollback') =>
  obj(
    {
      Parallelism: count(`${kind} parallelism`).optional(),
      Delay: duration(`${kind} delay`).optional(),
      FailureAction: (kind === 'update'
        ? oneOf('update failure action', ['pause', 'continue', 'rollback'], { emptyIsUnset: true })
        : oneOf('rollback failure action', ['pause', 'continue'], { emptyIsUnset: true })
      ).optional(),
      Monitor: duration(`${kind} monitor period`).optional(),
      MaxFailureRatio: num(`${kind} max failure ratio`, { kind: 'ratio', min: 0, max: 1 }).optional(),
      Order: oneOf(`${kind} order`, ['stop-first', 'start-first'], { emptyIsUnset: true }).optional(),
    },
    { thing: `${kind} config` },
  );

const portConfig = obj(
  {
    Name: str('port name').optional(),
    Protocol: oneOf('port protocol', ['tcp', 'udp', 'sctp'], { emptyIsUnset: true }).optional(),
    TargetPort: num('target port', {
      kind: 'port',
      min: 1,
      max: 65535,
      required: 'invalid target port: required, the container port from 1 to 65535',
    }),
    PublishedPort: num('published port', { kind: 'port', min: 0, max: 65535 }).optional(),
    PublishMode: oneOf('publish mode', ['ingress', 'host'], { emptyIsUnset: true }).optional(),
  },
  { thing: 'port' },
);

const endpointSpec = crossCheck(
  obj(
    {
      Mode: oneOf('endpoint mode', ['vip', 'dnsrr'], { emptyIsUnset: true }).optional(),
      Ports: list('ports', portConfig).optional(),
    },
    { thing: 'endpoint spec' },
  ),
  (e, report) => {
    const seen = new Set<string>();
    (e.Ports ?? []).forEach((p, i) => {
      const protocol = p.Protocol ?? 'tcp';
      // As SwarmKit: the routing mesh balances through a virtual IP, which dnsrr does not have.
      if (e.Mode === 'dnsrr' && (p.PublishMode ?? 'ingress') === 'ingress') {
        report(
          `invalid endpoint spec: port published with ingress mode can't be used with dnsrr mode ` +
            `(port ${p.TargetPort}/${protocol}: set PublishMode to host, or use Mode vip)`,
          ['Ports', i, 'PublishMode'],
        );
      }
      if (!p.PublishedPort) return; // 0: allocated, never a conflict
      const key = `${p.PublishedPort}/${protocol}`;
      if (seen.has(key)) report(`invalid ports: port ${key} is published twice`, ['Ports', i, 'PublishedPort']);
      seen.add(key);
    });
  },
);

// ---- the service spec -------------------------------------------------------------------------------------

export const serviceSpecSchema = obj(
  {
    Name: str('name', { check: checkName }).optional(),
    Labels: labels('labels').optional(),
    TaskTemplate: taskSpec,
    Mode: mode,
    UpdateConfig: updateConfig('update').optional(),
    RollbackConfig: updateConfig('rollback').optional(),
    EndpointSpec: endpointSpec.optional(),
    /** Deprecated in the Engine API: moved into TaskTemplate.Networks, as Docker does. */
    Networks: networks.optional(),
  },
  { thing: 'service spec' },
);

/**
 * A service spec as the Engine API receives it (`POST /services/create`, `/services/{id}/update`),
 * validated: the typed spec, or a SpecError saying what is wrong and how to fix it. As in Docker, a
 * missing Mode or replica count means one replica, and '' or null mean "not set"; Engine API fields
 * swarmlab does not model are accepted (and dropped) only when empty, as the docker CLI sends some.
 */
export function validateServiceSpec(input: unknown): ServiceSpec {
  const { Networks: deprecated, ...spec }: z.output<typeof serviceSpecSchema> = parseSpec(serviceSpecSchema, input, {
    thing: 'service spec',
    name: 'ServiceSpec',
  });
  if (deprecated && deprecated.length > 0) {
    if (spec.TaskTemplate.Networks && spec.TaskTemplate.Networks.length > 0) {
      throw new SpecError(
        'invalid networks: give them in TaskTemplate.Networks only (the service-level Networks field is deprecated), not in both',
        'Networks',
      );
    }
    spec.TaskTemplate = { ...spec.TaskTemplate, Networks: deprecated };
  }
  return spec;
}
