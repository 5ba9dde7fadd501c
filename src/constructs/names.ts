/**
 * Names shared by the library, the runtime and the portal: the API group of our custom resources, the label and
 * annotation keys we stamp on objects, and the checks that every Kubernetes name must pass.
 */

/** API group of the WorkshopEnvironment and WorkshopSession custom resources. */
export const API_GROUP = 'training.cdk8s-workshops.dev';
/** API version of the custom resources. */
export const API_VERSION = `${API_GROUP}/v1alpha1`;
/** Prefix of every label and annotation key this project writes. */
export const LABEL_PREFIX = `${API_GROUP}/`;

export const Labels = {
  COMPONENT: `${LABEL_PREFIX}component`,
  PORTAL: `${LABEL_PREFIX}portal.name`,
  WORKSHOP: `${LABEL_PREFIX}workshop.name`,
  ENVIRONMENT: `${LABEL_PREFIX}environment.name`,
  SESSION: `${LABEL_PREFIX}session.name`,
  POLICY: `${LABEL_PREFIX}policy.name`,
  CAPABILITY: `${LABEL_PREFIX}capability`,
  PSA_ENFORCE: 'pod-security.kubernetes.io/enforce',
  PSA_ENFORCE_VERSION: 'pod-security.kubernetes.io/enforce-version',
  PSA_WARN: 'pod-security.kubernetes.io/warn',
  PSA_AUDIT: 'pod-security.kubernetes.io/audit',
  MANAGED_BY: 'app.kubernetes.io/managed-by',
} as const;

export const Annotations = {
  SYNC_WAVE: 'argocd.argoproj.io/sync-wave',
  BUDGET: `${LABEL_PREFIX}budget`,
} as const;

/** The value of `app.kubernetes.io/managed-by` on everything we synthesize or create. */
export const MANAGED_BY = 'cdk8s-workshops';

/** Components, the value of the `component` label. */
export type Component = 'portal' | 'environment' | 'session';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `value` is an RFC 1123 DNS label (the rule for namespace names): lower case, digits, '-', at most 63. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** True when `value` is an RFC 1123 DNS subdomain (the rule for most object names), at most 253 characters. */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/**
 * Throws unless `value` is a DNS-1123 label of at most `maxLength` characters.
 *
 * @param where the construct path, for the message
 * @param field the property name, for the message
 */
export function checkDnsLabel(where: string, field: string, value: string, maxLength = 63): void {
  if (value.length > maxLength || !DNS_LABEL.test(value)) {
    throw new Error(
      `${where}: '${field}' (${JSON.stringify(value)}) must be a DNS-1123 label: lower-case letters, digits and '-', ` +
        `starting and ending with a letter or digit, at most ${maxLength} characters`,
    );
  }
}
