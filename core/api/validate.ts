// Spec validation at the API boundary: every spec a client sends is checked here, and bad input
// gets one SpecError whose message says what was wrong and how to fix it, e.g.
// `invalid replicas: must be ≥ 0, got -1` or
// `unknown field "Replica" in Mode.Replicated (did you mean "Replicas"?)`.

export { SpecError } from './validate/fields.ts';
export { formatDuration } from './validate/format.ts';
export { validateServiceSpec } from './validate/service.ts';
export { validateNodeSpec } from './validate/node.ts';
export { validateClusterSpec } from './validate/cluster.ts';
export { validateNetworkSpec, type NetworkSpec } from './validate/network.ts';
export { validateSecretSpec, type SecretSpec } from './validate/secret.ts';
export { validateConfigSpec, type ConfigSpec } from './validate/config.ts';
