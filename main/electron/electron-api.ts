// The few parts of Electron's API that swarmlab uses, typed here: the `electron` package cannot be
// installed on every machine (its binary is downloaded by an install script), so it is no
// dependency, and the shell loads it at run time inside Electron, where it is built in.

export interface WebFrameLike {
  url: string;
  /** null for a window's top frame. */
  parent: unknown;
}

export interface WebContentsLike {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', listener: (e: { preventDefault(): void }, ...rest: unknown[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface IpcMainEventLike {
  senderFrame: WebFrameLike | null;
  sender: WebContentsLike;
}

export interface IpcMainLike {
  handle(channel: string, handler: (event: IpcMainEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export interface WebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  spellcheck: false;
}

export interface BrowserWindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  show: boolean;
  backgroundColor: string;
  autoHideMenuBar: boolean;
  webPreferences: WebPreferences;
}

export interface BrowserWindowLike {
  webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
}

type PermissionCallback = (granted: boolean) => void;

export interface ElectronMain {
  app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'before-quit', listener: () => void): unknown;
    on(event: 'web-contents-created', listener: (e: unknown, contents: WebContentsLike) => void): unknown;
    quit(): void;
    exit(code?: number): void;
    enableSandbox(): void;
    setName(name: string): void;
  };
  BrowserWindow: new (options: BrowserWindowOptions) => BrowserWindowLike;
  ipcMain: IpcMainLike;
  shell: { openExternal(url: string): Promise<void> };
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void;
    handle(scheme: string, handler: (request: { url: string; method: string }) => Response | Promise<Response>): void;
  };
  session: {
    defaultSession: {
      setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: PermissionCallback) => void): void;
      setPermissionCheckHandler(handler: (contents: unknown, permission: string) => boolean): void;
    };
  };
}

export interface ElectronPreload {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: IpcRendererLike;
}
