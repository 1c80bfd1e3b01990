// The keyboard shortcuts of app/shortcuts.ts, acted on. Keys typed into a field, a terminal or a
// dialog are theirs, not ours.

import type { LabStore } from '../store/lab-store.ts';
import type { LabActions } from './actions.ts';
import type { Ui } from './ui.svelte.ts';

export function handleKey(e: KeyboardEvent, ui: Ui, actions: LabActions, store: LabStore, fit: () => void): void {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target as HTMLElement | null;
  if (target?.closest('input, select, textarea, .xterm, [contenteditable]')) return;
  if (e.key === 'Escape') {
    if (ui.menu) ui.menu = undefined;
    else if (ui.dialog) ui.dialog = undefined;
    else ui.selectNode(undefined);
    return;
  }
  if (ui.dialog) return;
  const running = store.phase === 'running';
  const node = ui.selectedNodeId ? store.nodes.get(ui.selectedNodeId) : undefined;
  const global: Record<string, () => void> = {
    '?': () => (ui.dialog = { kind: 'help' }),
    '+': () => (ui.large = !ui.large),
    '=': () => (ui.large = !ui.large),
    b: () => (ui.light = !ui.light),
    o: () => (ui.networks = !ui.networks),
    i: () => (ui.ingress = !ui.ingress),
    '0': fit,
    c: () => (ui.dockOpen = !ui.dockOpen && ui.consoles.length > 0),
    '1': () => (ui.panel = 'services'),
    '2': () => (ui.panel = 'node'),
    '3': () => (ui.panel = 'timeline'),
    '4': () => (ui.panel = 'logs'),
    ...(running ? {
      n: () => (ui.dialog = { kind: 'create-service' }),
      S: () => (ui.dialog = { kind: 'deploy-stack' }),
      w: () => actions.addNode('worker'),
      m: () => actions.addNode('manager'),
    } : {}),
  };
  const service = ui.selectedServiceId ? store.services.get(ui.selectedServiceId) : undefined;
  if (service) {
    global.u = () => (ui.dialog = { kind: 'update-service', serviceId: service.id });
    if (service.mode === 'replicated') global.x = () => (ui.dialog = { kind: 'scale', serviceId: service.id });
    if (running && service.ports.some((p) => p.publishedPort !== undefined && p.protocol === 'tcp')) global.T = () => void actions.sendTraffic(service.id);
  }
  if (node) {
    const machine = node.machine ? store.machines.get(node.machine) : undefined;
    for (const item of actions.nodeActions(node, machine)) if (item.key) global[item.key] = item.run;
  }
  const run = global[e.key];
  if (run) {
    e.preventDefault();
    run();
  }
}
