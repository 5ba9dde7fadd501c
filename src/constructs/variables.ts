/**
 * Session and environment variables: `$(name)` placeholders in templates, and the one substitution function that
 * both synthesis (environment values) and the runtime (session values) use.
 *
 * Semantics follow Educates so that existing workshops carry over: a literal replacement of `$(key)` for every
 * known key, repeated while something changes (at most 6 passes, so values may contain variables), unknown
 * `$(...)` left untouched, and a value that is exactly `$(base64(...))` base64-encoded after substitution.
 */

/** A placeholder string for the variable `name`. */
export function variable(name: string): string {
  return `$(${name})`;
}

/**
 * Variables known when an environment is synthesized for a portal: they are replaced at synth time, so the
 * blueprint in dist/ carries concrete values for them.
 */
export const ENVIRONMENT_VARIABLES = [
  'workshop_name',
  'workshop_version',
  'workshop_image',
  'workshop_image_pull_policy',
  'environment_name',
  'workshop_namespace',
  'training_portal',
  'portal_namespace',
  'platform_arch',
  'image_repository',
  'assets_repository',
  'oci_image_cache',
  'cluster_domain',
  'ingress_domain',
  'ingress_protocol',
  'ingress_port',
  'ingress_port_suffix',
  'ingress_secret',
  'ingress_class',
  'storage_class',
] as const;

/**
 * Variables only a running session has: they stay as placeholders in the blueprint and the runtime fills them in
 * when it creates a session (reference: Educates session variables, plus the ones this project adds).
 */
export const SESSION_VARIABLES = [
  'session_id',
  'session_name',
  'session_namespace',
  'session_namespace_uid',
  'workshop_session_uid',
  'service_account',
  'session_url',
  'session_hostname',
  'services_password',
  'config_password',
  'ssh_private_key',
  'ssh_public_key',
  'ssh_keys_secret',
  'registry_host',
  'registry_username',
  'registry_password',
  'registry_auth_token',
  'registry_htpasswd',
  'registry_secret',
  'git_protocol',
  'git_host',
  'git_username',
  'git_password',
  'git_auth_token',
] as const;

export type EnvironmentVariableName = (typeof ENVIRONMENT_VARIABLES)[number];
export type SessionVariableName = (typeof SESSION_VARIABLES)[number];

/** Every variable name a session template may use. */
export const ALL_VARIABLES: ReadonlySet<string> = new Set<string>([...ENVIRONMENT_VARIABLES, ...SESSION_VARIABLES]);

/**
 * Typed accessors for the variables of a session; each returns the `$(name)` placeholder that the runtime replaces.
 *
 * @example new kplus.Ingress(session, 'app', { rules: [{ host: `app-${session.vars.sessionName}.${session.vars.ingressDomain}` ... }] })
 */
