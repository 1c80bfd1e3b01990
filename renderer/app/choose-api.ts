// Which LabApi the window talks to: the real one from renderer/api (Electron IPC or WebSocket,
// which this code never tells apart), or with ?demo in the address, the pretend cluster — for
// trying the UI without a lab, the screenshots and the benchmark (?demo=bench&nodes=200&tasks=5000).

import type { LabApi } from '../../main/lab/protocol.ts';
import type { ConnectionStatus } from '../api/index.ts';

export interface Chosen {
  api: LabApi;
  demo: boolean;
  /** The transport's connection state, for the reconnecting banner (absent in the demo). */
  onStatus?: (fn: (s: ConnectionStatus) => void) => () => void;
}

export async function chooseApi(params: URLSearchParams): Promise<Chosen> {
  const demo = params.get('demo');
  if (demo === null) {
    const { connectLabApi } = await import('../api/index.ts');
    const client = connectLabApi();
    return { api: client, demo: false, onStatus: (fn) => client.onStatus(fn) };
  }
  const { DemoLabApi } = await import('../demo/demo-api.ts');
  const num = (name: string, dflt: number) => {
    const v = Number(params.get(name) ?? dflt);
    return Number.isFinite(v) ? v : dflt;
  };
  const scenario = demo === 'bench'
    ? { kind: 'big' as const, managers: num('managers', 5), workers: num('nodes', 200) - num('managers', 5), services: num('services', 25), tasks: num('tasks', 5000) }
    : demo === 'empty' ? 'empty' as const : 'workshop' as const;
  const api = new DemoLabApi({ seed: num('seed', 1), scenario });
  if (demo === 'bench' && params.has('churn')) {
    // The benchmark's moving tasks: ?churn=MOVES_PER_TICK&tick=MS.
    const { startChurn } = await import('../demo/churn.ts');
    (globalThis as { __swarmlabChurn?: () => () => void }).__swarmlabChurn = () => startChurn(api.cluster, num('churn', 20), num('tick', 100));
  }
  return { api, demo: true };
}
