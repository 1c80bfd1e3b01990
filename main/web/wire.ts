// The web mode's messages on its WebSocket. The first message from the page carries the token, which
// the server acknowledges with { ready: true } (or closes with 4401); then requests { id, method, params } are answered { id, result } or { id, error: { message } }, and the
// event stream arrives as { event }. `subscribe` starts it (each time with a fresh snapshot) and
// `unsubscribe` stops it; every other method is a LabApi method. renderer/api/ws-client.ts speaks
// the other end (it may import only types from main/lab/protocol.ts, so it spells these out too).

import { z } from 'zod';
import type { LabApi, LabEvent } from '../lab/protocol.ts';

/** Carries one request to the lab: main/lab/requests.ts's dispatch (validation included). */
export type Dispatch = (api: LabApi, method: string, params: unknown) => Promise<unknown>;

export const WS_PATH = '/api/ws';

/** Close codes the page can tell apart (4000-4999 are the application's). */
export const CLOSE = {
  unauthorized: 4401,
  tooSlow: 4008,
  badMessage: 1008,
  goingAway: 1001,
} as const;

/** `page`: the page's own ID, the same across its reconnections (what it opened is kept for it). */
export const AuthMessage = z.object({ token: z.string(), page: z.string().min(1).max(100).optional() });
export const RequestMessage = z.object({
  id: z.union([z.number(), z.string()]),
  method: z.string(),
  params: z.unknown().optional(),
});
export type RequestMessage = z.infer<typeof RequestMessage>;

export type ServerMessage =
  | { ready: true }
  | { id: number | string; result?: unknown }
  | { id: number | string; error: { message: string } }
  | { event: LabEvent };
