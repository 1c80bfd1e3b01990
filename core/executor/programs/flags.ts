// Command-line flags and port numbers as the programs' real counterparts take them.

/** A port number from a flag or variable, or undefined if it is not one. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 && n < 65536 ? n : undefined;
}

/** The value of `--name VALUE` or `--name=VALUE` (also with a single dash, as Go's flags allow). */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    for (const prefix of [`--${name}`, `-${name}`]) {
      if (a === prefix) return argv[i + 1];
      if (a.startsWith(`${prefix}=`)) return a.slice(prefix.length + 1);
    }
  }
  return undefined;
}
