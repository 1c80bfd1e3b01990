// Which command a task runs, and whether the image has it built in. Docker's rule: the spec's
// Command replaces the image's entrypoint and then the image's default arguments are dropped too;
// the spec's Args replace those default arguments.

import type { ContainerSpec } from '../api/objects.ts';
import type { CatalogImage } from './catalog.ts';
import type { BuiltinProgram } from './program.ts';

export function commandLine(spec: ContainerSpec, image: CatalogImage): string[] {
  const command = spec.Command?.length ? spec.Command : undefined;
  const entrypoint = command ?? image.entrypoint;
  const args = spec.Args?.length ? spec.Args : command ? [] : image.cmd;
  return [...entrypoint, ...args];
}

/** The built-in program that runs this command in this image, or undefined for a real process. */
export function builtinFor(
  argv: readonly string[],
  image: CatalogImage,
  programs: ReadonlyMap<string, BuiltinProgram>,
): { name: string; program: BuiltinProgram } | undefined {
  const cmd = argv[0];
  if (cmd === undefined) return undefined;
  const name = image.programs.get(cmd.slice(cmd.lastIndexOf('/') + 1));
  const program = name !== undefined ? programs.get(name) : undefined;
  if (name === undefined || !program || (program.accepts && !program.accepts(argv))) return undefined;
  return { name, program };
}
