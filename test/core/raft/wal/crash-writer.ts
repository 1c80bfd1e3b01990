// The child process of crash.test.ts: appends to a DiskStorage until it is killed, printing
// `ack <lastIndex> <commit>` each time a save has resolved (that is, is on disk).
//
// usage: node crash-writer.mjs <dir> <seed> <segmentBytes> [<data encryption key, hex>]

import { seededRandom } from '../../../../core/random.ts';
import type { Entry } from '../../../../core/raft/types.ts';
import { AesGcmCrypter, DiskStorage } from '../../../../core/raft/wal/index.ts';
import { doomedEntry, isDoomed, realEntry, snapshotAt, termFor } from './crash-log.ts';

const [dir, seedArg, segmentArg, keyArg] = process.argv.slice(2);
const rng = seededRandom(Number(seedArg));
const crypter = keyArg ? new AesGcmCrypter(Buffer.from(keyArg, 'hex')) : undefined;
const storage = new DiskStorage({
  dir: dir!,
  segmentBytes: Number(segmentArg),
  encryption: crypter && { encrypter: crypter, decrypter: crypter },
});
const state = await storage.load();

// Continue after the last real entry, overwriting any doomed suffix a crash left behind.
let last = state.snapshot?.metadata.index ?? 0;
for (const e of state.entries) {
  if (isDoomed(e)) break;
  last = e.index;
}
let acked = last;
process.stdout.write(`ready ${last}\n`);

const inFlight = new Set<Promise<void>>();
function track(p: Promise<void>): void {
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
}

function range(from: number, count: number, make: (i: number) => Entry): Entry[] {
  return Array.from({ length: count }, (_, k) => make(from + k));
}

while (true) {
  // Up to three saves in flight, so that saves are coalesced as they are under load.
  while (inFlight.size >= 3) await Promise.race(inFlight);

  if (rng.next() < 0.1) {
    // Written and synced on its own, so that a kill can fall between it and its replacement.
    while (inFlight.size > 0) await Promise.race(inFlight);
    await storage.save(undefined, range(last + 1, 1 + rng.int(20), doomedEntry));
  }
  const count = 1 + rng.int(40);
  const commit = last;
  const batch = range(last + 1, count, realEntry);
  last += count;
  const end = last;
  track(
    storage.save({ term: termFor(end), vote: 'n1', commit }, batch).then(() => {
      acked = Math.max(acked, end);
      process.stdout.write(`ack ${end} ${commit}\n`);
    }),
  );
  if (rng.next() < 0.04 && acked > 0) track(storage.saveSnapshot(snapshotAt(acked)));
}
