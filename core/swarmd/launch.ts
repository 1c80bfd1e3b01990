// How to start a swarmd process: the one command line that tests, benchmarks and the lab's machine
// drivers use. V8 reserves 16 MiB per young-generation semi-space by default; a node's young
// objects fit in far less, and a lab runs many nodes on one laptop.

import { fileURLToPath } from 'node:url';

export const SWARMD_NODE_FLAGS = ['--max-semi-space-size=1'];

/** The bundled swarmd (dist/swarmd.mjs, made by `npm install`). */
export const SWARMD_BUNDLE = fileURLToPath(new URL('../../dist/swarmd.mjs', import.meta.url));

export function swarmdCommand(args: string[], bundle = SWARMD_BUNDLE): { file: string; args: string[] } {
  return { file: process.execPath, args: [...SWARMD_NODE_FLAGS, bundle, ...args] };
}
