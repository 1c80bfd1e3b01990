// The frames of the cluster-port RPC. The dialling side sends calls, casts (one-way, for Raft) and
// stream opens; the listening side answers, and feeds streams until one side ends them.

import { z } from 'zod';

const id = z.number().int().nonnegative();
const method = z.string().min(1).max(200);

export const requestFrame = z.discriminatedUnion('k', [
  z.object({ k: z.literal('call'), id, m: method, p: z.unknown() }),
  z.object({ k: z.literal('open'), id, m: method, p: z.unknown() }),
  z.object({ k: z.literal('close'), id }),
  z.object({ k: z.literal('cast'), m: method, p: z.unknown() }),
]);
export type RequestFrame = z.infer<typeof requestFrame>;

const wireError = z.object({ code: z.string(), message: z.string(), data: z.unknown().optional() });

export const responseFrame = z.discriminatedUnion('k', [
  z.object({ k: z.literal('ok'), id, r: z.unknown() }),
  z.object({ k: z.literal('err'), id, e: wireError }),
  z.object({ k: z.literal('item'), id, r: z.unknown() }),
  z.object({ k: z.literal('end'), id, e: wireError.optional() }),
]);
export type ResponseFrame = z.infer<typeof responseFrame>;
