/**
 * The cluster as the CLI reaches it: a KubeClient for a kubeconfig that fails fast (a command line should not
 * retry for a minute against a cluster that is not there), and REST paths for kinds the library does not know,
 * found through API discovery (an author's custom resources in dist/).
 */
import { type KindInfo, lookupKind, registerKind } from '../constructs/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { CliError } from './errors.js';

/** The phases of a WorkshopSession that has ended or is ending: it gets no dashboard and no new content. */
export const ENDED_PHASES: ReadonlySet<string> = new Set(['Terminating', 'Failed', 'Expired']);

/** The kubeconfig context chosen with `--context` (set once per run, before the command's action). */
let chosenContext: string | undefined;

/** Chooses the kubeconfig context every later connect() uses (the `--context` option of every cluster command). */
export function useContext(name: string | undefined): void {
  chosenContext = name;
}

/** The context chosen with `--context`, if any. */
export function contextChoice(): string | undefined {
  return chosenContext;
}

/**
 * A client for the kubeconfig file (or $KUBECONFIG, ~/.kube/config) and its current context (or `context`, else the
 * one chosen with `--context`), after checking the cluster answers.
 */
export async function connect(kubeconfig?: string, context = chosenContext): Promise<KubeClient> {
  const { KubeClient } = await import('../runtime/kube-client.js');
  const { KubeConfig } = await import('@kubernetes/client-node');
  if (!kubeconfig && !process.env.KUBECONFIG && !process.env.KUBERNETES_SERVICE_HOST) {
    const { existsSync } = await import('node:fs');
    const { homedir } = await import('node:os');
    if (!existsSync(`${homedir()}/.kube/config`)) {
      // otherwise client-node falls back to http://localhost:8080 and the error is about that address
      throw new CliError("no kubeconfig: export KUBECONFIG=<file> (scripts/cluster/up.sh prints the local cluster's) or pass --kubeconfig <file>");
    }
  }
  let client: KubeClient;
  const source = kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config';
  try {
    const config = new KubeConfig();
    if (kubeconfig) config.loadFromFile(kubeconfig);
    else config.loadFromDefault();
    if (context !== undefined) {
      if (!config.getContextObject(context)) {
        const known = config.getContexts().map((c) => c.name);
        throw new CliError(`--context '${context}': the kubeconfig ${source} has no such context (it has: ${known.join(', ') || 'none'})`);
      }
      config.setCurrentContext(context);
    }
    client = new KubeClient(config);
  } catch (error) {
    if (error instanceof CliError) throw error;
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

/**
 * What the library knows about a kind, else what the API server's discovery says (then remembered); `waitMs` is how
 * long to keep asking when the kind comes from a CRD applied a moment ago.
 */
export async function resolveKind(client: KubeClient, apiVersion: string, kind: string, waitMs = 0): Promise<KindInfo> {
  const known = lookupKind(apiVersion, kind);
  if (known) return known;
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  // Discovery lags a CRD that has just become Established by a moment: look again for a while before giving up.
  const deadline = Date.now() + waitMs;
  for (;;) {
    let resources: Array<{ name: string; kind: string; namespaced: boolean }> | undefined;
    try {
      resources = (await client.request<{ resources?: typeof resources }>('GET', path)).resources;
    } catch {
      resources = undefined;
    }
    const resource = resources?.find((r) => r.kind === kind && !r.name.includes('/'));
    if (resource) {
      const info = { resource: resource.name, namespaced: resource.namespaced };
      registerKind(apiVersion, kind, info);
      return info;
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        resources
          ? `the cluster serves ${apiVersion} but no kind ${kind}`
          : `the cluster does not serve ${apiVersion}: is the CustomResourceDefinition for ${kind} installed?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The server's own words from a KubeError ("PATCH /apis/...: 422 Invalid: <message>" → "Invalid: <message>"). */
export function serverMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[A-Z]+ \/\S*: (\d{3} )?/, '');
}
