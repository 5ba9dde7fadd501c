/**
 * The training portal: one HTTP server that any number of replicas run side by side, all state being in the
 * cluster. It puts together the runtime's operations surface (/healthz, /readyz, /metrics, /runtime/* for staff
 * and robots), authentication (PORTAL-AUTH's registerAuth), the learner's pages (catalog, session), Educates'
 * REST API, the admin pages, the OpenAPI document and the analytics webhook.
 */
import * as net from 'node:net';

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import { createLogger, isLive, type KubeClient, type Logger, type SessionRuntime } from '../runtime/index.js';
import { accessTo } from './access.js';
import { Analytics } from './analytics.js';
import { registerCatalogApi } from './api/catalog.js';
import { registerEnvironmentApi } from './api/environment.js';
import { registerSessionApi } from './api/session.js';
import { type AuthOptions, registerAuth, type RobotClient, type TokenStoreLimits } from './auth/index.js';
import type { PortalConfig } from './config.js';
import { type PortalContext, SessionPasswords } from './context.js';
import { apiError, installErrorHandlers } from './errors.js';
import { openApiDocument } from './openapi.js';
import { registerRuntimeRoutes } from './runtime-api.js';
import type { PortalInfo } from './views.js';
import { registerAdminPages } from './web/admin.js';
import { registerCatalogPages } from './web/catalog.js';
import { portalLook, usePortalLook } from './web/layout.js';
import { registerSessionPages } from './web/session-page.js';
import { registerStatic } from './web/static.js';

export interface PortalOptions {
  readonly runtime: SessionRuntime;
  readonly client: KubeClient;
  /** The portal's portal.json. */
  readonly config: PortalConfig;
  readonly portalName: string;
  readonly portalNamespace: string;
  /** The browser-facing URL, e.g. https://labs-ui.example.com. */
  readonly publicUrl: string;
  /** @default true */
  readonly secureCookies?: boolean;
  /** The session cookie's domain, already checked (constructs/portal-settings.ts cookieDomainProblem). @default - host-only */
  readonly cookieDomain?: string;
  readonly admin?: { readonly username: string; readonly password: string };
  readonly oidc?: { readonly issuer: string; readonly clientId: string; readonly clientSecret: string; readonly name?: string };
  readonly robots?: readonly RobotClient[];
  /** Origins a dashboard may also have (local development and tests). */
  readonly devDashboardOrigins?: readonly string[];
  /**
   * Local development only: where the learner's browser is sent into a session instead of the session's own
   * address (status.url), e.g. `http://127.0.0.1:10080` for a dashboard run with `workshops sessions dashboard`;
   * `{session}` is replaced by the session's name. Its origin may also receive the OAuth2 code.
   * @default - the session's status.url
   */
  readonly devSessionUrl?: string;
  /** @default - portal.json's analytics.webhook.url */
  readonly analyticsWebhook?: string;
  /** Limits of sign-in, registration, access code and token requests. @default see AuthOptions.rateLimits */
  readonly rateLimits?: AuthOptions['rateLimits'];
  /** Bounds of the revoked/used-token ConfigMap. @default 500 live entries per OAuth2 client, 10000 in all */
  readonly tokenStoreLimits?: TokenStoreLimits;
  /** Session requests (Start, REST request/) per client and user. @default 30 per 60 s */
  readonly sessionRequestLimit?: { readonly max: number; readonly windowSeconds: number };
  /**
   * Addresses or CIDRs of the proxies in front (the ingress controller's pods) whose X-Forwarded-For is believed:
   * the client's address, which rate limits count by, is the rightmost one not in this list. Anyone else's
   * X-Forwarded-For is ignored, since a client writes what it likes there. Trust only hops that nobody else can
   * reach the portal through (the portal namespace's NetworkPolicy admits only the ingress controller).
   * @default - none: the connection's own address
   */
  readonly trustedProxies?: readonly string[];
  /** The event access code (from a Secret); it overrides portal.json's `password`. @default - portal.json's password */
  readonly accessCode?: string;
  /**
   * Origins that may show the portal in a frame: `Content-Security-Policy: frame-ancestors 'self' <origins>`.
   * @default - none: `frame-ancestors 'self'` and `X-Frame-Options: SAMEORIGIN`
   */
  readonly frameAncestors?: readonly string[];
  /** Where learners go when their session ends, unless a REST client gave its own index_url. @default - the catalog */
  readonly indexUrl?: string;
  /** A style sheet every page links after the portal's own, served as /static/theme.css. @default - none */
  readonly themeCss?: string;
  readonly logger?: Logger;
}

