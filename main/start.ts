// `npm start`: the desktop app arrives with a later milestone. Until then, say so plainly and
// point at what does work, rather than open an empty window.

const lines = [
  'swarmlab: the desktop app is not built yet.',
  '',
  'What works today is the orchestration foundation (Raft, the replicated store, the simulator):',
  '  npm test                      run the test suite',
  '  npm run sim -- --seeds 100    run seeded failure simulations of a 3- or 5-manager cluster',
  '  npm run bench -- raft         measure Raft throughput and commit latency with the on-disk WAL',
  '',
  'See README.md for what comes next.',
];
console.log(lines.join('\n'));
