// Image references as Docker reads them: [registry/]path[:tag][@digest]. Docker Hub's spellings of
// one image ("alpine", "library/alpine", "docker.io/library/alpine") name the same thing, so they
// are reduced to the short form the catalog uses.

export interface ImageRef {
  /** Short form: "alpine", "swarmlab/whoami", or "registry.example:5000/x/y" for other registries. */
  name: string;
  tag?: string;
  digest?: string;
}

const HUB_DOMAINS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/** The parts of a reference, or undefined when it is not one Docker would accept. */
export function parseImageRef(reference: string): ImageRef | undefined {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  // The first component is a registry when it looks like a host, as in Docker's splitDockerDomain.
  let domain: string | undefined;
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) domain = parts.shift();
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return undefined;
  if (domain === undefined || HUB_DOMAINS.has(domain)) {
    if (parts.length > 1 && parts[0] === 'library') parts.shift();
    domain = undefined;
  }
  const name = domain === undefined ? parts.join('/') : `${domain}/${parts.join('/')}`;
  return { name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}
