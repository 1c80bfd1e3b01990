// Commands whose whole job is their exit status.

import type { BuiltinProgram } from '../program.ts';

export const trueProgram: BuiltinProgram = { run: (ctx) => ctx.exit(0) };

export const falseProgram: BuiltinProgram = { run: (ctx) => ctx.exit(1) };
