// What Docker decides when it creates a container, done at prepare time so a bad spec rejects the
// task as a failed create would: the command, the environment, the hostname, the stop signal.

import { arch, platform } from 'node:os';
import type { TaskObject } from '../api/objects.ts';
import { ExecutorError } from '../agent/executor.ts';
import type { CatalogImage } from './catalog.ts';
import { commandLine } from './command.ts';
import { containerEnv, swarmlabEnv } from './environment.ts';
import type { TaskIdentity } from './program.ts';
import { parseSignal, type SignalName } from './signals.ts';
import { expandTemplate, type TemplateContext } from './template.ts';

export interface NodeInfo {
  id: string;
  hostname: string;
}

export interface ContainerConfig {
  identity: TaskIdentity;
  argv: string[];
  env: string[];
  stopSignal: SignalName;
}

export function containerConfig(task: TaskObject, image: CatalogImage, node: NodeInfo, containerId: string): ContainerConfig {
  const spec = task.Spec.ContainerSpec;
  const argv = commandLine(spec, image);
  if (argv.length === 0) throw new ExecutorError('No command specified');
  const stopSignalSpec = spec.StopSignal ?? image.stopSignal ?? 'SIGTERM';
  const stopSignal = parseSignal(stopSignalSpec);
  if (!stopSignal) throw new ExecutorError(`Invalid signal: ${stopSignalSpec}`);

  const serviceName = task.ServiceName ?? task.ServiceID;
  // SwarmKit's naming: a global task's "slot" is its node.
  const slotText = task.Slot !== undefined && task.Slot !== 0 ? String(task.Slot) : (task.NodeID ?? node.id);
  const taskName = task.Name ?? `${serviceName}.${slotText}.${task.ID}`;
  const template: TemplateContext = {
    Service: { ID: task.ServiceID, Name: serviceName },
    Node: { ID: node.id, Hostname: node.hostname, Platform: { OS: goOS(), Architecture: unameArch() } },
    Task: { ID: task.ID, Name: taskName, Slot: slotText },
  };
  let hostname: string;
  let specEnv: string[];
  try {
    hostname = spec.Hostname ? expandTemplate(spec.Hostname, template, 'hostname') : containerId.slice(0, 12);
    specEnv = (spec.Env ?? []).map((e) => expandTemplate(e, template, 'env'));
  } catch (err) {
    throw new ExecutorError((err as Error).message);
  }
  const identity: TaskIdentity = {
    taskId: task.ID,
    taskName,
    serviceId: task.ServiceID,
    serviceName,
    ...(task.Slot !== undefined && task.Slot !== 0 ? { slot: task.Slot } : {}),
    nodeId: node.id,
    nodeHostname: node.hostname,
    containerId,
    hostname,
    image: spec.Image,
  };
  const env = containerEnv({ hostname, image: image.env, swarmlab: swarmlabEnv(identity), spec: specEnv });
  return { identity, argv, env, stopSignal };
}

/** Go's GOOS names, which is what {{.Node.Platform.OS}} shows. */
function goOS(): string {
  const p = platform();
  return p === 'win32' ? 'windows' : p;
}

/** Docker reports the architecture as uname does. */
function unameArch(): string {
  const a = arch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}
