// The training portal process (what the TrainingPortal Deployment runs): the session runtime, the portal's pages,
// REST API and admin, on one port. Configuration from the environment:
//   PORTAL_NAME, PORTAL_NAMESPACE (default <name>-ui), PORTAL_CONFIG (portal.json), PORTAL_URL (browser-facing URL;
//   default portal.json's url), KUBECONFIG (else in-cluster), HOST, PORT (8080), POD_NAME,
//   ADMIN_USERNAME/ADMIN_PASSWORD and ROBOT_CLIENT_ID/ROBOT_CLIENT_SECRET/ROBOT_USERNAME/ROBOT_PASSWORD (default:
//   generated once into the Secret PORTAL_CREDENTIALS_SECRET, default training-portal-credentials),
//   OIDC_ISSUER/OIDC_CLIENT_ID/OIDC_CLIENT_SECRET/OIDC_NAME, PORTAL_DEV_DASHBOARD_ORIGINS (comma-separated),
//   PORTAL_DEV_SESSION_URL (local development only: send learners there instead of the session's own address),
//   SECURE_COOKIES (default true), PORTAL_TRUSTED_PROXIES (comma-separated addresses/CIDRs of the ingress hops whose
//   X-Forwarded-For is believed; default none), PORTAL_ACCESS_CODE (the event access code; overrides portal.json's
//   password), PORTAL_FRAME_ANCESTORS (comma-separated origins that may frame the portal), PORTAL_INDEX_URL (where
//   learners go when their session ends), PORTAL_COOKIE_DOMAIN (the session cookie's Domain), PORTAL_THEME_CSS (path of a style sheet the pages link), ANALYTICS_WEBHOOK_URL, RUNTIME_QPS, RUNTIME_CONCURRENCY, RUNTIME_LEASE_SECONDS,
//   RUNTIME_IDLE_AFTER_SECONDS, LOG_LEVEL.
import * as fs from 'node:fs';

import { cookieDomainProblem } from '../constructs/portal-settings.js';
import { createPortal, CREDENTIALS_SECRET, ensurePortalCredentials, limitsOf, type PortalConfig, readPortalConfig } from '../portal/index.js';
import { createLogger, KubeClient, SessionRuntime } from '../runtime/index.js';
import { reportPortalReadiness } from '../runtime/portal-conditions.js';
import { envList, envReader } from './env.js';

const log = createLogger('portal', process.env.LOG_LEVEL);
const { fail, runtimeTuning } = envReader(log);
const flag = (name: string, fallback: boolean) => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!['true', 'false', '1', '0'].includes(value)) fail(`${name} must be true or false, not '${value}'`);
  return value === 'true' || value === '1';
};

