import { describe, expect, it } from 'vitest';
import { machineArgs, MachineFlagError, parseListen, splitMachineFlags, sshPaths } from '../../../vm/local/ssh-flags.ts';

describe('machine flags', () => {
  it('takes its own flags out and leaves swarmd the rest, in order', () => {
    const { machine, swarmd } = splitMachineFlags([
      '-d', '/m/state', '--ssh-listen', '127.0.0.5:2222', '--hostname', 'm1', '--machine-name=manager1', '--ssh-dir', '/m/ssh', '--inactive',
    ]);
    expect(swarmd).toEqual(['-d', '/m/state', '--hostname', 'm1', '--inactive']);
    expect(machine.sshListen).toEqual({ host: '127.0.0.5', port: 2222 });
    expect(machine.machineName).toBe('manager1');
    expect(machine.sshDir).toBe('/m/ssh');
  });

  it('parses IPv6 listen addresses and refuses bad ones', () => {
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('127.0.0.1')).toThrow(MachineFlagError);
    expect(() => parseListen('127.0.0.1:70000')).toThrow(MachineFlagError);
    expect(() => splitMachineFlags(['--ssh-dir'])).toThrow(/needs a value/);
  });

  it('puts the SSH files under the state dir and HOME in the machine dir by default', () => {
    const none = { sshListen: undefined, sshDir: undefined, sshAuthorizedKeys: undefined, sshHome: undefined, machineName: undefined };
    expect(sshPaths(none, '/m/state')).toEqual({ dir: '/m/state/ssh', authorizedKeys: '/m/state/ssh/authorized_keys', home: '/m/state' });
    expect(sshPaths({ ...none, sshDir: '/m/ssh' }, '/m/state')).toEqual({ dir: '/m/ssh', authorizedKeys: '/m/ssh/authorized_keys', home: '/m' });
  });

  it('writes flags that read back the same', () => {
    const flags = { sshListen: { host: '::1', port: 2201 }, sshDir: '/m/ssh', sshAuthorizedKeys: '/lab/keys/id_ed25519.pub', sshHome: '/m', machineName: 'manager1' };
    const { machine, swarmd } = splitMachineFlags([...machineArgs(flags), '--hostname', 'manager1']);
    expect(machine).toEqual(flags);
    expect(swarmd).toEqual(['--hostname', 'manager1']);
  });
});
