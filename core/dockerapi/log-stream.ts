// Service logs as Docker sends them (api/server/httputils/write_log_stream.go): each line framed
// for stdcopy — 1 byte stream (1 stdout, 2 stderr, 3 an error of the daemon), 3 zero bytes, the
// length as a big-endian uint32 — and optionally prefixed with its timestamp and its details.

import type { ServiceLogLine } from './backend.ts';

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

const STREAM_ID = { stdout: 1, stderr: 2, system: 3 } as const;

export function frame(stream: keyof typeof STREAM_ID, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = STREAM_ID[stream];
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Go's RFC3339NanoFixed, as Docker prints log timestamps: 2024-05-01T12:00:00.123000000Z. */
export function timestamp(t: Date): string {
  return t.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** The `details` of a swarm log line: the line's context, which `docker service logs` turns into `name.slot.id@node`. */
function details(l: ServiceLogLine): string {
  const attrs: [string, string][] = [
    ['com.docker.swarm.node.id', l.nodeId],
    ['com.docker.swarm.service.id', l.serviceId],
    ['com.docker.swarm.task.id', l.taskId],
  ];
  // url.QueryEscape, as moby escapes them (a space would break the CLI's parsing of the line).
  const esc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return attrs.map(([k, v]) => `${esc(k)}=${esc(v)}`).join(',');
}

export interface LineFormat {
  timestamps: boolean;
  details: boolean;
}

export function formatLine(l: ServiceLogLine, f: LineFormat): string {
  let text = `${l.line}\n`;
  if (f.details) text = `${details(l)} ${text}`;
  if (f.timestamps) text = `${timestamp(l.time)} ${text}`;
  return text;
}
