// The kernel's network tools (ip, tc, nft) as netns isolation runs them: no shell between us and
// them, and a failure that names the command line and what the tool said, since that is what a
// user needs to see why the host refused (a clashing interface, a missing kernel feature, ...).

import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { MachineError } from '../errors.ts';

export type Tool = 'ip' | 'tc' | 'nft';

export class NetCommandError extends MachineError {
  constructor(
    readonly command: string,
    readonly stderr: string,
    detail: string,
  ) {
    super(`\`${command}\` failed: ${detail}`);
    this.name = 'NetCommandError';
  }
}

// Root's PATH usually has the sbin directories, but a login without them (sudo with a plain user's
// PATH, an IDE's terminal) should not make netns isolation look unsupported.
const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const found = new Map<Tool, string | undefined>();

/** Where the tool is, or undefined when it is not installed. */
export function findTool(tool: Tool): string | undefined {
  if (!found.has(tool)) {
    const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN];
    found.set(tool, dirs.map((d) => path.join(d, tool)).find(isExecutable));
  }
  return found.get(tool);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const PACKAGE: Record<Tool, string> = { ip: 'iproute2', tc: 'iproute2', nft: 'nftables' };

export function toolPath(tool: Tool): string {
  const file = findTool(tool);
  if (!file) throw new MachineError(`--isolation netns needs the ${tool} command, which is not installed: apt-get install ${PACKAGE[tool]}`);
  return file;
}

/** Runs the tool and resolves with its stdout; `input` is written to its stdin (nft -f -). */
export function run(tool: Tool, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const file = toolPath(tool);
  const line = [tool, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: opts.timeoutMs ?? 15_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const said = stderr.trim();
      const why = said || (err.killed ? `no answer within ${(opts.timeoutMs ?? 15_000) / 1000} s` : err.message);
      reject(new NetCommandError(line, said, why));
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The same, with a failure whose message matches `ignore` taken as success (already gone, ...). */
export async function runTolerating(tool: Tool, args: readonly string[], ignore: RegExp): Promise<string> {
  try {
    return await run(tool, args);
  } catch (err) {
    if (err instanceof NetCommandError && ignore.test(err.stderr)) return '';
    throw err;
  }
}
