// Network faults of a netns machine, made by the kernel inside the machine's namespace, so that
// every program in the machine meets them as on a real network (swarmd, its tasks, a console's
// ping):
// - partition: an nftables table dropping packets to and from the given peers, both ways, on new
//   and established connections alike. 'all' cuts every address but the host's on the lab bridge,
//   so the machine's console and the lab controller still reach it, as over a management network;
//   what is cut is its traffic with its peers (as a process machine's partition cuts its cluster
//   links).
// - loss: an nftables rule dropping that share of the packets the machine sends.
// - delay: a netem qdisc on the machine's eth0 (what it sends leaves that much later, so a round
//   trip through it takes that much longer). On a kernel built without netem the delay is made by
//   the machine's own cluster transport instead (`fallback`), as for process machines.
// The faults wanted are kept in MACHINE_DIR/netns-faults.json and made again in the kernel whenever
// the namespace is made again (each start), so they last until healed, across restarts.

import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { MachineError } from '../errors.ts';
import { addPartition, hasFaults, type ActiveFaults, type MachineFaults, type NetworkFaults } from '../faults.ts';
import { NetCommandError, run, runTolerating, toolPath } from '../netns/command.ts';
import { namespaceExists } from '../netns/network.ts';
import { NETNS_DEVICE } from '../netns/plan.ts';
import { MAX_DELAY_MS } from './faults-file.ts';

export interface NetnsFaultsOptions {
  /** The machine's name, for messages. */
  name: string;
  namespace: string;
  /** The host's address on the lab bridge (never cut by a partition from 'all'). */
  hostIp: string;
  /** Where the faults wanted are kept (MACHINE_DIR/netns-faults.json). */
  file: string;
  /** Makes a delay when the kernel cannot (no netem): the machine's transport faults. */
  fallback?: Pick<MachineFaults, 'delay' | 'heal' | 'active'>;
}

const FileSchema = z.strictObject({
  partition: z.union([z.literal('all'), z.array(z.ipv4())]).optional(),
  delayMs: z.number().min(0).max(MAX_DELAY_MS).default(0),
  lossPercent: z.number().min(0).max(100).default(0),
});

const PARTITION_TABLE = 'swarmlab_partition';
const LOSS_TABLE = 'swarmlab_loss';
const GONE = /No such file or directory|Cannot find device|Cannot delete qdisc with handle of zero|does not exist/;
const NO_NETEM = /qdisc kind is unknown/;
const IPV4 = z.ipv4();

/** Whether this kernel has netem, learnt from the first delay made (a failed tc costs a process). */
let netem: boolean | undefined;

export class NetnsFaults implements MachineFaults {
  constructor(private readonly o: NetnsFaultsOptions) {}

  async partition(from: readonly string[] | 'all'): Promise<void> {
    const bad = from === 'all' ? undefined : from.find((ip) => !IPV4.safeParse(ip).success);
    if (bad !== undefined) throw new MachineError(`cannot partition machine "${this.o.name}" from "${bad}": a netns machine's peers are given by IPv4 address (swarmlab ip NAME)`);
    await this.change((f) => ({ ...f, partition: addPartition(f.partition, from) }));
  }