async function main() {
  const portalName = process.env.PORTAL_NAME ?? fail('PORTAL_NAME must be set');
  const portalNamespace = process.env.PORTAL_NAMESPACE ?? `${portalName}-ui`;
  const config: PortalConfig = process.env.PORTAL_CONFIG ? readPortalConfig(process.env.PORTAL_CONFIG) : { name: portalName };
  const publicUrl = process.env.PORTAL_URL ?? config.url ?? fail('PORTAL_URL must be set (or portal.json must have a url)');
  const devSessionUrl = process.env.PORTAL_DEV_SESSION_URL || undefined;
  if (devSessionUrl && !/^https?:\/\/[^/]/.test(devSessionUrl.split('{session}').join('s'))) {
    fail(`PORTAL_DEV_SESSION_URL must be an http(s) URL such as http://127.0.0.1:10080, not '${devSessionUrl}'`);
  }
  const accessCode = process.env.PORTAL_ACCESS_CODE;
  if (accessCode !== undefined && !accessCode.trim()) fail('PORTAL_ACCESS_CODE is set but empty: give the Secret key a code, or unset it');
  const indexUrl = process.env.PORTAL_INDEX_URL || undefined;
  if (indexUrl && !/^https?:\/\/[^/]/.test(indexUrl)) fail(`PORTAL_INDEX_URL must be an http(s) URL, not '${indexUrl}'`);
  const cookieDomain = process.env.PORTAL_COOKIE_DOMAIN || undefined;
  if (cookieDomain) {
    const hostname = new URL(publicUrl).hostname;
    const ingressDomain = config.ingress?.domain ?? fail('PORTAL_COOKIE_DOMAIN needs the ingress domain in portal.json (ingress.domain)');
    const problem = cookieDomainProblem(cookieDomain, { hostname, ingressDomain });
    if (problem) fail(`PORTAL_COOKIE_DOMAIN (${JSON.stringify(cookieDomain)}) ${problem}`);
  }
  let themeCss: string | undefined;
  if (process.env.PORTAL_THEME_CSS) {
    try {
      themeCss = fs.readFileSync(process.env.PORTAL_THEME_CSS, 'utf8');
    } catch (error) {
      fail(`PORTAL_THEME_CSS (${process.env.PORTAL_THEME_CSS}) cannot be read: ${(error as Error).message}`);
    }
  }
  const secureCookies = flag('SECURE_COOKIES', true);
  const frameAncestors = envList('PORTAL_FRAME_ANCESTORS');
  if (frameAncestors.length && !secureCookies) {
    log.warn(
      { frameAncestors },
      "PORTAL_FRAME_ANCESTORS is set but cookies are not Secure (plain http): browsers keep no portal cookie inside another site's frame, so an embedded portal cannot sign anyone in",
    );
  }
  const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

  const stored = await ensurePortalCredentials(client, portalNamespace, process.env.PORTAL_CREDENTIALS_SECRET ?? CREDENTIALS_SECRET);
  const admin = process.env.ADMIN_PASSWORD
    ? { username: process.env.ADMIN_USERNAME ?? 'educates', password: process.env.ADMIN_PASSWORD }
    : stored.admin;
  const robot = process.env.ROBOT_CLIENT_SECRET
    ? {
        clientId: process.env.ROBOT_CLIENT_ID ?? fail('ROBOT_CLIENT_ID must be set with ROBOT_CLIENT_SECRET'),
        clientSecret: process.env.ROBOT_CLIENT_SECRET,
        username: process.env.ROBOT_USERNAME ?? 'robot@educates',
        password: process.env.ROBOT_PASSWORD ?? fail('ROBOT_PASSWORD must be set with ROBOT_CLIENT_SECRET'),
      }
    : stored.robot;
  const oidc = process.env.OIDC_ISSUER
    ? {
        issuer: process.env.OIDC_ISSUER,
        clientId: process.env.OIDC_CLIENT_ID ?? fail('OIDC_CLIENT_ID must be set with OIDC_ISSUER'),
        clientSecret: process.env.OIDC_CLIENT_SECRET ?? fail('OIDC_CLIENT_SECRET must be set with OIDC_ISSUER'),
        name: process.env.OIDC_NAME,
      }
    : undefined;

  const runtime = new SessionRuntime(client, {
    portal: portalName,
    portalNamespace,
    limits: limitsOf(config),
    identity: process.env.POD_NAME,
    ...runtimeTuning(),
    logger: log,
  });
  // the leader reports the portal's readiness in its TrainingPortal's status (for kubectl and Argo CD)
  reportPortalReadiness(runtime, log);
  await runtime.start();
  const portal = await createPortal({
    runtime,
    client,
    config,
    portalName,
    portalNamespace,
    publicUrl,
    secureCookies,
    cookieDomain,
    admin,
    robots: [robot],
    oidc,
    devDashboardOrigins: envList('PORTAL_DEV_DASHBOARD_ORIGINS'),
    devSessionUrl,
    trustedProxies: envList('PORTAL_TRUSTED_PROXIES'),
    analyticsWebhook: process.env.ANALYTICS_WEBHOOK_URL,
    accessCode,
    frameAncestors,
    indexUrl,
    themeCss,
    logger: log,
  });
  const address = await portal.listen(process.env.HOST ?? '0.0.0.0', Number(process.env.PORT ?? 8080));
  log.info({ address, portal: portalName }, 'portal listening');
  if (devSessionUrl) {
    log.warn(
      { devSessionUrl },
      "PORTAL_DEV_SESSION_URL is set (local development only): learners enter their sessions there, not at the sessions' own addresses",
    );
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, async () => {
      await portal.close();
      await runtime.stop();
      process.exit(0);
    });
  }
}

main().catch((error) => {
  log.error({ err: (error as Error).message }, 'could not start');
  process.exit(1);
});