export interface Portal {
  readonly app: FastifyInstance;
  /** Where it listens, once listening. */
  readonly url?: string;
  /** Every route the server has (HEAD included), in registration order. */
  readonly routes: ReadonlyArray<{ readonly method: string; readonly url: string }>;
  /** The analytics webhook's sender (tests wait for its queue to drain). */
  readonly analytics: Analytics;
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

export async function createPortal(options: PortalOptions): Promise<Portal> {
  const log = options.logger ?? createLogger('portal');
  const { runtime, config } = options;
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const frameAncestors = frameAncestorsPolicy(options.frameAncestors);
  const app = Fastify({
    logger: false,
    trustProxy: trustedProxies(options.trustedProxies),
    bodyLimit: 256 * 1024,
    routerOptions: { maxParamLength: 200 },
  });
  // the portal's name and logo on every page it sends: this server's, not a module's (two portals, two looks)
  usePortalLook(app, portalLook({ title: config.title, logo: config.logo, stylesheet: options.themeCss !== undefined }));
  installErrorHandlers(app, log);
  // who may frame the portal's pages: the portal itself, and the origins the operator named (an LMS embedding it)
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', frameAncestors.csp);
    if (frameAncestors.xFrameOptions) reply.header('x-frame-options', frameAncestors.xFrameOptions);
  });
  // every route, as registered (for the OpenAPI check and for operators' curiosity)
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url });
  });

  const info = await portalInfo(options, publicUrl);
  const analytics = new Analytics(runtime, () => info, log, {
    webhookUrl: options.analyticsWebhook ?? config.analytics?.webhook?.url,
    accounts: { namespace: options.portalNamespace, portal: options.portalName },
  });
  const passwords = new SessionPasswords(runtime);

  const auth = await registerAuth(app, {
    client: options.client,
    portalName: options.portalName,
    portalNamespace: options.portalNamespace,
    publicUrl,
    registration: config.registration,
    accessCode: options.accessCode ?? config.password,
    secureCookies: options.secureCookies,
    cookieDomain: options.cookieDomain,
    frameAncestors: options.frameAncestors,
    admin: options.admin,
    oidc: options.oidc,
    robots: options.robots,
    devDashboardOrigins: options.devDashboardOrigins,
    rateLimits: options.rateLimits,
    tokenStoreLimits: options.tokenStoreLimits,
    logger: log,
    onGuestCreated: (identity) => analytics.emit({ name: 'User/Create', user: identity.id }),
    onFirstSignIn: (identity) => analytics.emit({ name: 'User/Create', user: identity.id }),
    sessionAccess: (name, identity) => {
      const session = runtime.session(name);
      if (!session || !isLive(session)) return 'unknown';
      const access = accessTo(identity, session);
      return access === 'owner' ? 'owner' : access === 'staff' ? 'staff' : 'denied';
    },
    sessionOrigins: (name) => sessionOrigins(runtime, name, options.devSessionUrl),
    // the same cached lookup as the dashboard's activity reports: a token exchange costs no API request either
    sessionClientSecret: async (name) => {
      const session = runtime.session(name);
      return session && isLive(session) ? passwords.passwordOf(name) : undefined;
    },
  });

  const ctx: PortalContext = {
    runtime,
    client: options.client,
    config,
    auth,
    analytics,
    log,
    publicUrl,
    info: () => info,
    reservedUsers: new Set([options.admin?.username, ...(options.robots ?? []).map((r) => r.username)].filter((u): u is string => Boolean(u))),
    sessionRequestLimit: options.sessionRequestLimit ?? { max: 30, windowSeconds: 60 },
    indexUrl: options.indexUrl,
    checkSessionPassword: (session, password) => passwords.check(session, password),
    dashboardUrl: (session) => (options.devSessionUrl ? devSessionUrlOf(options.devSessionUrl, session.metadata.name) : session.status?.url),
  };

  registerRuntimeRoutes(app, runtime, staffOrRobot);
  registerStatic(app, options.themeCss);
  registerCatalogPages(app, ctx);
  registerSessionPages(app, ctx);
  registerAdminPages(app, ctx);
  registerCatalogApi(app, ctx);
  registerEnvironmentApi(app, ctx);
  registerSessionApi(app, ctx);
  app.get('/openapi.json', async () => openApiDocument(publicUrl));

  analytics.start();
  let url: string | undefined;
  return {
    app,
    routes,
    analytics,
    get url() {
      return url;
    },
    async listen(host: string, port: number) {
      const address = await app.listen({ host, port });
      url = address.replace('[::1]', '127.0.0.1');
      return url;
    },
    async close() {
      analytics.stop();
      await app.close();
    },
  };
}

