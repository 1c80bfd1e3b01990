// Control operations on secrets (SwarmKit's controlapi/secret.go): see data-objects.ts, which
// secrets and configs share. Data never leaves these operations.

import type { SecretObject } from '../../api/objects.ts';
import type { DataObjectFilters } from './api.ts';
import { createDataObject, getDataObject, listDataObjects, removeDataObject, updateDataObject, type DataControl } from './data-objects.ts';

export const listSecrets = (c: DataControl, f?: DataObjectFilters): SecretObject[] => listDataObjects(c, 'secret', f);
export const getSecret = (c: DataControl, ref: string): SecretObject => getDataObject(c, 'secret', ref);
export const createSecret = (c: DataControl, spec: unknown): Promise<SecretObject> => createDataObject(c, 'secret', spec);
export const updateSecret = (c: DataControl, ref: string, version: number, spec: unknown): Promise<SecretObject> =>
  updateDataObject(c, 'secret', ref, version, spec);
export const removeSecret = (c: DataControl, ref: string): Promise<void> => removeDataObject(c, 'secret', ref);
