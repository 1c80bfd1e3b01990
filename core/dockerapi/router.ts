// A route table: method and path pattern to handler. `{name}` matches one path segment,
// `{name+}` one or more (image names have slashes).

import type { Handler } from './context.ts';
import { ApiError } from './errors.ts';

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const source = path.replace(/[.*?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\+?)\}/g, (_m, name: string, many: string) => {
      names.push(name);
      return many ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          throw ApiError.badRequest(`invalid ${name} in the path: ${JSON.stringify(m[i + 1])} is not valid percent-encoding`);
        }
      });
      return { handler: r.handler, params };
    }
    return undefined;
  }
}
