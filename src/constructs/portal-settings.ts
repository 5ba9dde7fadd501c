/**
 * The TrainingPortal settings the portal process already understands (event access code, OpenID Connect,
 * analytics webhook, labels, theme, embedding, index URL), checked and turned into the portal Deployment's
 * environment and portal.json fields. Secrets are referenced, never synthesized: the access code and the OIDC
 * client secret reach the pod through `valueFrom.secretKeyRef` on a Secret in the portal's namespace.
 */
import { createHash } from 'node:crypto';

import { isDnsSubdomain } from './names.js';

/** A key of a Secret in the portal's namespace (`<portal>-ui`), created by whoever deploys the portal. */
export interface SecretKeyReference {
  /** The Secret's name. */
  readonly secret: string;
  /** The key within the Secret. */
  readonly key: string;
}

/** Signing in with an OpenID Connect provider (the portal's redirect URI is `<portal URL>/accounts/oidc/callback/`). */
export interface PortalOidc {
  /** The issuer URL (https; http only for a loopback address). */
  readonly issuer: string;
  readonly clientId: string;
  /** Where the client secret is: never written into the manifests. */
  readonly clientSecret: SecretKeyReference;
  /** The provider's name on the sign-in button. @default - the issuer's host */
  readonly name?: string;
}

/** The portal pages' look. */
export interface PortalTheme {
  /**
   * A style sheet every page links after the portal's own (`/static/theme.css`), kept in the portal's ConfigMap.
   * @default - none
   */
  readonly css?: string;
}

export interface PortalSettingsProps {
  /** An event access code visitors enter before any page opens, from a Secret. @default - none */
  readonly accessCode?: SecretKeyReference;
  /** @default - no OpenID Connect sign-in */
  readonly oidc?: PortalOidc;
  /** Educates' analytics webhook: every event of the portal is POSTed there. @default - none */
  readonly analyticsWebhookUrl?: string;
  /** Portal labels, in the catalog API's `portal.labels` (Educates' `portal.labels`). @default - none */
  readonly labels?: Record<string, string>;
  /** @default - the portal's own style */
  readonly theme?: PortalTheme;
  /**
   * Origins allowed to show the portal in a frame (`Content-Security-Policy: frame-ancestors 'self' <origins>`).
   * @default - only the portal itself (`frame-ancestors 'self'`, `X-Frame-Options: SAMEORIGIN`)
   */
  readonly frameAncestors?: string[];
  /**
   * Where learners go when their session ends, unless a REST client gave its own `index_url`.
   * @default - the portal's catalog
   */
  readonly indexUrl?: string;
  /**
   * The domain the browser sends the portal's session cookie to (`Domain=`; Educates' `portal.cookies.domain`), for
   * an operator's own sites beside the portal. It must contain the portal's host name and must not overlap the
   * ingress domain: every session host and every learner's application is under that domain and would receive the
   * cookie. Over https the cookie is then named `__Secure-<portal>-session` (a `__Host-` cookie cannot have a domain).
   * @default - host-only (`__Host-<portal>-session`): only the portal's own host receives it
   */
  readonly cookieDomain?: string;
}

