// Control operations on configs (SwarmKit's controlapi/config.go): see data-objects.ts, which
// secrets and configs share. Unlike a secret's, a config's Data is returned.

import type { ConfigObject } from '../../api/objects.ts';
import type { DataObjectFilters } from './api.ts';
import { createDataObject, getDataObject, listDataObjects, removeDataObject, updateDataObject, type DataControl } from './data-objects.ts';

export const listConfigs = (c: DataControl, f?: DataObjectFilters): ConfigObject[] => listDataObjects(c, 'config', f);
export const getConfig = (c: DataControl, ref: string): ConfigObject => getDataObject(c, 'config', ref);
export const createConfig = (c: DataControl, spec: unknown): Promise<ConfigObject> => createDataObject(c, 'config', spec);
export const updateConfig = (c: DataControl, ref: string, version: number, spec: unknown): Promise<ConfigObject> =>
  updateDataObject(c, 'config', ref, version, spec);
export const removeConfig = (c: DataControl, ref: string): Promise<void> => removeDataObject(c, 'config', ref);
