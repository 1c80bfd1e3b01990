// ConfigSpec validation (`POST /configs/create`, `POST /configs/{id}/update`).

import type { ConfigObject } from '../objects.ts';
import { parseSpec } from './fields.ts';
import { missingData, namedDataSchema } from './named-data.ts';

export type ConfigSpec = ConfigObject['Spec'];

/** SwarmKit's MaxConfigSize. */
export const MAX_CONFIG_SIZE = 1000 * 1024;

const configSchema = namedDataSchema('config', MAX_CONFIG_SIZE, { unsupported: ['Templating'] });

/** `requireData`: creation needs Data. */
export function validateConfigSpec(input: unknown, opts: { requireData?: boolean } = {}): ConfigSpec {
  const spec = parseSpec(configSchema, input, { thing: 'config spec', name: 'ConfigSpec' });
  if (opts.requireData && spec.Data === undefined) throw missingData('config', MAX_CONFIG_SIZE);
  return spec;
}
