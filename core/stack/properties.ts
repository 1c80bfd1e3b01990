// Compose keys the stack deployer does not turn into the service, sorted as docker/cli sorts them
// (cli/compose/types: UnsupportedProperties, DeprecatedProperties, ForbiddenProperties), plus those
// the docker CLI converts but swarmlab does not model. None is dropped silently: the first two and
// the last make warnings, forbidden ones an error.

/** `docker stack deploy`: "Ignoring unsupported options: build, links". */
export const UNSUPPORTED = [
  'build',
  'cap_add',
  'cap_drop',
  'cgroup_parent',
  'devices',
  'domainname',
  'external_links',
  'ipc',
  'links',
  'mac_address',
  'network_mode',
  'pid',
  'privileged',
  'restart',
  'security_opt',
  'shm_size',
  'sysctls',
  'ulimits',
  'userns_mode',
] as const;

/** "Ignoring deprecated options:" with the reason. */
export const DEPRECATED: Record<string, string> = {
  container_name: 'Setting the container name is not supported.',
  expose: "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
};

/** docker refuses the file: "Compose file contains unsupported options". */
export const FORBIDDEN: Record<string, string> = {
  extends: 'Support for `extends` is not implemented yet.',
  volume_driver: 'Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.',
  volumes_from:
    'To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.',
  cpu_quota: 'Set resource limits using deploy.resources',
  cpu_shares: 'Set resource limits using deploy.resources',
  cpuset: 'Set resource limits using deploy.resources',
  mem_limit: 'Set resource limits using deploy.resources',
  memswap_limit: 'Set resource limits using deploy.resources',
};

/** Service keys of the 3.x format that docker converts and swarmlab's tasks have no use for. */
export const NOT_MODELLED = [
  'credential_spec',
  'depends_on',
  'dns',
  'dns_search',
  'extra_hosts',
  'healthcheck',
  'init',
  'isolation',
  'logging',
  'stdin_open',
  'tmpfs',
  'tty',
  'volumes',
] as const;

/** Top-level keys of the same kind. */
export const TOP_NOT_MODELLED = ['volumes'] as const;

/** The keys a `restart` (not `deploy.restart_policy`) is still converted from, as docker/cli does. */
export const CONVERTED_ANYWAY = ['restart'] as const;
