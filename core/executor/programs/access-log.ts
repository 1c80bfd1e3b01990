// The "combined" access log line that nginx (and so most web servers in tutorials) writes.

import type { IncomingMessage } from 'node:http';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** nginx's $time_local, in UTC: 10/Oct/2000:13:55:36 +0000. */
export function logTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

export function accessLogLine(req: IncomingMessage, status: number, bytes: number, nowMs: number): string {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' && v !== '' ? v : '-';
  };
  return `${req.socket.remoteAddress ?? '-'} - - [${logTime(nowMs)}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${bytes} "${header('referer')}" "${header('user-agent')}"\n`;
}
