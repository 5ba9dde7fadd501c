/**
 * Creates a session's objects from its environment's blueprint: the primary namespace first (owned by the
 * WorkshopSession), then the secondary namespaces (owned by the primary), then in each the RoleBinding that gives
 * the portal its rights there, then cluster-scoped objects, then the namespaced objects a few at a time (the
 * workshop pod's among them, in the environment namespace), then the Secrets the workshop copies in.
 */
import { type CompiledBlueprint, lookupKind, type Manifest, PORTAL_ACCESS_BINDING } from '../constructs/index.js';
import { type KubeClient, KubeError } from './kube-client.js';
import type { Priority } from './pacer.js';
import { type SessionIdentity, type SessionSecrets, sessionValues } from './session-variables.js';

export interface ApplySessionOptions {
  /** Most requests in flight at once for one session. @default 8 */
  readonly concurrency?: number;
  /** @default Priority.BACKGROUND */
  readonly priority?: Priority;
  /** Stops the work between requests (the replica stopped leading). */
  readonly signal?: AbortSignal;
  /**
   * How long after the portal's RoleBinding in a session namespace a refusal (403) is taken for the API server's
   * authorizer not having seen the binding yet, and retried. @default 10000
   */
  readonly rbacGraceMs?: number;
}

export interface AppliedSession {
  readonly sessionName: string;
  readonly namespaceUid: string;
  /** Every object applied, in order. */
  readonly objects: Manifest[];
}

/** Applies everything of one session; throws on the first object the API server refuses. */
export async function applySession(
  client: KubeClient,
  blueprint: CompiledBlueprint,
  identity: SessionIdentity,
  secrets: SessionSecrets,
  options: ApplySessionOptions = {},
): Promise<AppliedSession> {
  // The values once per session: they include a bcrypt hash (~50-250 ms of CPU); only the namespace's uid changes
  // between the two renders.
  const values = await sessionValues(identity, secrets, blueprint.variables);
  const first = blueprint.render(values);
  const sessionName = `${identity.environmentName}-${identity.sessionId}`;
  const primary = first.find((o) => o.kind === 'Namespace' && o.metadata.name === sessionName);
  if (!primary) throw new Error(`the blueprint of ${identity.environmentName} has no session namespace`);
  const priority = options.priority;
  const signal = options.signal;
  signal?.throwIfAborted();
  const applied = await createNamespace(client, primary, priority);
  const namespaceUid = String(applied.metadata.uid);

  const objects = blueprint.render({ ...values, session_namespace_uid: namespaceUid });
  const rest = objects.filter((o) => !(o.kind === 'Namespace' && o.metadata.name === sessionName));
  const namespaces = rest.filter((o) => o.kind === 'Namespace');
  const portalAccess = rest.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === PORTAL_ACCESS_BINDING);
  const clusterScoped = rest.filter((o) => o.kind !== 'Namespace' && lookupKind(o.apiVersion, o.kind)?.namespaced === false);
  const namespaced = rest.filter((o) => lookupKind(o.apiVersion, o.kind)?.namespaced !== false && !portalAccess.includes(o));

  await Promise.all(
    namespaces.map((o) => {
      signal?.throwIfAborted();
      return createNamespace(client, o, priority);
    }),
  );
  // The portal's rights in a session namespace come from a RoleBinding created with it; the API server's
  // authorizer sees a new binding a moment later, so a refusal in that moment is retried.
  await Promise.all(portalAccess.map((o) => client.apply(o, { priority })));
  const granted = Date.now();
  const grace = options.rbacGraceMs ?? 10_000;
  const apply = async (o: Manifest): Promise<Manifest> => {
    for (;;) {
      signal?.throwIfAborted();
      try {
        return await client.apply(o, { priority });
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 403 && portalAccess.length && Date.now() - granted < grace)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await Promise.all(clusterScoped.map(apply));
  await inBatches(namespaced, options.concurrency ?? 8, apply);
  signal?.throwIfAborted();
  await copySecrets(client, blueprint, sessionName, priority);
  return { sessionName, namespaceUid, objects: [primary, ...namespaces, ...portalAccess, ...clusterScoped, ...namespaced] };
}

/**
 * Creates a namespace, or takes the one a previous attempt created. Created, never patched: the portal may not
 * patch namespaces, so nobody can use it to change another namespace's labels (its Pod Security level among them).
 */
async function createNamespace(client: KubeClient, namespace: Manifest, priority?: Priority): Promise<Manifest> {
  try {
    return await client.create<Manifest>(namespace, { priority });
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 409)) throw error;
    const existing = await client.get<Manifest>('v1', 'Namespace', namespace.metadata.name);
    if (!existing) throw error;
    return existing;
  }
}

/** Copies the Secrets a blueprint declares into the session namespace. */
async function copySecrets(client: KubeClient, blueprint: CompiledBlueprint, sessionNamespace: string, priority?: Priority): Promise<void> {
  for (const ref of blueprint.blueprint.secrets) await copySecret(client, ref, sessionNamespace, priority);
}

/** Copies one Secret into another namespace, keeping its type and data; throws when the source is missing. */
export async function copySecret(
  client: KubeClient,
  ref: { name: string; namespace: string },
  targetNamespace: string,
  priority?: Priority,
): Promise<void> {
  const source = await client.get<Manifest & { type?: string; data?: Record<string, string> }>('v1', 'Secret', ref.name, ref.namespace);
  if (!source) throw new Error(`secret ${ref.namespace}/${ref.name}, which the workshop copies into ${targetNamespace}, does not exist`);
  await client.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, namespace: targetNamespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-workshops' } },
      type: source.type,
      data: source.data ?? {},
    },
    { priority },
  );
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(runners);
  return results;
}
