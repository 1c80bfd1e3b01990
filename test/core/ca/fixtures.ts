// Certificates shared by the CA tests: made once per file, since every test can reuse them.

import { createNodeKeyAndCSR, signNodeCSR, type NodeRole, type RootCA, type SignNodeOptions } from '../../../core/ca/index.ts';

export const CLUSTER_ID = 'c5wgd2d8z3dq1c6hfhgq7bz9a';

export interface NodeCreds {
  keyPem: string;
  certPem: string;
}

export async function issueNode(
  root: RootCA,
  nodeId: string,
  role: NodeRole,
  extra: Partial<SignNodeOptions> = {},
): Promise<NodeCreds> {
  const { keyPem, csrPem } = await createNodeKeyAndCSR();
  const certPem = await signNodeCSR(root, csrPem, { nodeId, role, clusterId: CLUSTER_ID, ...extra });
  return { keyPem, certPem };
}
