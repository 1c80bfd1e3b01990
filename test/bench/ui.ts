// npm run bench -- ui: the renderer under a big lab, in Debian's Chromium. The page runs its demo
// feed (renderer/demo: 200 nodes, 5,000 tasks, seeded) and moves tasks between nodes the whole
// time; we count frames (requestAnimationFrame) and, for every batch of task events, the time from
// the event's timestamp to the frame after the one that drew it (its pixels are then on screen).
// Goal: ≥ 50 fps and ≤ 100 ms event-to-screen.
//
// Flags: --nodes N (200) --tasks N (5000) --moves N tasks moved per tick (20) --tick MS (100)
// --seconds S measured (10) --seed S (1).

import { cpus, loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { buildRenderer } from '../../main/bundle.ts';
import { percentile, printTable } from './report.ts';
import { serveRenderer } from './renderer-server.ts';

const CHROMIUM = process.env.SWARMLAB_CHROMIUM ?? '/usr/bin/chromium';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  return Number.isFinite(v) ? v : dflt;
}

interface Measured {
  frames: number;
  intervals: number[];
  latencies: number[];
  phases: Record<string, number>;
  elapsedMs: number;
}

/** In the page: start the churn, settle a second, then count frames and collect latencies for MS. */
const MEASURE = `(async () => {
  const stop = window.__swarmlabChurn();
  await new Promise((r) => setTimeout(r, 1000));
  window.__swarmlabPerf.reset();
  const intervals = [];
  const start = performance.now();
  let last = start;
  let frames = 0;
  await new Promise((resolve) => {
    const frame = (now) => {
      frames++;
      intervals.push(now - last);
      last = now;
      if (now - start < MS) requestAnimationFrame(frame);
      else resolve();
    };
    requestAnimationFrame(frame);
  });
  stop();
  return { frames, intervals, latencies: [...window.__swarmlabPerf.latencies], phases: { ...window.__swarmlabPerf.phases }, elapsedMs: last - start };
})()`;

export async function benchUi(): Promise<void> {
  const nodes = flag('nodes', 200);
  const tasks = flag('tasks', 5000);
  const moves = flag('moves', 20);
  const tick = flag('tick', 100);
  const seconds = flag('seconds', 10);
  const seed = flag('seed', 1);

  await buildRenderer({ ifStale: true });
  const server = await serveRenderer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const t0 = Date.now();
    await page.goto(`${server.url}?demo=bench&nodes=${nodes}&tasks=${tasks}&seed=${seed}&churn=${moves}&tick=${tick}`);
    // Every node drawn and every task dot counted.
    await page.waitForFunction(`(() => {
      const cards = document.querySelectorAll('[data-testid^="node-"][data-tasks]');
      let sum = 0;
      for (const c of cards) sum += Number(c.dataset.tasks);
      return cards.length === ${nodes} && sum === ${tasks};
    })()`, undefined, { timeout: 60_000, polling: 100 });
    const firstView = Date.now() - t0;
    // Let the layout settle (it reheats only for nodes coming and going, which the churn never does).
    await page.waitForTimeout(3000);

    // CPU time of the page's main thread and of its whole renderer process: unlike frames counted
    // on a wall clock, they do not depend on how busy the rest of the machine is.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const cpu = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
      return { thread: get('ThreadTime'), process: get('ProcessTime') };
    };
    const before = await cpu();
    // Given as text: the TypeScript loader would otherwise wrap named functions in helpers the page lacks.
    const measured = (await page.evaluate(MEASURE.replace('MS', String(seconds * 1000)))) as Measured;
    const after = await cpu();
    // The churn's first second (before the frame count starts) is in the CPU figures too.
    const cpuSeconds = seconds + 1;
    const mainMsPerFrame = ((after.thread - before.thread) * 1000) / (measured.frames * (cpuSeconds / seconds));
    const processShare = (after.process - before.process) / cpuSeconds;

    const fps = (measured.frames / measured.elapsedMs) * 1000;
    const slowFrames = measured.intervals.filter((i) => i > 1000 / 50).length;
    const f = (n: number) => n.toFixed(1);
    printTable(`UI: ${nodes} nodes, ${tasks} tasks, ${(moves * 1000) / tick} task moves/s, ${seconds} s in ${CHROMIUM} (headless)`, [
      { figure: 'first full view (load → every node and task drawn)', value: `${firstView} ms`, goal: '' },
      { figure: 'frames per second while tasks move', value: f(fps), goal: '≥ 50' },
      { figure: 'frame time p50 / p95 / max', value: `${f(percentile(measured.intervals, 50))} / ${f(percentile(measured.intervals, 95))} / ${f(Math.max(...measured.intervals))} ms`, goal: '' },
      { figure: 'frames slower than 20 ms', value: `${slowFrames} of ${measured.frames}`, goal: '' },
      { figure: 'event → pixels p50 / p95 / max', value: `${f(percentile(measured.latencies, 50))} / ${f(percentile(measured.latencies, 95))} / ${f(Math.max(...measured.latencies))} ms`, goal: '≤ 100 (p95)' },
      { figure: 'event batches measured', value: String(measured.latencies.length), goal: '' },
      { figure: 'page main thread CPU per frame', value: `${f(mainMsPerFrame)} ms`, goal: '< 16.7 (one frame at 60 Hz)' },
      { figure: 'topology frame work per frame', value: Object.entries(measured.phases).map(([k, v]) => `${k} ${(v / measured.frames).toFixed(2)}`).join(', ') + ' ms', goal: '' },
      { figure: 'renderer process CPU (all its threads)', value: `${f(processShare * 100)} % of a core`, goal: '' },
    ]);
    // Frames are counted on a real clock: a busy machine shows in them. Say how busy it was.
    console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (1, 5, 15 min) at the end`);
    const met = fps >= 50 && percentile(measured.latencies, 95) <= 100;
    console.log(met ? '\ngoal met' : '\ngoal NOT met');
    if (problems.length) console.log(`page errors:\n${problems.join('\n')}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

