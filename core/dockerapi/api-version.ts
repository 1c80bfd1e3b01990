// Engine API versions: paths may start with /v<major>.<minor>; without one a request gets the
// newest version served. Versions outside the range get Docker's own refusal (400).

import { ApiError } from './errors.ts';

export const MIN_API_VERSION = '1.24';
export const MAX_API_VERSION = '1.50';

const PREFIX = /^\/v(\d+)\.(\d+)(?=\/|$)/;

function parts(v: string): [number, number] {
  const [major = 0, minor = 0] = v.split('.').map((p) => Number.parseInt(p, 10));
  return [major, minor];
}

export function compareVersions(a: string, b: string): number {
  const [am, an] = parts(a);
  const [bm, bn] = parts(b);
  return am !== bm ? am - bm : an - bn;
}

export const versionAtLeast = (v: string, min: string) => compareVersions(v, min) >= 0;

/** The API version a path asks for, and the path without its version prefix. */
export function splitVersion(path: string): { version: string; path: string } {
  const m = PREFIX.exec(path);
  if (!m) return { version: MAX_API_VERSION, path };
  const version = `${Number(m[1])}.${Number(m[2])}`;
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw ApiError.badRequest(
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  if (compareVersions(version, MAX_API_VERSION) > 0) {
    throw ApiError.badRequest(`client version ${version} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  }
  return { version, path: path.slice(m[0].length) || '/' };
}
