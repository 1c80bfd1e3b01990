// The compose loader: every bad file gets file:line:column, the path and a message that says what
// was expected; keys the docker CLI ignores are warnings in its words.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../../../main/stack/load.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'swarmlab-stack-'));
  await writeFile(path.join(dir, 'pw.txt'), 'hunter2');
  await writeFile(path.join(dir, 'web.env'), '# comment\nFROM_FILE=1\nSHARED=file\n\nBARE\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const load = (text: string, env: Record<string, string> = {}) => loadCompose(text, { source: 'stack.yml', env, dir });
const error = async (text: string, env: Record<string, string> = {}) => {
  try {
    await load(text, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('loaded without an error');
};

describe('loadCompose: bad files', () => {
  it.each([
    [
      'a wrong type, with line and column',
      'version: "3.8"\nservices:\n  web:\n    image: nginx\n    deploy:\n      replicas: three\n',
      'stack.yml:6:17: services.web.deploy.replicas: expected a whole number, got "three"',
    ],
    ['an unknown key, with a suggestion', 'services:\n  web:\n    image: nginx\n    imagee: x\n', 'stack.yml:4:5: services.web: unknown key "imagee" (did you mean "image"?)'],
    ['an unknown key in deploy', 'services:\n  web:\n    image: nginx\n    deploy:\n      replica: 2\n', 'stack.yml:5:7: services.web.deploy: unknown key "replica" (did you mean "replicas"?)'],
    ['an unknown top-level key', 'services:\n  web:\n    image: nginx\nnetwork:\n  a: {}\n', 'stack.yml:4:1: unknown key "network" (did you mean "networks"?)'],
    [
      'a bad short port',
      'services:\n  web:\n    image: nginx\n    ports:\n      - "80:80:80:80"\n',
      'stack.yml:5:9: services.web.ports[0]: expected a port such as "8080:80" (published:target), "80" or "53:53/udp", got "80:80:80:80"',
    ],
    ['a bad protocol', 'services:\n  web:\n    image: nginx\n    ports: ["53:53/xyz"]\n', 'stack.yml:4:13: services.web.ports[0]: invalid protocol "xyz" in port "53:53/xyz": expected tcp, udp or sctp'],
    ['a port out of range', 'services:\n  web:\n    image: nginx\n    ports:\n      - target: 70000\n', 'stack.yml:5:17: services.web.ports[0].target: expected a port number from 1 to 65535, got 70000'],
    [
      'a bad duration',
      'services:\n  web:\n    image: nginx\n    deploy:\n      update_config:\n        delay: 10 seconds\n',
      'stack.yml:6:16: services.web.deploy.update_config.delay: expected a duration such as 10s, 1m30s or 500ms, got "10 seconds"',
    ],
    ['a duration without unit', 'services:\n  web:\n    image: nginx\n    stop_grace_period: 10\n', 'stack.yml:4:24: services.web.stop_grace_period: expected a duration such as 10s, 1m30s or 500ms, got 10'],
    [
      'an undefined network',
      'services:\n  web:\n    image: nginx\n    networks: [front, bak]\nnetworks:\n  front: {}\n  back: {}\n',
      'stack.yml:4:23: services.web.networks[1]: undefined network "bak" (did you mean "back"? the file\'s networks are front, back)',
    ],
    [
      'an undefined secret',
      'services:\n  web:\n    image: nginx\n    secrets: [db_password]\n',
      "stack.yml:4:15: services.web.secrets[0]: undefined secret \"db_password\" (the file declares no secrets: add it under the top-level secrets)",
    ],
    ['a missing secret file', 'services:\n  web:\n    image: nginx\nsecrets:\n  pw:\n    file: ./nope.txt\n', `stack.yml:6:11: secrets.pw.file: no such file: ${'DIR'}/nope.txt`],
    ['version 2', 'version: "2.4"\nservices:\n  web:\n    image: nginx\n', 'stack.yml:1:10: version: unsupported Compose file version: 2.4 (stacks are deployed from version 3 files: "3" to "3.9", or no version)'],
    ['a forbidden key', 'services:\n  web:\n    image: nginx\n    extends: base\n', 'stack.yml:4:5: services.web: unsupported option "extends": Support for `extends` is not implemented yet.'],
    ['global with replicas', 'services:\n  web:\n    image: nginx\n    deploy: {mode: global, replicas: 2}\n', 'stack.yml:4:38: services.web.deploy.replicas: replicas can only be used with replicated mode (a global service runs one task on every node)'],
    ['a bad mode', 'services:\n  web:\n    image: nginx\n    deploy: {mode: replicated-job}\n', 'stack.yml:4:20: services.web.deploy.mode: expected replicated or global, got "replicated-job"'],
    ['a missing image', 'services:\n  web:\n    command: ls\n', 'stack.yml:3:5: services.web.image: required: an image such as swarmlab/whoami:1'],
    ['bad cpus', 'services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits: {cpus: "lots"}\n', 'stack.yml:6:24: services.web.deploy.resources.limits.cpus: expected a number of CPUs such as 0.5 or 2, got "lots"'],
    ['bad memory', 'services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits: {memory: 12XB}\n', 'stack.yml:6:26: services.web.deploy.resources.limits.memory: expected a size such as 512M or 1G, got "12XB"'],
    ['a bad interpolation', 'services:\n  web:\n    image: "nginx:${"\n', 'stack.yml:3:12: services.web.image: invalid interpolation format: "nginx:${". You may need to escape any $ with another $'],
    ['a required variable', 'services:\n  web:\n    image: "nginx:${TAG:?set TAG}"\n', 'stack.yml:3:12: services.web.image: required variable TAG is missing a value: set TAG'],
    ['a YAML syntax error', 'services:\n  web:\n    image: [nginx\n', 'stack.yml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['not a mapping', '- a\n- b\n', 'stack.yml:1:1: expected a compose file: a mapping with services (and networks, secrets, configs), got a list'],
    ['a bad restart', 'services:\n  web:\n    image: nginx\n    restart: sometimes\n', "stack.yml:4:14: services.web.restart: invalid restart policy: unknown policy 'sometimes' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')"],
  ])('%s', async (_what, text, message) => {
    expect(await error(text)).toBe(message.replace('DIR', dir));
  });

  it('reports several problems, in file order', async () => {
    const msg = await error('services:\n  web:\n    image: nginx\n    deploy:\n      replicas: -1\n  db:\n    imag: redis\n');
    expect(msg.split('\n')).toEqual([
      'stack.yml:5:17: services.web.deploy.replicas: expected a whole number, got -1',
      'stack.yml:7:5: services.db.image: required: an image such as swarmlab/whoami:1',
      'stack.yml:7:5: services.db: unknown key "imag" (did you mean "image"?)',
    ]);
  });

  it('refuses a relative file when the compose file came as text without a directory', async () => {
    await expect(loadCompose('services:\n  web: {image: nginx}\nsecrets:\n  pw: {file: pw.txt}\n', { source: 'compose file', env: {} })).rejects.toThrow(
      'compose file:4:14: secrets.pw.file: cannot read "pw.txt": the compose file was given as text, so there is no directory to find it in (pick it together with the compose file, or use an absolute path)',
    );
  });
});

describe('loadCompose: warnings', () => {
  it('reports what the docker CLI ignores, in its words, and what swarmlab does not model', async () => {
    const r = await load('services:\n  web:\n    image: nginx\n    build: .\n    links: [db]\n    container_name: x\n    volumes: [data:/data]\n    healthcheck: {test: ["CMD", "true"]}\nvolumes:\n  data: {}\n');
    expect(r.warnings).toEqual([
      'Ignoring unsupported options: build, links',
      'Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported.',
      'Ignoring options swarmlab does not model: healthcheck, volumes, volumes (top level)',
    ]);
  });

  it('says which variables were not set', async () => {
    const r = await load('services:\n  web:\n    image: nginx:$TAG\n');
    expect(r.warnings).toEqual(['The "TAG" variable is not set. Defaulting to a blank string.']);
    expect(r.stack.file.services.web!.image).toBe('nginx:');
  });
});

describe('loadCompose: values', () => {
  it('interpolates ${VAR}, ${VAR:-default}, $$ and casts numbers where docker does', async () => {
    const r = await load('version: "3.8"\nservices:\n  web:\n    image: "swarmlab/whoami:${TAG:-1}"\n    command: echo $$HOME ${WHO}\n    deploy:\n      replicas: ${REPLICAS:-2}\n    ports:\n      - target: 80\n        published: ${PORT}\n', { WHO: 'me', PORT: '8080' });
    const web = r.stack.file.services.web!;
    expect(web.image).toBe('swarmlab/whoami:1');
    expect(web.command).toEqual(['echo', '$HOME', 'me']);
    expect(web.deploy!.replicas).toBe(2);
    expect(web.ports).toEqual([{ target: 80, published: 8080 }]);
    expect(r.warnings).toEqual([]);
  });

  it('reads YAML as docker does: 0440 is octal, yes is true, 22:22 a string', async () => {
    const r = await load('services:\n  web:\n    image: nginx\n    secrets: [{source: pw, mode: 0440}]\n    environment: {A: yes, B: 22:22}\nsecrets:\n  pw: {file: pw.txt}\n');
    const web = r.stack.file.services.web!;
    expect(web.secrets).toEqual([{ source: 'pw', mode: 0o440 }]);
    expect(web.environment).toEqual({ A: 'true', B: '22:22' });
    expect(r.stack.data.secrets.pw).toBe(Buffer.from('hunter2').toString('base64'));
  });

  it('merges env_file and environment, taking bare names from the environment', async () => {
    const r = await load('services:\n  web:\n    image: nginx\n    env_file: web.env\n    environment:\n      - SHARED=compose\n      - FROM_ENV\n      - UNSET\n', { FROM_ENV: 'env', BARE: 'bare' });
    expect(r.stack.file.services.web!.environment).toEqual({ FROM_FILE: '1', SHARED: 'compose', BARE: 'bare', FROM_ENV: 'env', UNSET: null });
  });

  it('accepts extension fields (x-) and anchors with merge keys', async () => {
    const r = await load('x-common: &common\n  image: nginx\n  labels: {tier: web}\nservices:\n  web:\n    <<: *common\n    x-note: mine\n    hostname: w\n');
    expect(r.stack.file.services.web).toMatchObject({ image: 'nginx', labels: { tier: 'web' }, hostname: 'w' });
  });
});
