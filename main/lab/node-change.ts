// What a change to a node would cost, said before it is made: a demotion, or a kill, stop, pause or
// partition of a manager's machine, that leaves fewer reachable managers than a Raft majority; a
// drain of the last node that can run tasks; a second manager, which tolerates no failure. Pure,
// over the current view.

import type { NodeAvailability, NodeRole } from '../../core/api/objects.ts';
import { LabError } from './errors.ts';
import type { LabView, MachineAction, NodeView, Warning } from './protocol.ts';
import { voting } from './view.ts';

export interface NodeChange {
  nodeId: string;
  role?: NodeRole;
  availability?: NodeAvailability;
  action?: MachineAction | 'partition';
}

/** What the action does to the machine, as the reason says it. */
const DONE: Record<MachineAction | 'partition', string> = {
  start: 'started',
  stop: 'stopped',
  kill: 'killed',
  restart: 'restarting',
  pause: 'paused',
  resume: 'resumed',
  remove: 'removed',
  partition: 'partitioned',
};

const DOING: Record<MachineAction | 'partition', string> = {
  start: 'Starting',
  stop: 'Stopping',
  kill: 'Killing',
  restart: 'Restarting',
  pause: 'Pausing',
  resume: 'Resuming',
  remove: 'Removing',
  partition: 'Partitioning',
};

/** Actions after which the machine's manager no longer votes (for a while, for a restart). */
const SILENCING = new Set<MachineAction | 'partition'>(['stop', 'kill', 'restart', 'pause', 'remove', 'partition']);

export function checkNodeChange(view: LabView, change: NodeChange): Warning | undefined {
  const node = view.nodes.find((n) => n.id === change.nodeId);
  if (!node) throw new LabError(`no node ${change.nodeId} in the swarm (it may have been removed): refresh the view and try again`);
  const isManager = node.reachability !== undefined;
  if (change.role === 'worker' && isManager) return demotion(view, node);
  if (change.role === 'manager' && !isManager) return promotion(view, node);
  if (change.action && SILENCING.has(change.action) && isManager) return silencing(view, node, change.action);
  if (change.availability && change.availability !== 'active' && node.availability === 'active') return draining(view, node, change.availability);
  return undefined;
}

function managers(view: LabView): NodeView[] {
  return view.nodes.filter((n) => n.reachability !== undefined);
}

/** "manager3 is unreachable" / "manager3 and manager4 are unreachable" / "" */
function unreachableClause(others: NodeView[], view: LabView): string {
  const down = others.filter((n) => !voting(n, view.machines)).map((n) => n.hostname);
  if (down.length === 0) return '';
  const names = down.length === 1 ? down[0]! : `${down.slice(0, -1).join(', ')} and ${down[down.length - 1]}`;
  return `${names} ${down.length === 1 ? 'is' : 'are'} unreachable`;
}

const quorumOfCount = (n: number) => Math.floor(n / 2) + 1;

function header(view: LabView): string {
  const m = managers(view).length;
  return `${m} manager${m === 1 ? '' : 's'} · quorum ${quorumOfCount(m)}`;
}

function lostAlready(view: LabView): Warning | undefined {
  const all = managers(view);
  const reachable = all.filter((n) => voting(n, view.machines)).length;
  if (reachable >= quorumOfCount(all.length)) return undefined;
  const clause = unreachableClause(all, view);
  return {
    message: 'The swarm has no quorum now',
    reason: `${header(view)}: only ${reachable} of ${all.length} ${all.length === 1 ? 'is' : 'are'} reachable${clause ? ` (${clause})` : ''}, so the swarm cannot make changes until managers come back`,
  };
}

function demotion(view: LabView, node: NodeView): Warning | undefined {
  const lost = lostAlready(view);
  if (lost) return lost;
  const all = managers(view);
  const others = all.filter((n) => n.id !== node.id);
  if (others.length === 0) {
    return { message: `Demoting ${node.hostname} leaves no manager`, reason: `${node.hostname} is the swarm's only manager: without one, nothing can change the swarm (promote another node first)` };
  }
  const reachable = others.filter((n) => voting(n, view.machines)).length;
  const quorum = quorumOfCount(others.length);
  if (reachable >= quorum) return undefined;
  // (From an odd count the majority stays the same size; from an even one, a demotion that loses it
  // finds it lost already.)
  const clause = unreachableClause(others, view);
  return {
    message: `Demoting ${node.hostname} would lose quorum`,
    reason: `${header(view)}: demoting ${node.hostname} leaves ${others.length}${clause ? `, and ${clause}` : ''}, so the swarm would lose quorum`,
  };
}

function silencing(view: LabView, node: NodeView, action: MachineAction | 'partition'): Warning | undefined {
  if (!voting(node, view.machines)) return undefined;
  const all = managers(view);
  const others = all.filter((n) => n.id !== node.id);
  const reachable = others.filter((n) => voting(n, view.machines)).length;
  const quorum = quorumOfCount(all.length);
  if (reachable >= quorum) return undefined;
  const clause = unreachableClause(others, view);
  const until = action === 'restart' ? ' until it is back' : '';
  return {
    message: `${DOING[action]} ${node.hostname} would lose quorum${until}`,
    reason: `${header(view)}: with ${node.hostname} ${DONE[action]}, ${reachable} of ${all.length} ${reachable === 1 ? 'stays' : 'stay'} reachable${clause ? ` (${clause})` : ''}, so the swarm would lose quorum${until}`,
  };
}

function promotion(view: LabView, node: NodeView): Warning | undefined {
  if (managers(view).length !== 1) return undefined;
  return {
    message: `Two managers tolerate no failure`,
    reason: `with ${node.hostname} promoted there are 2 managers · quorum 2: losing either one loses the swarm's quorum (promote a third manager for fault tolerance)`,
  };
}

function draining(view: LabView, node: NodeView, availability: NodeAvailability): Warning | undefined {
  const others = view.nodes.filter((n) => n.id !== node.id && n.availability === 'active' && n.state === 'ready');
  if (others.length > 0) return undefined;
  const tasks = view.tasks.filter((t) => t.nodeId === node.id && t.desiredState === 'running').length;
  const verb = availability === 'drain' ? 'Draining' : 'Pausing';
  return {
    message: `${verb} ${node.hostname} leaves no node for new tasks`,
    reason:
      `${node.hostname} is the last active, ready node: ` +
      (availability === 'drain'
        ? `its ${tasks} task${tasks === 1 ? '' : 's'} would stop with nowhere to go, and new ones would wait as pending`
        : 'new and replaced tasks would wait as pending'),
  };
}
