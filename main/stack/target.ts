// Which Engine API a stack command talks to: the lab's leader. The lab is the one named, or the only
// one up (machines made by hand, without a lab, count as one); among its machines, the first that
// answers as a manager says which node leads, and the leader's machine is used when it is one of the
// lab's (else the manager that answered: managers forward writes to the leader).

import Docker from 'dockerode';
import type { NodeObject } from '../../core/api/objects.ts';
import type { Machines } from '../../vm/machines.ts';
import { LabError } from '../lab/errors.ts';
import { LabRecords } from '../lab/lab-records.ts';
import { DockerodeStackEngine } from './engine.ts';

export interface StackTarget {
  lab?: string;
  machine: string;
  socket: string;
  engine: DockerodeStackEngine;
}

export async function labMachines(machines: Machines, lab?: string): Promise<{ lab?: string; machines: string[] }> {
  const records = new LabRecords(machines.store.home);
  if (lab !== undefined) return { lab, machines: (await records.load(lab)).machines };
  const names = await records.names();
  if (names.length > 1) throw new LabError(`several labs are up (${names.join(', ')}): choose one with --lab NAME`);
  if (names.length === 1) return { lab: names[0]!, machines: (await records.load(names[0]!)).machines };
  const loose = await machines.store.names();
  if (loose.length === 0) throw new LabError('there is no lab: swarmlab up makes one');
  return { machines: loose };
}

/** The engine of the lab's leader (see above); refused when no manager of the lab answers. */
export async function stackTarget(machines: Machines, lab?: string): Promise<StackTarget> {
  const found = await labMachines(machines, lab);
  const failures: string[] = [];
  for (const name of found.machines) {
    if (!(await machines.store.exists(name))) continue;
    const socket = machines.store.paths(name).socket;
    let nodes: NodeObject[];
    try {
      nodes = (await new Docker({ socketPath: socket, timeout: 3_000 }).listNodes()) as unknown as NodeObject[];
    } catch (err) {
      const e = err as { json?: { message?: unknown }; code?: string; message?: string };
      failures.push(`${name}: ${typeof e.json?.message === 'string' ? e.json.message : e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'not running' : (e.message ?? String(err))}`);
      continue;
    }
    const leader = nodes.find((n) => n.ManagerStatus?.Leader)?.Description?.Hostname;
    const via = leader && leader !== name && found.machines.includes(leader) && (await machines.store.exists(leader)) ? leader : name;
    const viaSocket = machines.store.paths(via).socket;
    return { ...(found.lab !== undefined ? { lab: found.lab } : {}), machine: via, socket: viaSocket, engine: new DockerodeStackEngine(via, viaSocket) };
  }
  const which = found.lab !== undefined ? `lab ${found.lab}` : 'the machines';
  throw new LabError(`no manager of ${which} answers${failures.length ? ` (${failures.join('; ')})` : ''}: start a manager, or wait for the swarm to elect a leader`);
}
