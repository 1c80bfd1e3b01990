// Calls one LabApi method by name, as the transports receive it ({ method, params }). Stands in for
// the controller's own dispatch (main/lab/requests.ts, which also validates params) until it lands;
// both transports take it from here, so switching is this file alone.

import { LAB_METHODS, type LabApi, type LabMethod } from '../lab/protocol.ts';

export type Dispatch = (api: LabApi, method: string, params: unknown) => Promise<unknown>;

export function isLabMethod(method: unknown): method is LabMethod {
  return typeof method === 'string' && (LAB_METHODS as readonly string[]).includes(method);
}

export const dispatch: Dispatch = async (api, method, params) => {
  if (!isLabMethod(method)) throw new Error(`unknown method ${JSON.stringify(method)}`);
  const call = api[method] as (this: LabApi, p: unknown) => Promise<unknown>;
  return call.call(api, params);
};
