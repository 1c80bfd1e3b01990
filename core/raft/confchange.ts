import type { ConfChange } from './types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const cc = JSON.parse(decoder.decode(data)) as ConfChange;
  if ((cc.type !== 'addNode' && cc.type !== 'removeNode') || typeof cc.nodeId !== 'string' || cc.nodeId === '') {
    throw new Error(`raft: malformed configuration change entry: ${decoder.decode(data).slice(0, 200)}`);
  }
  return cc;
}
