// Placement constraints, as Docker Swarm writes them: `node.labels.zone==east`,
// `node.role!=manager`. Values compare case-insensitively, as in SwarmKit; a missing label
// satisfies only `!=`.

import type { NodeObject } from './objects.ts';

export interface Constraint {
  key: string;
  op: '==' | '!=';
  value: string;
  /** The expression as written, for messages. */
  text: string;
}

export class ConstraintError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConstraintError';
  }
}

const KEY = /^[a-z_][a-z0-9\-_.]*$/i;
const FIXED_KEYS = ['node.id', 'node.hostname', 'node.role', 'node.platform.os', 'node.platform.arch'];
const LABEL_PREFIXES = ['node.labels.', 'engine.labels.'];

export function parseConstraint(text: string): Constraint {
  const m = /^(.*?)(==|!=)(.*)$/.exec(text);
  if (!m) throw new ConstraintError(`invalid constraint "${text}": expected == or !=`);
  const key = m[1]!.trim();
  const op = m[2] as '==' | '!=';
  const value = m[3]!.trim();
  if (value.includes('==') || value.includes('!=')) {
    throw new ConstraintError(`invalid constraint "${text}": expected one operator, == or !=`);
  }
  if (!KEY.test(key)) throw new ConstraintError(`invalid constraint "${text}": "${key}" is not a valid key`);
  const lower = key.toLowerCase();
  const prefix = LABEL_PREFIXES.find((p) => lower.startsWith(p) && key.length > p.length);
  if (prefix === undefined && !FIXED_KEYS.includes(lower)) {
    throw new ConstraintError(
      `invalid constraint "${text}": unknown key "${key}" (use ${FIXED_KEYS.join(', ')}, node.labels.<name> or engine.labels.<name>)`,
    );
  }
  if (value === '') throw new ConstraintError(`invalid constraint "${text}": the value is empty`);
  // The prefix matches in any case, as in SwarmKit; the label name itself is case-sensitive.
  return { key: prefix !== undefined ? prefix + key.slice(prefix.length) : lower, op, value, text };
}

export function parseConstraints(list: readonly string[] | undefined): Constraint[] {
  return (list ?? []).map(parseConstraint);
}

/** The node's value(s) for a constraint key; undefined when the node has no such label. */
function nodeValue(c: Constraint, node: NodeObject): string | undefined {
  switch (c.key) {
    case 'node.id':
      return node.ID;
    case 'node.hostname':
      return node.Description?.Hostname;
    case 'node.role':
      // As SwarmKit: the role the node has, not the one its spec asks for (during a demotion).
      return node.Role ?? node.Spec.Role;
    case 'node.platform.os':
      return node.Description?.Platform.OS;
    case 'node.platform.arch':
      return node.Description?.Platform.Architecture;
  }
  if (c.key.startsWith('node.labels.')) return node.Spec.Labels?.[c.key.slice('node.labels.'.length)];
  return node.Description?.Engine.Labels?.[c.key.slice('engine.labels.'.length)];
}

export function matchConstraint(c: Constraint, node: NodeObject): boolean {
  const v = nodeValue(c, node);
  const equal = v !== undefined && v.toLowerCase() === c.value.toLowerCase();
  return c.op === '==' ? equal : !equal;
}

export function matchConstraints(cs: readonly Constraint[], node: NodeObject): boolean {
  return cs.every((c) => matchConstraint(c, node));
}
