// What the window shows besides the lab itself: selection, the open panel and dialog, the context
// menu, console tabs, toasts, and the presenter's preferences (kept across reloads).

export type Panel = 'services' | 'node' | 'timeline' | 'logs';

export type Dialog =
  | { kind: 'create-service' }
  | { kind: 'update-service'; serviceId: string }
  | { kind: 'scale'; serviceId: string }
  | { kind: 'new-lab' }
  | { kind: 'help' }
  | { kind: 'deploy-stack' }
  | { kind: 'confirm'; title: string; message: string; reason?: string; confirm: string; danger: boolean; run: () => Promise<void> | void };

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface ConsoleTab {
  key: string;
  machine: string;
}

function pref(name: string): boolean {
  try {
    return localStorage.getItem(`swarmlab.${name}`) === '1';
  } catch {
    return false;
  }
}

function savePref(name: string, on: boolean): void {
  try {
    localStorage.setItem(`swarmlab.${name}`, on ? '1' : '0');
  } catch {
    // file:// in some shells has no storage: preferences just do not persist.
  }
}

export class Ui {
  selectedNodeId: string | undefined = $state();
  selectedServiceId: string | undefined = $state();
  panel: Panel = $state('services');
  dialog: Dialog | undefined = $state();
  menu: { nodeId: string; x: number; y: number } | undefined = $state();
  consoles: ConsoleTab[] = $state([]);
  activeConsole: string | undefined = $state();
  dockOpen = $state(false);
  large = $state(pref('large'));
  light = $state(pref('light'));
  /** The topology's Networks overlay (o), and whether it draws the ingress network too. */
  networks = $state(pref('networks'));
  ingress = $state(false);
  toasts: Toast[] = $state([]);
  private toastId = 0;

  constructor() {
    $effect.root(() => {
      $effect(() => {
        document.documentElement.classList.toggle('large', this.large);
        savePref('large', this.large);
      });
      $effect(() => {
        savePref('networks', this.networks);
      });
      $effect(() => {
        document.documentElement.classList.toggle('light', this.light);
        savePref('light', this.light);
      });
    });
  }

  toast(text: string, kind: Toast['kind'] = 'info'): void {
    const id = ++this.toastId;
    this.toasts.push({ id, kind, text });
    setTimeout(() => this.dismiss(id), kind === 'error' ? 9000 : 4000);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  selectNode(id: string | undefined): void {
    this.selectedNodeId = id;
    if (id) this.panel = 'node';
  }

  openConsole(machine: string): void {
    let tab = this.consoles.find((c) => c.machine === machine);
    if (!tab) {
      tab = { key: `${machine}#${Date.now()}`, machine };
      this.consoles.push(tab);
    }
    this.activeConsole = tab.key;
    this.dockOpen = true;
  }

  closeConsole(key: string): void {
    const i = this.consoles.findIndex((c) => c.key === key);
    if (i < 0) return;
    this.consoles.splice(i, 1);
    if (this.activeConsole === key) this.activeConsole = this.consoles[Math.max(0, i - 1)]?.key;
    if (this.consoles.length === 0) this.dockOpen = false;
  }
}
