// ip, url, inspect: what the store and the driver know about a machine.

import type { Command } from '../command.ts';
import type { CliContext } from '../io.ts';
import { expectArgs } from '../usage.ts';
import { MachineError } from '../../../vm/errors.ts';
import type { ActiveFaults } from '../../../vm/faults.ts';
import type { Machine } from '../../../vm/machines.ts';
import { sshCommandLine } from '../../../vm/local/ssh-command.ts';

export async function runningMachine(ctx: CliContext, name: string): Promise<Machine> {
  const m = await ctx.machines.get(name);
  const state = await m.driver.status();
  if (state !== 'Running') throw new MachineError(`machine "${name}" is not running (${state}): swarmlab start ${name}`);
  return m;
}

export const ip: Command = {
  name: 'ip',
  summary: 'Print the IP address of one or more machines',
  args: 'NAME [NAME...]',
  options: {},
  async run(ctx, p) {
    expectArgs('ip', p.positionals, 1, Infinity);
    for (const name of p.positionals) ctx.out.write(`${(await ctx.machines.get(name)).driver.address()}\n`);
    return 0;
  },
};

export const url: Command = {
  name: 'url',
  summary: "Print a running machine's Docker API URL (what DOCKER_HOST takes)",
  args: 'NAME',
  options: {},
  async run(ctx, p) {
    expectArgs('url', p.positionals, 1, 1);
    ctx.out.write(`${(await runningMachine(ctx, p.positionals[0]!)).driver.url()}\n`);
    return 0;
  },
};

export async function inspectMachine(m: Machine): Promise<Record<string, unknown>> {
  const ssh = m.driver.ssh();
  return {
    Name: m.config.name,
    DriverName: m.config.driver,
    Created: m.config.created,
    State: await m.driver.status(),
    URL: m.driver.url(),
    Faults: inspectFaults(await m.driver.faults?.().catch(() => undefined)),
    Driver: {
      Isolation: m.config.isolation,
      IPAddress: m.driver.address(),
      SwarmPort: m.config.swarmPort,
      SSHHost: ssh.host,
      SSHPort: ssh.port,
      SSHUser: ssh.user,
      SSHKeyPath: ssh.keyPath,
      // What the OpenSSH client takes to open the console by hand.
      SSHCommand: sshCommandLine(ssh),
      StorePath: m.paths.dir,
      StateDir: m.paths.state,
      Socket: m.paths.socket,
      LogFile: m.paths.log,
    },
  };
}

/** The network faults in force (null without), with the addresses the machine is cut off from. */
function inspectFaults(f: ActiveFaults | undefined): Record<string, unknown> | null {
  if (!f) return null;
  return { PartitionFrom: f.partition ?? [], DelayMs: f.delayMs ?? 0, LossPercent: f.lossPercent ?? 0, Applied: f.applied };
}

export const inspect: Command = {
  name: 'inspect',
  summary: 'Print what swarmlab knows about a machine, as JSON',
  args: 'NAME',
  options: {},
  async run(ctx, p) {
    expectArgs('inspect', p.positionals, 1, 1);
    ctx.out.write(`${JSON.stringify(await inspectMachine(await ctx.machines.get(p.positionals[0]!)), null, 4)}\n`);
    return 0;
  },
};
