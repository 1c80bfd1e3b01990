// A node's state directory, as SwarmKit lays it out: its identity and swarm membership
// (node.json), its certificates (certificates/swarm-node.{crt,key}, swarm-root-ca.crt) and, on a
// manager, the Raft log (raft/), encrypted with the key in certificates/swarm-raft.dek. Every file is written durably, so a node killed at any moment
// restarts as the same node. A damaged file is reported, never silently replaced.

import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileDurably } from '../raft/wal/durable-fs.ts';

export const nodeStateSchema = z.object({
  version: z.literal(1),
  nodeId: z.string().min(1),
  clusterId: z.string().min(1),
  role: z.enum(['manager', 'worker']),
  /** The cluster port this node listens on and the one it advertises. */
  listenAddr: z.string(),
  advertiseAddr: z.string(),
  /** Managers' cluster ports, to reconnect to after a restart. */
  managers: z.array(z.string()),
  profile: z.enum(['lab', 'swarm']),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

export interface Credentials {
  keyPem: string;
  certPem: string;
  rootPem: string;
}

/** The key a manager's Raft log is encrypted with, beside the node's key (0600). */
export const RAFT_DEK_FILE = 'swarm-raft.dek';

/** The Raft data encryption key file of the state directory whose Raft log is in `raftDir`. */
export function raftDekFile(raftDir: string): string {
  return join(dirname(raftDir), 'certificates', RAFT_DEK_FILE);
}

export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDirError';
  }
}

export class StateDir {
  private saving: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  get raftDir(): string {
    return join(this.dir, 'raft');
  }

  get certDir(): string {
    return join(this.dir, 'certificates');
  }

  get raftDekFile(): string {
    return raftDekFile(this.raftDir);
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The node's state, or undefined for a node that is not part of a swarm. */
  async loadState(): Promise<NodeState | undefined> {
    const file = join(this.dir, 'node.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw this.corrupt(file, 'it is not valid JSON');
    }
    const r = nodeStateSchema.safeParse(doc);
    if (!r.success) throw this.corrupt(file, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return r.data;
  }

  /** Saves run one after another: two at once would share the temporary file. */
  saveState(s: NodeState): Promise<void> {
    const write = async () => {
      await this.ensure();
      await writeFileDurably(this.dir, 'node.json', new TextEncoder().encode(JSON.stringify(s, null, 2) + '\n'));
    };
    const next = this.saving.then(write, write);
    this.saving = next.catch(() => undefined);
    return next;
  }

  async loadCredentials(): Promise<Credentials> {
    const read = async (name: string) => {
      const file = join(this.certDir, name);
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw this.corrupt(file, 'it is missing');
        throw err;
      }
    };
    return { keyPem: await read('swarm-node.key'), certPem: await read('swarm-node.crt'), rootPem: await read('swarm-root-ca.crt') };
  }

  async saveCredentials(c: Credentials): Promise<void> {
    await mkdir(this.certDir, { recursive: true, mode: 0o700 });
    const enc = new TextEncoder();
    await writeFileDurably(this.certDir, 'swarm-root-ca.crt', enc.encode(c.rootPem));
    await writeFileDurably(this.certDir, 'swarm-node.key', enc.encode(c.keyPem));
    await writeFileDurably(this.certDir, 'swarm-node.crt', enc.encode(c.certPem));
  }

  /** Forgets the swarm (`docker swarm leave`): identity, certificates, Raft log. */
  async clear(): Promise<void> {
    // After any save still on its way, so none can bring node.json back.
    await this.saving;
    await rm(join(this.dir, 'node.json'), { force: true });
    await rm(this.certDir, { recursive: true, force: true });
    await rm(this.raftDir, { recursive: true, force: true });
  }

  async clearRaft(): Promise<void> {
    await rm(this.raftDir, { recursive: true, force: true });
  }

  private corrupt(file: string, why: string): StateDirError {
    return new StateDirError(
      `the node state in ${file} cannot be used: ${why}. Restore it from a backup, or remove ${this.dir} to start this node afresh (it then has to join the swarm again)`,
    );
  }
}
