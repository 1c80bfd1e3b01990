// Whether this host can give machines network namespaces: Linux, root, and the ip command. Asked
// before anything of a netns machine is made, so a refusal leaves nothing to clean up.

import { MachineError } from '../errors.ts';
import { findTool } from './command.ts';

export const NETNS_NEEDS_ROOT = '--isolation netns needs root on Linux (it creates network namespaces); use --isolation process';

export interface Host {
  platform: NodeJS.Platform;
  uid: number | undefined;
  hasIp: boolean;
}

export function thisHost(): Host {
  return { platform: process.platform, uid: process.getuid?.(), hasIp: findTool('ip') !== undefined };
}

/** Why netns isolation cannot work here, or undefined when it can. */
export function netnsUnsupported(host: Host = thisHost()): string | undefined {
  if (host.platform !== 'linux' || host.uid !== 0) return NETNS_NEEDS_ROOT;
  if (!host.hasIp) return '--isolation netns needs the ip command, which is not installed: apt-get install iproute2 (or use --isolation process)';
  return undefined;
}

export function assertNetnsSupported(host?: Host): void {
  const why = netnsUnsupported(host);
  if (why) throw new MachineError(why);
}
