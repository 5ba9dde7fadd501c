/**
 * A learner's request made real: the objects of the environment's `request.objects` (Educates' WorkshopAllocation
 * behaviour), created once a session is allocated, with the session's variables and the request's parameters filled
 * in. They live in the session's namespaces or are owned by its primary namespace (synthesis sees to that), so they
 * go when the session goes.
 *
 * Parameter values may come from a REST client: they are put in as string content only (JSON-escaped, one pass, no
 * variables expanded inside them), so a value can neither add fields to an object nor pull a session secret in.
 */
import { lookupKind, type Manifest } from '../constructs/index.js';
import type { KubeClient } from './kube-client.js';
import { Priority } from './pacer.js';
import type { WorkshopSession } from './session.js';
import { type SessionSecrets, sessionValues } from './session-variables.js';
import type { WorkshopEnvironment } from './state.js';

const REFERENCE = /\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)/g;
const BASE64 = /^\$\(base64\(([\s\S]*)\)\)$/;

/** The `request.objects` of an environment (empty when it has none). */
export function requestObjectsOf(environment: WorkshopEnvironment): Manifest[] {
  const objects = (environment.spec.request as { objects?: unknown } | undefined)?.objects;
  return Array.isArray(objects) ? (objects as Manifest[]) : [];
}

/**
 * Fills in request objects: session variables first (values the runtime made, which may themselves hold
 * variables, as everywhere), then the parameters in one pass, then `$(base64(...))` of whole values. Unknown
 * `$(...)` stay as they are.
 */
export function renderRequestObjects(
  objects: Manifest[],
  session: Readonly<Record<string, string>>,
  parameters: Readonly<Record<string, string>>,
): Manifest[] {
  const fill = (text: string): string => {
    if (!text.includes('$(')) return text;
    let result = text;
    for (let pass = 0; pass < 6; pass++) {
      const next = result.replace(REFERENCE, (whole, name: string) => (Object.hasOwn(session, name) ? session[name] : whole));
      if (next === result) break;
      result = next;
    }
    // one pass, left to right: a parameter's value is never searched for variables (nor for `$(base64(`)
    const put = (t: string) => t.replace(REFERENCE, (whole, name: string) => (Object.hasOwn(parameters, name) ? parameters[name] : whole));
    const b64 = BASE64.exec(result);
    if (b64 && !b64[1].replace(REFERENCE, (whole, name: string) => (Object.hasOwn(parameters, name) ? '' : whole)).includes('$(')) {
      return Buffer.from(put(b64[1]), 'utf8').toString('base64');
    }
    return put(result);
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return fill(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [fill(key), walk(item)]));
    }
    return value;
  };
  return objects.map((object) => walk(object) as Manifest);
}

export interface ApplyRequestObjectsOptions {
  /** The session's generated secrets, for objects that use them (read only when one does). */
  readonly secrets: () => Promise<SessionSecrets>;
  /**
   * UID of the session's primary namespace (owner of request objects outside the session's namespaces).
   * @default - read from the API server when an object needs it
   */
  readonly namespaceUid?: string;
  /** @default Priority.INTERACTIVE: a learner waits for their session */
  readonly priority?: Priority;
}

/**
 * Creates (server-side applies) the environment's request objects for an allocated session, cluster-scoped ones
 * first; returns what was applied. Throws on the first refusal: the caller tries again later, and applying is
 * idempotent.
 */
export async function applyRequestObjects(
  client: KubeClient,
  session: WorkshopSession,
  environment: WorkshopEnvironment,
  parameters: Readonly<Record<string, string>>,
  options: ApplyRequestObjectsOptions,
): Promise<Manifest[]> {
  const objects = requestObjectsOf(environment);
  if (!objects.length) return [];
  const needed = new Set([...JSON.stringify(objects).matchAll(REFERENCE)].map((m) => m[1]));
  const secretNames: Array<keyof SessionSecrets> = ['services_password', 'config_password', 'registry_password', 'ssh_private_key', 'ssh_public_key'];
  const derived = ['registry_auth_token', 'registry_htpasswd', 'git_password', 'git_auth_token'];
  const usesSecrets = [...needed].some((name) => (secretNames as string[]).includes(name) || derived.includes(name));
  const secrets = usesSecrets
    ? await options.secrets()
    : { services_password: '', config_password: '', registry_password: '', ssh_private_key: '', ssh_public_key: '' };
  let namespaceUid = options.namespaceUid;
  if (!namespaceUid && needed.has('session_namespace_uid')) {
    const namespace = await client.get<Manifest>('v1', 'Namespace', session.metadata.name);
    if (!namespace?.metadata.uid)
      throw new Error(`the namespace of session ${session.metadata.name} does not exist: its request objects wait for it`);
    namespaceUid = String(namespace.metadata.uid);
  }
  const values = await sessionValues(
    {
      environmentName: session.spec.environment,
      sessionId: session.spec.id,
      workshopSessionUid: String(session.metadata.uid ?? ''),
      sessionNamespaceUid: namespaceUid,
      ingressDomain: environment.spec.portal.ingressDomain,
      ingressProtocol: environment.spec.portal.ingressProtocol,
    },
    secrets,
    needed,
  );
  const declared = new Set((environment.spec.request?.parameters ?? []).map((p) => p.name));
  const onlyDeclared = Object.fromEntries(Object.entries(parameters).filter(([name]) => declared.has(name)));
  const rendered = renderRequestObjects(objects, values, onlyDeclared);
  // synthesis leaves no namespace on cluster-scoped objects (also of kinds only the author's app registered)
  const clusterScoped = rendered.filter((o) => !o.metadata.namespace || lookupKind(o.apiVersion, o.kind)?.namespaced === false);
  const namespaced = rendered.filter((o) => !clusterScoped.includes(o));
  const priority = options.priority ?? Priority.INTERACTIVE;
  for (const object of [...clusterScoped, ...namespaced]) await client.apply(object, { priority });
  return [...clusterScoped, ...namespaced];
}