export class SessionVariables {
  /** Short id of the session within its environment, e.g. `x7k2p`. */
  public readonly sessionId = variable('session_id');
  /** Name of the session; also the name of its WorkshopSession object and its primary namespace. */
  public readonly sessionName = variable('session_name');
  /** The session's primary namespace. */
  public readonly sessionNamespace = variable('session_namespace');
  /** UID of the session namespace (owner of the session's objects outside it). */
  public readonly sessionNamespaceUid = variable('session_namespace_uid');
  /** UID of the WorkshopSession object. */
  public readonly workshopSessionUid = variable('workshop_session_uid');
  /** The session's ServiceAccount, in the environment namespace beside the workshop pod (bound into the session namespaces). */
  public readonly serviceAccount = variable('service_account');
  /** URL of the session dashboard. */
  public readonly sessionUrl = variable('session_url');
  /** Host name of the session dashboard. */
  public readonly sessionHostname = variable('session_hostname');
  /** A random password for services in the session (files, uploads, git). */
  public readonly servicesPassword = variable('services_password');
  /** A random password for the session's configuration endpoints. */
  public readonly configPassword = variable('config_password');
  /** SSH key pair of the session and the Secret that holds it. */
  public readonly sshPrivateKey = variable('ssh_private_key');
  public readonly sshPublicKey = variable('ssh_public_key');
  public readonly sshKeysSecret = variable('ssh_keys_secret');
  /** Per-session image registry (ImageRegistry capability). */
  public readonly registryHost = variable('registry_host');
  public readonly registryUsername = variable('registry_username');
  public readonly registryPassword = variable('registry_password');
  public readonly registryAuthToken = variable('registry_auth_token');
  /** The registry's htpasswd line for the session's credentials (bcrypt). */
  public readonly registryHtpasswd = variable('registry_htpasswd');
  public readonly registrySecret = variable('registry_secret');
  /** Per-session Git server (GitServer capability). */
  public readonly gitProtocol = variable('git_protocol');
  public readonly gitHost = variable('git_host');
  public readonly gitUsername = variable('git_username');
  public readonly gitPassword = variable('git_password');
  public readonly gitAuthToken = variable('git_auth_token');
  /** Values of the environment the session belongs to. */
  public readonly workshopName = variable('workshop_name');
  public readonly workshopVersion = variable('workshop_version');
  public readonly workshopImage = variable('workshop_image');
  public readonly environmentName = variable('environment_name');
  public readonly workshopNamespace = variable('workshop_namespace');
  public readonly trainingPortal = variable('training_portal');
  public readonly imageRepository = variable('image_repository');
  public readonly clusterDomain = variable('cluster_domain');
  public readonly ingressDomain = variable('ingress_domain');
  public readonly ingressProtocol = variable('ingress_protocol');
  public readonly ingressPort = variable('ingress_port');
  public readonly ingressPortSuffix = variable('ingress_port_suffix');
  public readonly ingressSecret = variable('ingress_secret');
  public readonly ingressClass = variable('ingress_class');
  public readonly storageClass = variable('storage_class');

  /** A host name for the session: `<prefix>-<session_name>.<ingress_domain>`. */
  public hostFor(prefix: string): string {
    return `${prefix}-${this.sessionName}.${this.ingressDomain}`;
  }
}

/** Typed accessors for the variables of a workshop environment, replaced when the environment is synthesized. */
export class EnvironmentVariables {
  public readonly workshopName = variable('workshop_name');
  public readonly workshopVersion = variable('workshop_version');
  public readonly environmentName = variable('environment_name');
  public readonly workshopNamespace = variable('workshop_namespace');
  public readonly trainingPortal = variable('training_portal');
  public readonly portalNamespace = variable('portal_namespace');
  public readonly imageRepository = variable('image_repository');
  public readonly clusterDomain = variable('cluster_domain');
  public readonly ingressDomain = variable('ingress_domain');
  public readonly ingressProtocol = variable('ingress_protocol');
  public readonly ingressSecret = variable('ingress_secret');
  public readonly ingressClass = variable('ingress_class');
  public readonly storageClass = variable('storage_class');
}

const REFERENCE = /\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)/g;
const BASE64 = /^\$\(base64\(([\s\S]*)\)\)$/;
const MAX_PASSES = 6;

/** The names of all `$(name)` references in `text`, in order of first appearance. */
export function referencedVariables(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text.matchAll(REFERENCE)) seen.add(match[1]);
  return [...seen];
}

/** Replaces every known `$(name)` in one string (see the module doc for the exact rules). */
export function substituteString(text: string, values: Readonly<Record<string, string>>): string {
  if (!text.includes('$(')) return text;
  let result = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = result.replace(REFERENCE, (whole, name: string) => (Object.hasOwn(values, name) ? values[name] : whole));
    if (next === result) break;
    result = next;
  }
  const b64 = BASE64.exec(result);
  if (b64 && !b64[1].includes('$(')) result = Buffer.from(b64[1], 'utf8').toString('base64');
  return result;
}

/**
 * Returns a deep copy of `value` with variables substituted in every string, keys included.
 * Objects, arrays and scalars keep their shapes; nothing is mutated.
 */
export function substituteVariables<T>(value: T, values: Readonly<Record<string, string>>): T {
  return substituteAny(value, values) as T;
}

function substituteAny(value: unknown, values: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return substituteString(value, values);
  if (Array.isArray(value)) return value.map((item) => substituteAny(item, values));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[substituteString(key, values)] = substituteAny(item, values);
    return out;
  }
  return value;
}
