// NodeSpec validation (`POST /nodes/{id}/update`).

import type { NodeSpec } from '../objects.ts';
import { labels, obj, oneOf, parseSpec, str } from './fields.ts';

export const nodeSpecSchema = obj(
  {
    Name: str('node name').optional(),
    Labels: labels('node labels').optional(),
    Role: oneOf('role', ['manager', 'worker'], { required: 'invalid role: a role is required (manager or worker)' }),
    Availability: oneOf('availability', ['active', 'pause', 'drain'], {
      required: 'invalid availability: an availability is required (active, pause or drain)',
    }),
  },
  { thing: 'node spec' },
);

export function validateNodeSpec(input: unknown): NodeSpec {
  return parseSpec(nodeSpecSchema, input, { thing: 'node spec', name: 'NodeSpec' });
}
