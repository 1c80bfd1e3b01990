// npm run bench -- NAME: prints figures; benchmarks are measurements, not tests.

const benches: Record<string, () => Promise<void>> = {
  raft: async () => (await import('./raft.ts')).benchRaft(),
  failover: async () => (await import('./failover.ts')).benchFailover(),
  sched: async () => (await import('./sched.ts')).benchSched(),
  cluster: async () => (await import('./cluster.ts')).benchCluster(),
  lab: async () => (await import('./lab.ts')).benchLab(),
  ui: async () => (await import('./ui.ts')).benchUi(),
  mesh: async () => (await import('./mesh.ts')).benchMesh(),
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith('-') && !all[i - 1]?.startsWith('--'));
  const unknown = names.filter((n) => !(n in benches));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; available: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  for (const name of names.length > 0 ? names : Object.keys(benches)) await benches[name]!();
}

void main();
