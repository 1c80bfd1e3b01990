// Opens the web mode's address in the user's browser where there is a desktop to open it on. Never
// fails: the address is printed anyway, and a server or a container has no browser.

import { spawn } from 'node:child_process';
import { hasDisplay } from '../electron/find-electron.ts';

export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (!hasDisplay(env, platform)) return false;
  const [cmd, args] =
    platform === 'darwin' ? ['open', [url]] : platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore', env, windowsHide: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
