import { describe, expect, it } from 'vitest';
import { type FlagSpec, parseArgs, splitList, UsageError } from '../../../core/swarmctl/args.ts';
import { helpText, resolve } from '../../../core/swarmctl/command.ts';
import { GLOBAL_FLAGS, ROOT } from '../../../core/swarmctl/cli.ts';

const specs: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', usage: '' },
  { name: 'quiet', short: 'q', type: 'bool', usage: '' },
  { name: 'name', short: 'n', type: 'string', usage: '' },
  { name: 'env', type: 'list', usage: '' },
  { name: 'replicas', type: 'uint', usage: '' },
  { name: 'taskhistory', aliases: ['task-history'], type: 'uint', usage: '' },
];

describe('flags (pflag rules)', () => {
  it('reads long, long=, short, short-glued and grouped short flags among the arguments', () => {
    const { flags, positionals } = parseArgs(['x', '--name', 'web', '-aq', 'y', '--replicas=3', '-nfoo'], specs);
    expect(positionals).toEqual(['x', 'y']);
    expect(flags.bool('all')).toBe(true);
    expect(flags.bool('quiet')).toBe(true);
    expect(flags.string('name')).toBe('foo');
    expect(flags.uint('replicas')).toBe(3);
    expect(flags.changed('env')).toBe(false);
  });

  it('collects repeated slices and splits each on commas, quotes keeping commas', () => {
    const { flags } = parseArgs(['--env', 'A=1,B=2', '--env=C=3', '--env', '"D=4,5"'], specs);
    expect(flags.list('env')).toEqual(['A=1', 'B=2', 'C=3', 'D=4,5']);
    expect(splitList('')).toEqual([]);
    expect(splitList('a,"b ""q"" c",d')).toEqual(['a', 'b "q" c', 'd']);
  });

  it('treats everything after -- as arguments, and a value may start with a dash', () => {
    const { flags, positionals } = parseArgs(['--name', '-x', '--', '--all', '-q'], specs);
    expect(flags.string('name')).toBe('-x');
    expect(positionals).toEqual(['--all', '-q']);
    expect(flags.bool('all')).toBe(false);
  });

  it('accepts a flag by its alias', () => {
    expect(parseArgs(['--task-history', '7'], specs).flags.uint('taskhistory')).toBe(7);
  });

  it.each([
    [['--bogus'], 'unknown flag: --bogus'],
    [['-x'], "unknown shorthand flag: 'x' in -x"],
    [['-ax'], "unknown shorthand flag: 'x' in -ax"],
    [['--name'], 'flag needs an argument: --name'],
    [['-n'], "flag needs an argument: 'n' in -n"],
    [['--all=maybe'], 'invalid argument "maybe" for "--all" flag: expected true or false'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseArgs(argv, specs)).toThrow(new UsageError(message));
  });

  it('refuses a number that is not a whole number when it is read', () => {
    const { flags } = parseArgs(['--replicas', 'three'], specs);
    expect(() => flags.uint('replicas')).toThrow(/invalid argument "three" for "--replicas" flag/);
    expect(() => parseArgs(['--replicas', '-1'], specs).flags.uint('replicas')).toThrow(UsageError);
  });
});

describe('finding the command', () => {
  const names = (argv: string[]) => resolve(ROOT, argv, GLOBAL_FLAGS).path.map((c) => c.name);

  it('walks the tree by names and aliases, with global flags anywhere', () => {
    expect(names(['service', 'ls'])).toEqual(['swarmctl', 'service', 'ls']);
    expect(names(['-s', '/tmp/x.sock', 'svc', 'rm', 'web'])).toEqual(['swarmctl', 'service', 'remove']);
    expect(names(['node', '-n', 'ls'])).toEqual(['swarmctl', 'node', 'ls']);
    const r = resolve(ROOT, ['service', 'create', '--name', 'ls', '--image', 'x', '--socket=/s'], GLOBAL_FLAGS);
    expect(r.path.map((c) => c.name)).toEqual(['swarmctl', 'service', 'create']);
    expect(r.flags.string('name')).toBe('ls');
    expect(r.flags.string('socket')).toBe('/s');
  });

  it("stops at a command's own arguments: `service rm ls` removes a service named ls", () => {
    const r = resolve(ROOT, ['service', 'rm', 'ls'], GLOBAL_FLAGS);
    expect(r.path.map((c) => c.name)).toEqual(['swarmctl', 'service', 'remove']);
    expect(r.args).toEqual(['ls']);
  });

  it('names an unknown command with its group and suggests the near ones', () => {
    expect(() => names(['servce', 'ls'])).toThrow(/^unknown command "servce" for "swarmctl"\n\nDid you mean this\?\n\tservice$/);
    expect(() => names(['node', 'list'])).toThrow('unknown command "list" for "swarmctl node"');
    expect(() => names(['node', 'ls', '--bogus'])).toThrow(expect.objectContaining({ message: 'unknown flag: --bogus', command: 'swarmctl node ls' }));
  });

  it('prints help in cobra\'s layout, with the group\'s commands and the global flags', () => {
    const r = resolve(ROOT, ['service', '--help'], GLOBAL_FLAGS);
    const text = helpText(r.path, GLOBAL_FLAGS);
    expect(text).toContain('Service management\n\nUsage:\n  swarmctl service [command]\n\nAliases:\n  service, svc\n');
    expect(text).toContain('  scale       Scale one or more replicated services\n');
    expect(text).toContain('Global Flags:\n  -n, --no-resolve      Do not try to map IDs to Names when displaying them\n');
    const inspect = helpText(resolve(ROOT, ['service', 'inspect', '-h'], GLOBAL_FLAGS).path, GLOBAL_FLAGS);
    expect(inspect).toContain('Usage:\n  swarmctl service inspect <service ID> [flags]\n\nFlags:\n  -a, --all    Show all tasks (default shows just running)\n  -h, --help   help for inspect\n');
  });
});