/** The frame-ancestors policy for the given origins (each checked: scheme://host[:port], no other CSP syntax). */
export function frameAncestorsPolicy(origins: readonly string[] | undefined): { csp: string; xFrameOptions?: string } {
  const list = (origins ?? []).map((o) => o.trim()).filter(Boolean);
  for (const origin of list) {
    if (!/^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(origin)) {
      throw new Error(`frame ancestor '${origin}' must be an origin such as https://lms.example.com or https://*.example.com`);
    }
  }
  // X-Frame-Options cannot name other origins: browsers that know frame-ancestors ignore it anyway
  return list.length ? { csp: `frame-ancestors 'self' ${list.join(' ')}` } : { csp: "frame-ancestors 'self'", xFrameOptions: 'SAMEORIGIN' };
}

/** Fastify's trustProxy for a list of hops; each must be an IP address or CIDR (the error names the bad one). */
export function trustedProxies(hops: readonly string[] | undefined): string[] | false {
  const list = (hops ?? []).map((h) => h.trim()).filter(Boolean);
  for (const hop of list) {
    const [address, bits, extra] = hop.split('/');
    const family = net.isIP(address);
    const width = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= width))) {
      throw new Error(`trusted proxy '${hop}' must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
  }
  return list.length ? list : false;
}

/** /runtime/* acts on any learner's session: the staff and robots only. */
async function staffOrRobot(request: FastifyRequest, reply: FastifyReply) {
  if (!request.identity) {
    reply.header('WWW-Authenticate', 'Bearer');
    return apiError(reply, 401, 'unauthorized', "sign in as the admin, or send a robot's OAuth2 access token");
  }
  if (request.identity.kind !== 'admin' && request.identity.kind !== 'robot')
    return apiError(reply, 403, 'forbidden', 'the runtime API is for the staff and robots');
}

/**
 * Where a session's OAuth2 flow may return: its dashboard's own host `<session>.<ingress domain>` (and the
 * local-development URL), never the other Ingress hosts of its blueprint. Those serve whatever the learner puts
 * behind them (the learner may replace the objects of the session), so a code sent there would be the learner's.
 */
function sessionOrigins(runtime: SessionRuntime, name: string, devSessionUrl?: string): string[] | undefined {
  const session = runtime.session(name);
  if (!session || !isLive(session)) return undefined;
  const environment = runtime.state.environment(session.spec.environment);
  const origins = new Set<string>();
  if (devSessionUrl) origins.add(new URL(devSessionUrlOf(devSessionUrl, name)).origin);
  if (environment)
    origins.add(new URL(`${environment.spec.portal.ingressProtocol ?? 'http'}://${name}.${environment.spec.portal.ingressDomain}`).origin);
  return [...origins];
}

/** The local-development session URL of a session: the template with `{session}` replaced by its name. */
export function devSessionUrlOf(template: string, session: string): string {
  return template.split('{session}').join(session);
}

/**
 * The portal as Educates' API names it. There is no TrainingPortal object in the cluster (the portal is plain
 * YAML), so its uid is that of its namespace, which lives as long as the portal does; generation 1.
 */
async function portalInfo(options: PortalOptions, publicUrl: string): Promise<PortalInfo> {
  const namespace = await options.client.get<{ metadata: { uid?: string } }>('v1', 'Namespace', options.portalNamespace).catch(() => undefined);
  return { name: options.portalName, uid: namespace?.metadata.uid ?? '', generation: 1, url: publicUrl, labels: options.config.labels ?? {} };
}

export type { PortalConfig } from './config.js';
export { checkPortalConfig, limitsOf, readPortalConfig } from './config.js';
export type { PortalCredentials } from './credentials.js';
export { CREDENTIALS_SECRET, ensurePortalCredentials } from './credentials.js';
