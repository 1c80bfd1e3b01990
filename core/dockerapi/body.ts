// Request bodies: JSON only (Docker's httputils.ReadJSON: an empty body is no body, anything else
// must say application/json), bounded in size, with Docker's "invalid JSON" wording.

import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.ts';

/** Far above any spec a client sends; a bigger body is a mistake or an attack. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class BodyTooLargeError extends ApiError {
  constructor(limit: number) {
    super(413, `request body too large: the limit is ${limit} bytes`);
  }
}

async function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** The body's JSON value, or undefined when there is no body. */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const raw = await readRaw(req, limit);
  if (raw.length === 0) return undefined;
  const ct = req.headers['content-type'] ?? '';
  const mediaType = ct.split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw ApiError.badRequest(`unsupported Content-Type header (${ct}): must be 'application/json'`);
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') throw ApiError.badRequest('invalid JSON: got EOF while reading request body');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw ApiError.badRequest(`invalid JSON: ${(err as Error).message}`);
  }
}

/** Drains a body that the endpoint does not read, so the connection can be reused. */
export async function discardBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<void> {
  await readRaw(req, limit);
}
