// The window's preload (sandboxed, so a CommonJS bundle with Electron's limited require): puts the
// LabApi bridge on window.swarmlab, where renderer/api/ipc-client.ts finds it.

import { labBridge } from './bridge.ts';
import type { ElectronPreload } from './electron-api.ts';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload has only require('electron').
const { contextBridge, ipcRenderer } = require('electron') as ElectronPreload;
contextBridge.exposeInMainWorld('swarmlab', labBridge(ipcRenderer));
