// Networks, secrets and configs with the real `docker` CLI against a real swarmd: what
// `docker network|secret|config create/ls/inspect/rm` and `docker service create --network
// --secret --config --publish` do, with Docker's answers for bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER, Lab, run, waitFor, type SwarmdProcess } from './swarmd-process.ts';

const lab = new Lab();
let m1: SwarmdProcess;

beforeAll(async () => {
  m1 = await lab.node({ name: 'objects1', ip: '127.0.0.71' });
  await waitFor(async () => (await m1.docker('node', 'ls')).code === 0, 20_000, 'the new swarm answers', () => lab.logs());
});
afterAll(() => lab.cleanup());

async function ok(...args: string[]): Promise<string> {
  const r = await m1.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${lab.logs()}`);
  return r.stdout;
}

async function fails(...args: string[]): Promise<string> {
  const r = await m1.docker(...args);
  if (r.code === 0) throw new Error(`docker ${args.join(' ')} succeeded, expected a refusal: ${r.stdout}`);
  return r.stderr;
}

/** `docker ARGS` with `input` on its standard input. */
async function withStdin(input: string, ...args: string[]) {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return run('/bin/sh', ['-c', `printf '%s' "$INPUT" | ${DOCKER} ${quoted}`], { ...m1.env, INPUT: input });
}

const json = <T>(text: string): T => JSON.parse(text) as T;

describe('docker network', () => {
  it('lists the swarm\'s ingress network from the start', async () => {
    await waitFor(async () => (await ok('network', 'ls', '--format', '{{.Name}}')).includes('ingress'), 10_000, 'ingress listed', () => lab.logs());
    expect(await ok('network', 'ls', '--filter', 'name=ingress', '--format', '{{.Name}} {{.Driver}} {{.Scope}}')).toBe('ingress overlay swarm\n');
    const [ingress] = json<{ Ingress: boolean; IPAM: { Config: { Subnet: string; Gateway: string }[] } }[]>(await ok('network', 'inspect', 'ingress'));
    expect(ingress?.Ingress).toBe(true);
    expect(ingress?.IPAM.Config).toEqual([{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }]);
  });

  it('creates overlay networks, with a subnet of their own or the next free one, and inspects them', async () => {
    const id = (await ok('network', 'create', '-d', 'overlay', '--attachable', '--label', 'tier=back', 'backend')).trim();
    expect(id).toMatch(/^[0-9a-z]{25}$/);
    await ok('network', 'create', '-d', 'overlay', '--subnet', '10.77.0.0/16', '--gateway', '10.77.0.254', 'front');
    const [backend, front] = json<{ Id: string; Name: string; Driver: string; Scope: string; Attachable: boolean; Labels: Record<string, string>; IPAM: { Driver: string; Config: { Subnet: string; Gateway: string }[] }; Options: Record<string, string> }[]>(
      await ok('network', 'inspect', 'backend', 'front'),
    );
    expect(backend).toMatchObject({ Id: id, Name: 'backend', Driver: 'overlay', Scope: 'swarm', Attachable: true, Labels: { tier: 'back' } });
    expect(backend?.IPAM).toMatchObject({ Driver: 'default', Config: [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] });
    expect(backend?.Options['com.docker.network.driver.overlay.vxlanid_list']).toMatch(/^\d+$/);
    expect(front?.IPAM.Config).toEqual([{ Subnet: '10.77.0.0/16', Gateway: '10.77.0.254' }]);
    const ls = await ok('network', 'ls');
    expect(ls).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE/);
    expect(ls).toMatch(/backend\s+overlay\s+swarm/);
    expect(await ok('network', 'ls', '--filter', 'label=tier=back', '-q')).toBe(`${id.slice(0, 12)}\n`);
  });

  it('refuses the bridge driver, a taken name and an overlapping subnet, as Docker says them', async () => {
    expect(await fails('network', 'create', 'plain')).toMatch(/^Error response from daemon: invalid driver "bridge": .*-d overlay/);
    expect(await fails('network', 'create', '-d', 'overlay', 'backend')).toBe('Error response from daemon: network with name backend already exists\n');
    expect(await fails('network', 'create', '-d', 'overlay', '--subnet', '10.77.3.0/24', 'clash')).toMatch(
      /^Error response from daemon: rpc error: code = FailedPrecondition desc = invalid pool request: Pool overlaps with other one on this address space/,
    );
    // The CLI checks this one itself; the daemon's own check is in the unit tests.
    expect(await fails('network', 'create', '-d', 'overlay', '--subnet', '10.88.0.0/24', '--gateway', '10.99.0.1', 'gw')).toMatch(/gateway 10.99.0.1/);
    expect(await fails('network', 'create', '-d', 'overlay', 'host')).toBe('Error response from daemon: host is a pre-defined network and cannot be created\n');
    expect(await fails('network', 'inspect', 'nope')).toMatch(/network nope not found/);
  });
});

describe('docker secret and docker config', () => {
  it('creates a secret from stdin and from a file, lists it, inspects it without its data', async () => {
    const r = await withStdin('s3cr3t', 'secret', 'create', '--label', 'env=prod', 'db_pass', '-');
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    const file = `${m1.dir}/api-key.txt`;
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'key-123'));
    await ok('secret', 'create', 'api_key', file);
    const ls = await ok('secret', 'ls');
    expect(ls).toMatch(/^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED/);
    expect(ls).toMatch(/api_key/);
    expect(ls).toMatch(/db_pass/);
    const [secret] = json<{ ID: string; Spec: Record<string, unknown> }[]>(await ok('secret', 'inspect', 'db_pass'));
    expect(secret?.ID).toBe(id);
    expect(secret?.Spec).toEqual({ Name: 'db_pass', Labels: { env: 'prod' } });
    expect(await ok('secret', 'inspect', 'db_pass')).not.toContain(Buffer.from('s3cr3t').toString('base64'));
    expect(await fails('secret', 'create', 'db_pass', file)).toBe('Error response from daemon: rpc error: code = AlreadyExists desc = secret db_pass already exists\n');
  });

  it('creates a config and shows its data', async () => {
    const r = await withStdin('listen 80;\n', 'config', 'create', 'app_conf', '-');
    expect(r.code, r.stderr).toBe(0);
    const [config] = json<{ Spec: { Name: string; Data: string } }[]>(await ok('config', 'inspect', 'app_conf'));
    expect(config?.Spec.Name).toBe('app_conf');
    expect(Buffer.from(config!.Spec.Data, 'base64').toString()).toBe('listen 80;\n');
    expect(await ok('config', 'ls', '--format', '{{.Name}}')).toBe('app_conf\n');
  });
});

describe('docker service create with networks, secrets, configs and a published port', () => {
  it('stores the network IDs and the references, and refuses a second service on the same port', async () => {
    await ok('service', 'create', '--detach', '--name', 'web', '--network', 'backend', '--secret', 'db_pass', '--config', 'src=app_conf,target=/etc/c.conf', '--publish', '8080:80', 'swarmlab/whoami:1');
    const backendId = (await ok('network', 'inspect', '--format', '{{.Id}}', 'backend')).trim();
    const [service] = json<{ ID: string; Spec: { TaskTemplate: { Networks: { Target: string }[]; ContainerSpec: { Secrets: { SecretName: string; File: { Name: string } }[]; Configs: { ConfigName: string; File: { Name: string } }[] } }; EndpointSpec: { Ports: { PublishedPort: number; TargetPort: number }[] } } }[]>(
      await ok('service', 'inspect', 'web'),
    );
    expect(service?.Spec.TaskTemplate.Networks).toEqual([expect.objectContaining({ Target: backendId })]);
    expect(service?.Spec.TaskTemplate.ContainerSpec.Secrets).toEqual([expect.objectContaining({ SecretName: 'db_pass', File: expect.objectContaining({ Name: 'db_pass' }) })]);
    expect(service?.Spec.TaskTemplate.ContainerSpec.Configs).toEqual([expect.objectContaining({ ConfigName: 'app_conf', File: expect.objectContaining({ Name: '/etc/c.conf' }) })]);
    expect(service?.Spec.EndpointSpec.Ports).toEqual([expect.objectContaining({ PublishedPort: 8080, TargetPort: 80 })]);

    expect(await fails('service', 'create', '--detach', '--name', 'web2', '--publish', '8080:80', 'swarmlab/whoami:1')).toBe(
      `Error response from daemon: rpc error: code = InvalidArgument desc = port '8080' is already in use by service 'web' (${service!.ID}) as an ingress port\n`,
    );
    expect(await fails('service', 'create', '--detach', '--name', 'web3', '--network', 'nope', 'swarmlab/whoami:1')).toMatch(/network nope not found/);
    expect(await fails('service', 'create', '--detach', '--name', 'web4', '--network', 'ingress', 'swarmlab/whoami:1')).toMatch(
      /Service cannot be explicitly attached to the ingress network "ingress"/,
    );
  });

  it('refuses to remove what the service uses, and removes it once the service is gone', async () => {
    const webId = (await ok('service', 'inspect', '--format', '{{.ID}}', 'web')).trim();
    const backendId = (await ok('network', 'inspect', '--format', '{{.Id}}', 'backend')).trim();
    expect(await fails('network', 'rm', 'backend')).toContain(
      `Error response from daemon: rpc error: code = FailedPrecondition desc = network ${backendId} is in use by service ${webId}`,
    );
    expect(await fails('secret', 'rm', 'db_pass')).toContain(
      "Error response from daemon: rpc error: code = InvalidArgument desc = secret 'db_pass' is in use by the following service: web",
    );
    expect(await fails('config', 'rm', 'app_conf')).toContain("config 'app_conf' is in use by the following service: web");
    // The CLI asks before removing the routing mesh's network: yes.
    const rmIngress = await withStdin('y\n', 'network', 'rm', 'ingress');
    expect(rmIngress.code).not.toBe(0);
    expect(rmIngress.stderr).toContain(`ingress network cannot be removed because service ${webId} depends on it`);
    await ok('service', 'rm', 'web');
    expect(await ok('network', 'rm', 'backend', 'front')).toBe('backend\nfront\n');
    expect(await ok('secret', 'rm', 'db_pass', 'api_key')).toBe('db_pass\napi_key\n');
    expect(await ok('config', 'rm', 'app_conf')).toBe('app_conf\n');
    expect(await ok('network', 'ls', '--format', '{{.Name}}')).toBe('ingress\n');
    expect(await ok('secret', 'ls', '-q')).toBe('');
  });
});