  async delay(ms: number, lossPercent = 0): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) throw new MachineError(`a delay is a number of milliseconds from 0 to ${MAX_DELAY_MS}, not ${ms}`);
    if (!Number.isFinite(lossPercent) || lossPercent < 0 || lossPercent > 100) throw new MachineError(`a loss is a percentage from 0 to 100, not ${lossPercent}`);
    await this.change((f) => ({ ...f, delayMs: ms, lossPercent }));
  }

  async heal(): Promise<void> {
    await this.change(() => ({}));
    // A link left down by hand comes back too: heal means a working network.
    if (await namespaceExists(this.o.namespace)) await run('ip', ['-n', this.o.namespace, 'link', 'set', NETNS_DEVICE, 'up']);
  }

  async active(): Promise<ActiveFaults | undefined> {
    const f = await this.wanted();
    if (!hasFaults(f)) return undefined;
    // In the kernel as soon as the namespace exists (a stopped machine keeps it); a delay made by the
    // fallback once the machine's process has taken it.
    const fallback = (f.delayMs ?? 0) > 0 ? await this.o.fallback?.active() : undefined;
    const applied = (await namespaceExists(this.o.namespace)) && (fallback?.applied ?? true);
    return { ...(f.partition ? { partition: f.partition } : {}), delayMs: f.delayMs ?? 0, lossPercent: f.lossPercent ?? 0, applied };
  }

  /** Makes the faults wanted in the namespace, which was just made (again): the driver's start. */
  async reapply(): Promise<void> {
    const f = await this.wanted();
    if (hasFaults(f)) await this.apply(f);
  }

  private async change(next: (f: NetworkFaults) => NetworkFaults): Promise<void> {
    const f = next(await this.wanted());
    await this.save(f);
    // A machine without its namespace (the host restarted) gets them at its next start.
    if (await namespaceExists(this.o.namespace)) await this.apply(f);
  }

  private async apply(f: NetworkFaults): Promise<void> {
    const partition = f.partition ?? [];
    if (partition === 'all' || partition.length > 0) await this.replaceTable(PARTITION_TABLE, partitionRules(partition, this.o.hostIp));
    else await this.deleteTable(PARTITION_TABLE);
    const loss = f.lossPercent ?? 0;
    // numgen draws 0..9999 for each packet: loss in steps of 0.01 %.
    const draw = loss >= 100 ? '' : ` numgen random mod 10000 < ${Math.round(loss * 100)}`;
    if (loss > 0) await this.replaceTable(LOSS_TABLE, { output: [`oifname "${NETNS_DEVICE}"${draw} drop`] });
    else await this.deleteTable(LOSS_TABLE);
    await this.applyDelay(f.delayMs ?? 0);
  }

  private async applyDelay(ms: number): Promise<void> {
    if (ms === 0) {
      await runTolerating('tc', ['-n', this.o.namespace, 'qdisc', 'del', 'dev', NETNS_DEVICE, 'root'], GONE);
      if (this.o.fallback && (await this.o.fallback.active())) await this.o.fallback.heal();
      return;
    }
    if (netem !== false) {
      try {
        await run('tc', ['-n', this.o.namespace, 'qdisc', 'replace', 'dev', NETNS_DEVICE, 'root', 'netem', 'delay', `${ms}ms`]);
        netem = true;
        return;
      } catch (err) {
        if (!(err instanceof NetCommandError && NO_NETEM.test(err.stderr))) throw err;
        netem = false;
      }
    }
    if (!this.o.fallback) {
      throw new MachineError(
        `cannot delay machine "${this.o.name}": this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM; try modprobe sch_netem); partitions and loss work without it`,
      );
    }
    await this.o.fallback.delay(ms, 0);
  }

  private async wanted(): Promise<NetworkFaults> {
    let text: string;
    try {
      text = await readFile(this.o.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new MachineError(`cannot read ${this.o.file}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const r = FileSchema.safeParse(json);
    // A hand-damaged file is replaced by the next change: what it meant cannot be known.
    return r.success ? r.data : {};
  }

  private async save(f: NetworkFaults): Promise<void> {
    if (!hasFaults(f)) return rm(this.o.file, { force: true });
    const tmp = `${this.o.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(FileSchema.parse(f), null, 2)}\n`);
    await rename(tmp, this.o.file);
  }

  /** Swaps the table for a new one in one nftables transaction (declaring it first makes the delete safe). */
  private async replaceTable(table: string, chains: { input?: string[]; output?: string[] }): Promise<void> {
    const chain = (hook: 'input' | 'output', rules: string[] | undefined) =>
      rules ? `  chain ${hook} {\n    type filter hook ${hook} priority filter - 10; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n` : '';
    await this.nft(['-f', '-'], `table inet ${table}\ndelete table inet ${table}\ntable inet ${table} {\n${chain('input', chains.input)}${chain('output', chains.output)}}\n`);
  }

  private async deleteTable(table: string): Promise<void> {
    try {
      await this.nft(['delete', 'table', 'inet', table]);
    } catch (err) {
      if (!(err instanceof NetCommandError && GONE.test(err.stderr))) throw err;
    }
  }

  private nft(args: string[], input?: string): Promise<string> {
    return run('ip', ['netns', 'exec', this.o.namespace, toolPath('nft'), ...args], { input });
  }
}

function partitionRules(from: readonly string[] | 'all', hostIp: string): { input: string[]; output: string[] } {
  const dev = `"${NETNS_DEVICE}"`;
  if (from === 'all') {
    return {
      input: [`iifname ${dev} ip saddr != ${hostIp} drop`, `iifname ${dev} meta nfproto ipv6 drop`],
      output: [`oifname ${dev} ip daddr != ${hostIp} drop`, `oifname ${dev} meta nfproto ipv6 drop`],
    };
  }
  const set = `{ ${from.join(', ')} }`;
  return { input: [`ip saddr ${set} drop`], output: [`ip daddr ${set} drop`] };
}
