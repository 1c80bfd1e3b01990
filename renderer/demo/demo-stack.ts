// `docker stack deploy` on the pretend cluster: the YAML read with the same parser the controller
// uses, a few of its checks (services, images from the catalog, ports, replicas, networks), errors
// as `compose file:LINE:COLUMN: path: message` lines, then services named STACK_NAME on networks
// named STACK_NET (a default one when a service names none). Loaded on demand: only the demo needs it.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { ServiceCreateRequest, StackDeployRequest, StackDeployResult } from '../../main/lab/protocol.ts';
import type { FakeCluster } from './fake-cluster.ts';

const SOURCE = 'compose file';

class ComposeProblems extends Error {}

export function deployDemoStack(c: FakeCluster, req: StackDeployRequest, images: string[]): StackDeployResult {
  const lines = new LineCounter();
  const doc = parseDocument(req.compose, { lineCounter: lines, prettyErrors: false });
  const problems: string[] = [];
  const at = (node: YamlNode | null | undefined, path: string, message: string) => {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = lines.linePos(offset);
    problems.push(`${SOURCE}:${line}:${col}: ${path ? `${path}: ` : ''}${message}`);
  };
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    problems.push(`${SOURCE}:${line}:${col}: ${e.message.split('\n')[0]}`);
  }
  if (problems.length) throw new ComposeProblems(problems.join('\n'));
  const root = doc.contents;
  if (!isMap(root)) {
    at(root, '', 'expected a mapping with services');
    throw new ComposeProblems(problems.join('\n'));
  }
  const services = root.get('services', true) as YamlNode | undefined;
  if (!isMap(services) || services.items.length === 0) {
    at(services ?? root, 'services', 'expected at least one service');
    throw new ComposeProblems(problems.join('\n'));
  }
  const wanted: { req: ServiceCreateRequest; networks: string[] }[] = [];
  const warnings: string[] = [];
  for (const item of services.items) {
    const name = isScalar(item.key) ? String(item.key.value) : '?';
    const s = item.value as YamlNode | null;
    const path = `services.${name}`;
    if (!isMap(s)) {
      at(s ?? (item.key as YamlNode), path, 'expected a mapping');
      continue;
    }
    const image = s.get('image', true) as YamlNode | undefined;
    const imageName = isScalar(image) ? String(image.value) : undefined;
    if (!imageName) at(s, path, 'image: required (an image from the catalog, such as swarmlab/whoami:1)');
    else if (!images.includes(imageName)) at(image, `${path}.image`, `image ${JSON.stringify(imageName)} is not in the catalog (it has ${images.join(', ')})`);
    for (const key of s.items) {
      const k = isScalar(key.key) ? String(key.key.value) : '';
      if (k === 'build') warnings.push(`Ignoring unsupported options: build`);
    }
    const deploy = s.get('deploy', true) as YamlNode | undefined;
    let replicas = 1;
    let mode: 'replicated' | 'global' = 'replicated';
    if (isMap(deploy)) {
      const r = deploy.get('replicas', true) as YamlNode | undefined;
      if (r !== undefined) {
        if (isScalar(r) && typeof r.value === 'number' && Number.isInteger(r.value) && r.value >= 0) replicas = r.value;
        else at(r, `${path}.deploy.replicas`, `expected a whole number ≥ 0, got ${JSON.stringify(isScalar(r) ? r.value : 'a list')}`);
      }
      const m = deploy.get('mode', true) as YamlNode | undefined;
      if (isScalar(m)) {
        if (m.value === 'global' || m.value === 'replicated') mode = m.value;
        else at(m, `${path}.deploy.mode`, `expected "replicated" or "global", got ${JSON.stringify(m.value)}`);
      }
    }
    const ports: NonNullable<ServiceCreateRequest['ports']> = [];
    const p = s.get('ports', true) as YamlNode | undefined;
    if (p !== undefined) {
      if (!isSeq(p)) at(p, `${path}.ports`, 'expected a list of ports such as "8080:80"');
      else
        for (const [i, entry] of p.items.entries()) {
          const text = isScalar(entry) ? String(entry.value) : '';
          const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
          if (!m || Number(m[2]) > 65535 || Number(m[1] ?? 1) > 65535) {
            at(entry as YamlNode, `${path}.ports[${i}]`, `expected PUBLISHED:TARGET such as "8080:80", got ${JSON.stringify(text || 'a mapping')}`);
            continue;
          }
          ports.push({ target: Number(m[2]), ...(m[1] ? { published: Number(m[1]) } : {}), ...(m[3] ? { protocol: m[3] as 'tcp' | 'udp' } : {}) });
        }
    }
    const networks: string[] = [];
    const n = s.get('networks', true) as YamlNode | undefined;
    if (isSeq(n)) for (const x of n.items) if (isScalar(x)) networks.push(String(x.value));
    if (isMap(n)) for (const x of n.items) if (isScalar(x.key)) networks.push(String(x.key.value));
    wanted.push({
      req: { name: `${req.name}_${name}`, image: imageName ?? '', mode, ...(mode === 'replicated' ? { replicas } : {}), ...(ports.length ? { ports } : {}) },
      networks: (networks.length ? networks : ['default']).map((x) => `${req.name}_${x}`),
    });
  }
  if (problems.length) throw new ComposeProblems(problems.join('\n'));
  const out: string[] = [];
  for (const name of new Set(wanted.flatMap((w) => w.networks))) {
    if (c.networkByName(name)) continue;
    out.push(`Creating network ${name}`);
    c.addNetwork(name, { stack: req.name });
  }
  for (const w of wanted) {
    const existing = [...c.services.values()].find((s) => s.name === w.req.name);
    if (existing) {
      out.push(`Updating service ${w.req.name} (id: ${existing.id})`);
      continue;
    }
    out.push(`Creating service ${w.req.name}`);
    c.createService(w.req, { networks: w.networks.map((x) => x), stack: req.name });
  }
  c.note('service', 'info', `Stack ${req.name} deployed (${out.length} step${out.length === 1 ? '' : 's'})`);
  return { lines: out, warnings };
}
