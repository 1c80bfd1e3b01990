// The official images' `file_env`: a setting comes from VAR, or from the file VAR_FILE names (a
// secret mounted under /run/secrets, read through the task's mounted files), never both. Trailing
// newlines are dropped, as the entrypoints' `$(< file)` does; an empty variable counts as unset.

import type { ProgramContext } from '../program.ts';

export type FileEnv = { value: string | undefined } | { error: string };

export function fileEnv(ctx: ProgramContext, name: string, fallback?: string): FileEnv {
  const direct = ctx.env[name] || undefined;
  const file = ctx.env[`${name}_FILE`] || undefined;
  if (direct !== undefined && file !== undefined) return { error: `Both ${name} and ${name}_FILE are set (but are exclusive)` };
  if (file !== undefined) {
    const data = ctx.readFile(file);
    if (data === undefined) return { error: `${name}_FILE: ${file}: No such file or directory` };
    return { value: data.toString('utf8').replace(/\n+$/, '') };
  }
  return { value: direct ?? fallback };
}
