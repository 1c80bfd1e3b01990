// The secrets and configs this node's tasks mount, as the dispatcher sends them: secrets appear
// under /run/secrets (or at an absolute target), configs at their target path (/NAME by default),
// as Docker mounts them. They are held in memory only, never written to the node's state.

import type { TaskObject } from '../api/objects.ts';
import type { FileAssignment } from '../dispatcher/protocol.ts';

export class FileMounts {
  private secrets = new Map<string, FileAssignment>();
  private configs = new Map<string, FileAssignment>();

  setSecrets(list: FileAssignment[]): void {
    this.secrets = new Map(list.map((f) => [f.id, f]));
  }

  setConfigs(list: FileAssignment[]): void {
    this.configs = new Map(list.map((f) => [f.id, f]));
  }

  /** The task's files by absolute path; a reference whose data has not arrived is left out. */
  files(task: TaskObject): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const r of task.Spec.ContainerSpec.Secrets ?? []) {
      const f = this.secrets.get(r.SecretID);
      if (!f) continue;
      const target = r.File?.Name ?? r.SecretName;
      out.set(target.startsWith('/') ? target : `/run/secrets/${target}`, Buffer.from(f.data, 'base64'));
    }
    for (const r of task.Spec.ContainerSpec.Configs ?? []) {
      const f = this.configs.get(r.ConfigID);
      if (!f) continue;
      const target = r.File?.Name ?? r.ConfigName;
      out.set(target.startsWith('/') ? target : `/${target}`, Buffer.from(f.data, 'base64'));
    }
    return out;
  }
}
