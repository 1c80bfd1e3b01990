// SwarmKit expands Go-template placeholders in a container's Env and Hostname on the node, so
// `--hostname "{{.Node.Hostname}}-{{.Task.Slot}}"` or `-e NODE={{.Node.ID}}` work as in the
// Docker tutorials. The placeholders are plain fields; pipelines and functions are not supported.

export interface TemplateContext {
  Service: { ID: string; Name: string };
  Node: { ID: string; Hostname: string; Platform: { OS: string; Architecture: string } };
  Task: { ID: string; Name: string; Slot: string };
}

const ACTION = /\{\{(.*?)\}\}/g;

/** Expands every {{.Field.Path}}; throws with Docker's prefix ("expanding env failed: ...") on others. */
export function expandTemplate(text: string, ctx: TemplateContext, what: 'env' | 'hostname'): string {
  return text.replace(ACTION, (action: string, inner: string) => {
    const path = inner.trim();
    if (!/^(\.[A-Za-z]\w*)+$/.test(path)) throw new Error(`expanding ${what} failed: template: unsupported action ${action}`);
    let value: unknown = ctx;
    for (const field of path.slice(1).split('.')) {
      if (typeof value !== 'object' || value === null || !(field in value)) {
        throw new Error(`expanding ${what} failed: template: can't evaluate field ${field} in ${action}`);
      }
      value = (value as Record<string, unknown>)[field];
    }
    if (typeof value === 'object') throw new Error(`expanding ${what} failed: template: ${action} is not a value`);
    return String(value);
  });
}
