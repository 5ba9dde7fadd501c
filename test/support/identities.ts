// Kubeconfigs that authenticate as someone other than the admin: tests use them to act as the portal or as a learner
// and show that the cluster refuses what that identity must not do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** How long a test token lives; the API server's minimum is 10 minutes. */
const TOKEN_SECONDS = 3600;

/** One folder per test file for the kubeconfigs it writes (see `removeServiceAccountKubeconfigs`). */
let folder: string | undefined;
function kubeconfigFolder(): string {
  folder ??= fs.mkdtempSync(path.join(os.tmpdir(), 'sa-kubeconfig-'));
  return folder;
}

/** Removes every kubeconfig `serviceAccountKubeconfig` wrote in this test file: call it in `afterAll`. */
export function removeServiceAccountKubeconfigs(): void {
  if (folder) fs.rmSync(folder, { recursive: true, force: true });
  folder = undefined;
}

/**
 * Writes a kubeconfig that authenticates as ServiceAccount `namespace/name` with a token from the TokenRequest API,
 * against the same server and CA as the admin kubeconfig, and returns its path (a file of its own, mode 0600, in a
 * temporary folder that `removeServiceAccountKubeconfigs` removes). The ServiceAccount must exist.
 */
export async function serviceAccountKubeconfig(namespace: string, name: string, adminKubeconfig = process.env.KUBECONFIG!): Promise<string> {
  if (!adminKubeconfig) throw new Error('serviceAccountKubeconfig: no admin kubeconfig (set KUBECONFIG)');
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`serviceAccountKubeconfig: ${adminKubeconfig} has no current cluster`);

  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`serviceAccountKubeconfig: the TokenRequest for ${namespace}/${name} returned no token`);

  const clusterEntry: Record<string, unknown> = { server: cluster.server };
  if (cluster.caData) clusterEntry['certificate-authority-data'] = cluster.caData;
  else if (cluster.caFile) clusterEntry['certificate-authority-data'] = fs.readFileSync(cluster.caFile).toString('base64');
  if (cluster.skipTLSVerify) clusterEntry['insecure-skip-tls-verify'] = true;
  if (cluster.tlsServerName) clusterEntry['tls-server-name'] = cluster.tlsServerName;

  const user = `system:serviceaccount:${namespace}:${name}`;
  const file = path.join(fs.mkdtempSync(path.join(kubeconfigFolder(), `${namespace}.${name}-`)), 'kubeconfig');
  // JSON is YAML: client-node and kubectl read it as a kubeconfig
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'cluster', cluster: clusterEntry }],
        users: [{ name: user, user: { token } }],
        contexts: [{ name: user, context: { cluster: 'cluster', user, namespace } }],
        'current-context': user,
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
  return file;
}