/** Where the portal is served, which decides what a cookie domain may be. */
export interface PortalHosts {
  /** The portal's own host name. */
  readonly hostname: string;
  /** The domain under which sessions (and learners' applications) get host names. */
  readonly ingressDomain: string;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

export interface PortalSettings {
  readonly env: EnvVar[];
  /** Fields added to portal.json. */
  readonly config: Record<string, unknown>;
  /** Extra files in the portal's ConfigMap (mounted next to portal.json). */
  readonly files: Record<string, string>;
  /**
   * Pod template annotations: a digest of the extra files, so that changing the theme rolls the portal's pods
   * (they read the files once, at start).
   */
  readonly podAnnotations: Record<string, string>;
  /** The checked frameAncestors (sessions' dashboards, shown in the portal's pages, allow them too). */
  readonly frameAncestors: string[];
}

/** Where the portal's ConfigMap is mounted in its pod. */
export const PORTAL_CONFIG_DIR = '/opt/portal/config';

export function portalSettings(where: string, props: PortalSettingsProps, hosts: PortalHosts): PortalSettings {
  const env: EnvVar[] = [];
  const config: Record<string, unknown> = {};
  const files: Record<string, string> = {};

  if (props.accessCode) env.push({ name: 'PORTAL_ACCESS_CODE', valueFrom: { secretKeyRef: secretKey(where, 'accessCode', props.accessCode) } });

  if (props.oidc) {
    const { issuer, clientId, clientSecret, name } = props.oidc;
    const url = httpUrl(where, 'oidc.issuer', issuer, true);
    if (url.search || url.hash)
      throw new Error(`${where}: 'oidc.issuer' (${JSON.stringify(issuer)}) must be an issuer URL without query or fragment`);
    if (typeof clientId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(clientId)) {
      throw new Error(`${where}: 'oidc.clientId' (${JSON.stringify(clientId)}) must be 1 to 200 printable characters without spaces`);
    }
    env.push(
      { name: 'OIDC_ISSUER', value: issuer },
      { name: 'OIDC_CLIENT_ID', value: clientId },
      { name: 'OIDC_CLIENT_SECRET', valueFrom: { secretKeyRef: secretKey(where, 'oidc.clientSecret', clientSecret) } },
    );
    if (name !== undefined) {
      if (typeof name !== 'string' || !name.trim() || name.length > 60)
        throw new Error(`${where}: 'oidc.name' (${JSON.stringify(name)}) must be 1 to 60 characters`);
      env.push({ name: 'OIDC_NAME', value: name });
    }
  }

  if (props.analyticsWebhookUrl !== undefined) {
    httpUrl(where, 'analyticsWebhookUrl', props.analyticsWebhookUrl);
    env.push({ name: 'ANALYTICS_WEBHOOK_URL', value: props.analyticsWebhookUrl });
  }

  if (props.labels !== undefined) {
    const labels: Record<string, string> = {};
    for (const key of Object.keys(props.labels).sort()) {
      const value = props.labels[key];
      if (!/^[A-Za-z0-9]([-A-Za-z0-9_./]{0,61}[A-Za-z0-9])?$/.test(key)) {
        throw new Error(
          `${where}: 'labels' key ${JSON.stringify(key)} must be 1 to 63 letters, digits, '-', '_', '.' or '/', starting and ending with a letter or digit`,
        );
      }
      if (typeof value !== 'string' || value.length > 256) {
        throw new Error(`${where}: 'labels.${key}' (${JSON.stringify(value)}) must be a string of at most 256 characters`);
      }
      labels[key] = value;
    }
    config.labels = labels;
  }

  if (props.theme?.css !== undefined) {
    const css = props.theme.css;
    if (typeof css !== 'string' || css.length > 256 * 1024) throw new Error(`${where}: 'theme.css' must be a style sheet of at most 256 KiB`);
    files['theme.css'] = css;
    env.push({ name: 'PORTAL_THEME_CSS', value: `${PORTAL_CONFIG_DIR}/theme.css` });
  }

  const frameAncestors = (props.frameAncestors ?? []).map((origin, i) => frameAncestor(where, `frameAncestors[${i}]`, origin));
  if (frameAncestors.length) env.push({ name: 'PORTAL_FRAME_ANCESTORS', value: frameAncestors.join(',') });

  if (props.indexUrl !== undefined) {
    httpUrl(where, 'indexUrl', props.indexUrl);
    env.push({ name: 'PORTAL_INDEX_URL', value: props.indexUrl });
  }

  if (props.cookieDomain !== undefined) {
    const problem = cookieDomainProblem(props.cookieDomain, hosts);
    if (problem) throw new Error(`${where}: 'cookieDomain' (${JSON.stringify(props.cookieDomain)}) ${problem}`);
    env.push({ name: 'PORTAL_COOKIE_DOMAIN', value: props.cookieDomain });
  }
  const podAnnotations: Record<string, string> = Object.keys(files).length
    ? {
        'training.cdk8s-workshops.dev/theme-digest': createHash('sha256')
          .update(JSON.stringify(Object.entries(files).sort()))
          .digest('hex')
          .slice(0, 16),
      }
    : {};
  return { env, config, files, podAnnotations, frameAncestors };
}

/**
 * Why `domain` cannot be the portal's cookie domain, or undefined when it can: a DNS name of two labels or more
 * that the portal's host is in (browsers drop a cookie whose domain does not contain the host that set it), and
 * that neither contains nor lies inside the ingress domain, whose hosts belong to sessions and learners' apps.
 * The portal process checks its PORTAL_COOKIE_DOMAIN with the same rule.
 */
export function cookieDomainProblem(domain: string, hosts: PortalHosts): string | undefined {
  if (typeof domain !== 'string' || !isDnsSubdomain(domain) || !domain.includes('.') || /^[0-9.]+$/.test(domain)) {
    return 'must be a DNS domain of two labels or more, without a leading dot, such as events.example.com';
  }
  const within = (host: string, parent: string) => host === parent || host.endsWith(`.${parent}`);
  const host = hosts.hostname.toLowerCase();
  if (!within(host, domain)) {
    return `must be the portal's host name (${host}) or a domain above it: a browser drops a cookie for a domain its host is not in`;
  }
  const ingress = hosts.ingressDomain.toLowerCase();
  if (within(ingress, domain) || within(domain, ingress)) {
    return (
      `overlaps the ingress domain (${ingress}), where every session host and every learner's application lives: ` +
      `they would all receive the portal's cookie. Give the portal a host name outside ${ingress} ('hostname') and a ` +
      `cookie domain that does not overlap it, or leave 'cookieDomain' unset (the cookie stays with the portal's host)`
    );
  }
  return undefined;
}

function secretKey(where: string, field: string, ref: SecretKeyReference): { name: string; key: string } {
  if (!ref || typeof ref !== 'object' || typeof ref.secret !== 'string' || !isDnsSubdomain(ref.secret)) {
    throw new Error(
      `${where}: '${field}.secret' (${JSON.stringify(ref?.secret)}) must name a Secret in the portal's namespace: a DNS subdomain such as portal-secrets`,
    );
  }
  if (typeof ref.key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(ref.key)) {
    throw new Error(`${where}: '${field}.key' (${JSON.stringify(ref.key)}) must be a Secret key: letters, digits, '-', '_' and '.'`);
  }
  return { name: ref.secret, key: ref.key };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function httpUrl(where: string, field: string, value: string, httpsOnly = false): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const ok =
    url && (url.protocol === 'https:' || (url.protocol === 'http:' && (!httpsOnly || LOOPBACK.has(url.hostname)))) && !url.username && !url.password;
  if (!ok) {
    throw new Error(
      `${where}: '${field}' (${JSON.stringify(value)}) must be ${httpsOnly ? 'an https URL (http only on a loopback address)' : 'an http or https URL'} without user or password`,
    );
  }
  return url!;
}

/** An origin as CSP's frame-ancestors takes it: scheme://host[:port], the host's first label may be `*`. */
function frameAncestor(where: string, field: string, value: string): string {
  const host = '(\\*\\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?';
  if (typeof value !== 'string' || !new RegExp(`^https?://${host}(:[0-9]{1,5})?$`).test(value)) {
    throw new Error(
      `${where}: '${field}' (${JSON.stringify(value)}) must be an origin such as https://lms.example.com or https://*.example.com (scheme, host, optional port; no path)`,
    );
  }
  return value;
}
