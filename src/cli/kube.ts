/**
 * The cluster as the CLI reaches it: a KubeClient for a kubeconfig that fails fast (a command line should not
 * retry for a minute against a cluster that is not there), and REST paths for kinds the library does not know,
 * found through API discovery (an author's custom resources in dist/).
 */
import { KindInfo, lookupKind, registerKind } from '../constructs/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { CliError } from './errors.js';

/** A client for the kubeconfig file (or $KUBECONFIG, ~/.kube/config), after checking the cluster answers. */
export async function connect(kubeconfig?: string): Promise<KubeClient> {
  const { KubeClient } = await import('../runtime/kube-client.js');
  let client: KubeClient;
  try {
    client = KubeClient.fromKubeconfig(kubeconfig);
  } catch (error) {
    throw new CliError(`cannot use the kubeconfig ${kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config'}: ${(error as Error).message}`);
  }
  try {
    await client.withOptions({ retryForMs: 2_000 }).request('GET', '/version');
  } catch (error) {
    await client.close();
    throw new CliError(`cannot reach the cluster at ${client.server}: ${(error as Error).message.replace(/^GET \/version: /, '')}`);
  }
  return client.withOptions({ retryForMs: 15_000 });
}

/** What the library knows about a kind, else what the API server's discovery says (then remembered). */
export async function resolveKind(client: KubeClient, apiVersion: string, kind: string): Promise<KindInfo> {
  const known = lookupKind(apiVersion, kind);
  if (known) return known;
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let list: { resources?: Array<{ name: string; kind: string; namespaced: boolean }> };
  try {
    list = await client.request('GET', path);
  } catch {
    throw new CliError(`the cluster does not serve ${apiVersion}: is the CustomResourceDefinition for ${kind} installed?`);
  }
  const resource = list.resources?.find((r) => r.kind === kind && !r.name.includes('/'));
  if (!resource) throw new CliError(`the cluster serves ${apiVersion} but no kind ${kind}`);
  const info = { resource: resource.name, namespaced: resource.namespaced };
  registerKind(apiVersion, kind, info);
  return info;
}

/** The server's own words from a KubeError ("PATCH /apis/...: 422 Invalid: <message>" → "Invalid: <message>"). */
export function serverMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[A-Z]+ \/\S*: (\d{3} )?/, '');
}
