// SecretSpec validation (`POST /secrets/create`, `POST /secrets/{id}/update`).

import type { SecretObject } from '../objects.ts';
import { parseSpec } from './fields.ts';
import { missingData, namedDataSchema } from './named-data.ts';

export type SecretSpec = SecretObject['Spec'];

/** SwarmKit's MaxSecretSize. */
export const MAX_SECRET_SIZE = 500 * 1024;

const secretSchema = namedDataSchema('secret', MAX_SECRET_SIZE, { unsupported: ['Driver', 'Templating'] });

/** `requireData`: creation needs Data (an update of a secret must not carry it: Docker never returns it). */
export function validateSecretSpec(input: unknown, opts: { requireData?: boolean } = {}): SecretSpec {
  const spec = parseSpec(secretSchema, input, { thing: 'secret spec', name: 'SecretSpec' });
  if (opts.requireData && spec.Data === undefined) throw missingData('secret', MAX_SECRET_SIZE);
  return spec;
}
