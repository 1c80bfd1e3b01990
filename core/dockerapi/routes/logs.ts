// /services/{id}/logs and /tasks/{id}/logs: the tasks' output, multiplexed as Docker sends it.

import { versionAtLeast } from '../api-version.ts';
import type { LogOptions, LogSelector } from '../backend.ts';
import { boolParam, requireControl, type RequestContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { formatLine, frame, MULTIPLEXED_STREAM, RAW_STREAM } from '../log-stream.ts';

/** `tail`: "all" (or nothing) for everything, else a line count; Docker reads anything else as all. */
function tailParam(raw: string | null): number | undefined {
  if (raw === null || raw === '' || raw === 'all') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** `since`: Unix seconds with an optional fraction; 0 means from the start. */
function sinceParam(raw: string | null): Date | undefined {
  if (raw === null || raw === '' || raw === '0') return undefined;
  if (!/^\d+(\.\d{1,9})?$/.test(raw)) {
    throw ApiError.badRequest(`invalid value for since: ${JSON.stringify(raw)} (expected Unix seconds such as 1700000000.5)`);
  }
  return new Date(Number(raw) * 1000);
}

async function streamLogs(ctx: RequestContext, selector: LogSelector): Promise<void> {
  const opts: LogOptions = {
    follow: boolParam(ctx.query, 'follow'),
    tail: tailParam(ctx.query.get('tail')),
    since: sinceParam(ctx.query.get('since')),
    stdout: boolParam(ctx.query, 'stdout'),
    stderr: boolParam(ctx.query, 'stderr'),
  };
  if (!opts.stdout && !opts.stderr) throw ApiError.badRequest('Bad parameters: you must choose at least one stream');
  const format = { timestamps: boolParam(ctx.query, 'timestamps'), details: boolParam(ctx.query, 'details') };
  const lines = ctx.backend.serviceLogs(selector, opts, ctx.signal);
  // Headers go at once, as Docker's do: a follower may wait long for the first line. From here on
  // an error can only travel in the stream, as Docker's "Error grabbing logs".
  const contentType = versionAtLeast(ctx.version, '1.42') ? MULTIPLEXED_STREAM : RAW_STREAM;
  ctx.res.writeHead(200, { 'Content-Type': contentType });
  ctx.res.flushHeaders();
  try {
    for await (const l of lines) {
      if (ctx.signal.aborted) break;
      if ((l.stream === 'stdout' && opts.stdout) || (l.stream === 'stderr' && opts.stderr)) ctx.res.write(frame(l.stream, formatLine(l, format)));
    }
  } catch (err) {
    if (!ctx.signal.aborted) ctx.res.write(frame('system', `Error grabbing logs: ${(err as Error).message}\n`));
  }
  ctx.res.end();
}

export async function serviceLogs(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  const service = await control.getService(ctx.params.id!);
  await streamLogs(ctx, { serviceIds: [service.ID], taskIds: [] });
}

export async function taskLogs(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  const task = await control.getTask(ctx.params.id!);
  await streamLogs(ctx, { serviceIds: [], taskIds: [task.ID] });
}
