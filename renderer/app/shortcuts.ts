// The keyboard shortcuts, listed once: the help overlay shows this table, app/keys.ts acts on it.

export interface Shortcut {
  keys: string;
  what: string;
}

export const GLOBAL_SHORTCUTS: Shortcut[] = [
  { keys: '?', what: 'this help' },
  { keys: 'n', what: 'new service' },
  { keys: 'Shift+S', what: 'deploy a stack (compose file)' },
  { keys: 'w', what: 'add a worker' },
  { keys: 'm', what: 'add a manager' },
  { keys: '1 2 3 4', what: 'services, node, timeline, logs panel' },
  { keys: 'c', what: 'show or hide the consoles' },
  { keys: '0', what: 'fit the graph to the window' },
  { keys: 'o', what: 'show or hide the networks (which services share which overlay)' },
  { keys: 'i', what: 'include the ingress network (routing mesh) in the networks' },
  { keys: '+', what: 'large font (for projectors)' },
  { keys: 'b', what: 'light or dark theme' },
  { keys: 'Esc', what: 'close the dialog or menu, clear the selection' },
];

export const NODE_SHORTCUTS: Shortcut[] = [
  { keys: 't', what: 'open a console on it' },
  { keys: 'k', what: 'kill it' },
  { keys: 'r', what: 'restart it' },
  { keys: 's', what: 'start it (when stopped)' },
  { keys: 'p / h', what: 'partition it / heal it' },
  { keys: 'd / a', what: 'drain it / activate it' },
  { keys: 'Shift+F10', what: 'its context menu (right-click does the same)' },
];

export const SERVICE_SHORTCUTS: Shortcut[] = [
  { keys: 'u', what: 'rolling update of the selected service' },
  { keys: 'x', what: 'scale it' },
  { keys: 'Shift+T', what: 'send traffic to its published port (the round robin, live)' },
];
