// What secrets and configs share, with SwarmKit's rules: a name of up to 64 [a-zA-Z0-9-_.]
// characters starting and ending with a letter or digit, and Data (base64 in the Engine API's JSON)
// of 1 byte up to the kind's size limit.

import { labels, obj, SpecError, str } from './fields.ts';
import { show } from './format.ts';

export type DataKind = 'secret' | 'config';

const NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
const NAME_RULE = 'only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkName(kind: DataKind) {
  return (name: string) => {
    if (name === '') return `invalid ${kind} name: a name is required (docker ${kind} create NAME FILE|-)`;
    if (name.length > 64 || !NAME.test(name)) return `invalid ${kind} name ${show(name)}: ${NAME_RULE}`;
    return undefined;
  };
}

/** The decoded size of base64 text, or undefined when it is not base64. */
export function base64Size(data: string): number | undefined {
  if (!BASE64.test(data)) return undefined;
  return Buffer.from(data, 'base64').length;
}

function checkData(kind: DataKind, max: number) {
  return (data: string) => {
    const size = base64Size(data);
    if (size === undefined) return `invalid ${kind} data: expected base64 (the Engine API carries Data as base64), got ${show(data)}`;
    if (size === 0 || size > max) return `${kind} data must be larger than 0 and less than ${max} bytes, got ${size} bytes`;
    return undefined;
  };
}

export function namedDataSchema(kind: DataKind, max: number, extra: { unsupported: string[] }) {
  const check = checkName(kind);
  return obj(
    {
      Name: str(`${kind} name`, { required: check('')!, check }),
      Labels: labels(`${kind} labels`).optional(),
      Data: str(`${kind} data`, { expected: 'base64 text', check: checkData(kind, max) }).optional(),
    },
    { thing: `${kind} spec`, unsupported: extra.unsupported },
  );
}

export function missingData(kind: DataKind, max: number): SpecError {
  return new SpecError(`${kind} data must be larger than 0 and less than ${max} bytes, got none (Data is required, base64)`, 'Data');
}
