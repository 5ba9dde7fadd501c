/**
 * Sign-in on a session route's own host (`<name>-<session>.<domain>`, proxied by the dashboard with sign-in).
 * The portal sends OAuth2 codes only to the session's own host `<session>.<domain>` (issue 10 item 3; the fake
 * portal enforces it as the real one does), so a route host signs its visitor in through the session's host:
 * `/oauth_handoff?host=&next=` there, then a signed one-minute ticket bound to the route host, taken once at
 * `/oauth_ticket` on the route host. GIVEN a session owned by alice with two authenticated routes (app, other), an
 * open one and one whose Ingress bypasses the dashboard, WHEN alice (and attackers) use these hosts, THEN alice
 * lands in the application and no ticket works anywhere but on its own route host, once, within its minute.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { Signer } from '@fastify/cookie';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { deriveKey } from '../../src/dashboard/auth.js';
import { launchBrowser } from '../support/browser.js';
import { type FakePortal, startFakePortal } from '../support/fake-portal.js';
import { waitFor } from '../support/portal-fixture.js';
import { startTestDashboard } from '../support/test-dashboard.js';

const SESSION = 'labs-w02-s001';
const CONFIG_PASSWORD = 'config-password-for-route-tests-0123456789';
const DOMAIN = 'workshops.test';
const COOKIE = `dashboard-${SESSION}`;

let portal: FakePortal;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let app: http.Server;
let workDir: string;
let port: string;
/** `<host>:<port>` of the session's own host and of its routes, as the browser reaches them. */
const hosts = {
  main: '',
  app: '',
  other: '',
  open: '',
  service: '',
};

interface Answer {
  readonly status: number;
  readonly location: string;
  /** The dashboard cookie this answer sets, if any. */
  readonly cookie: string | undefined;
  readonly body: string;
}

/** GET on the dashboard, as a browser reaching it under `host` (no redirects followed). */
function get(host: string, pathAndQuery: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathAndQuery, headers: { host, accept: 'text/html', ...(cookie ? { cookie } : {}) } },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          const set = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${COOKIE}=`));
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? ''), cookie: set?.split(';')[0], body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A browser signed in to the portal as `user`. */
async function signedIn(user: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${portal.url}/login?user=${user}&next=/accounts/login/`);
  return { context, page };
}

/** alice's cookie on the session's own host (`name=value`), signed in there through the portal in Chromium. */
async function aliceOnMainHost(): Promise<string> {
  const { context, page } = await signedIn('alice');
  await page.goto(`http://${hosts.main}/`);
  const cookie = (await context.cookies(`http://${hosts.main}/`)).find((c) => c.name === COOKIE);
  await context.close();
  if (!cookie) throw new Error(`alice got no ${COOKIE} cookie on ${hosts.main}`);
  return `${cookie.name}=${cookie.value}`;
}

/** A genuine ticket for `routeHost`, issued by the session's own host to alice. */
async function ticketFor(mainCookie: string, routeHost: string, next = '/after'): Promise<string> {
  const answer = await get(hosts.main, `/oauth_handoff?${new URLSearchParams({ host: routeHost, next })}`, mainCookie);
  expect(answer.status).toBe(302);
  const location = new URL(answer.location);
  expect(location.origin + location.pathname).toBe(`http://${routeHost}/oauth_ticket`);
  return location.searchParams.get('t')!;
}

/** The ticket's claims, and the same claims changed and signed again with `key`. */
function claimsOf(ticket: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(ticket.slice(0, ticket.lastIndexOf('.')), 'base64url').toString()) as Record<string, unknown>;
}
function resigned(ticket: string, change: Record<string, unknown>, key: string): string {
  return new Signer(key).sign(Buffer.from(JSON.stringify({ ...claimsOf(ticket), ...change })).toString('base64url'));
}

/** A free port on loopback, for a dashboard whose tabs name its own port. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

const ticketPath = (ticket: string) => `/oauth_ticket?${new URLSearchParams({ t: ticket })}`;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-routes-test-'));
  fs.mkdirSync(path.join(workDir, 'content/workshop/content'), { recursive: true });
  fs.mkdirSync(path.join(workDir, 'home'));
  fs.writeFileSync(path.join(workDir, 'content/workshop/content/_index.md'), '---\ntitle: Routes\n---\n\nSession {{< param session_name >}}.\n');
  // The application behind the routes: says which path and which cookies it got.
  app = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ app: 'route-app', path: req.url, cookie: req.headers.cookie ?? null }));
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as AddressInfo).port;
  port = String(await freePort());
  const configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      workshop: { name: 'labs-w02', title: 'Route sign-in' },
      capabilities: [],
      tabs: [{ name: 'App', url: `http://app-${SESSION}.${DOMAIN}:${port}/in-a-tab` }],
      routes: [
        { name: 'app', host: `app-${SESSION}.${DOMAIN}`, port: appPort, authenticated: true },
        { name: 'other', host: `other-${SESSION}.${DOMAIN}`, port: appPort, authenticated: true },
        { name: 'open', host: `open-${SESSION}.${DOMAIN}`, port: appPort, authenticated: false },
        { name: 'service', host: `service-${SESSION}.${DOMAIN}`, port: appPort, service: 'learner-app', authenticated: true },
      ],
    }),
  );

  portal = await startFakePortal({ ingressDomain: DOMAIN });
  dashboard = await startTestDashboard(portal, {
    sessionName: SESSION,
    clientSecret: CONFIG_PASSWORD,
    workshopDir: path.join(workDir, 'content'),
    configFile,
    port: Number(port),
    homeDir: path.join(workDir, 'home'),
  });
  hosts.main = `${SESSION}.${DOMAIN}:${port}`;
  for (const name of ['app', 'other', 'open', 'service'] as const) hosts[name] = `${name}-${SESSION}.${DOMAIN}:${port}`;
  // No development origins: codes may go only to the session's own host, as on a cluster.
  portal.addSession({ name: SESSION, owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [] });
  browser = await launchBrowser({ args: [`--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1`] });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await portal?.close();
  app?.closeAllConnections();
  app?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('the portal (as the real one) sends codes to the session host only, never to a route host, even one listed as an origin', async () => {
  const listed = 'labs-w02-s009';
  portal.addSession({ name: listed, owner: 'alice', configPassword: 'another-config-password', origins: [`http://app-${listed}.${DOMAIN}:${port}`] });
  const authorize = (session: string, redirectUri: string) =>
    fetch(
      `${portal.url}/oauth2/authorize/?${new URLSearchParams({
        response_type: 'code',
        client_id: session,
        redirect_uri: redirectUri,
        state: 'x',
      })}`,
      { redirect: 'manual' },
    );
  for (const [session, routeHost] of [
    [SESSION, hosts.app],
    [listed, `app-${listed}.${DOMAIN}:${port}`],
  ]) {
    const refused = await authorize(session, `http://${routeHost}/oauth_callback`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(`The address http://${routeHost}/oauth_callback is not one of this session's dashboards`);
  }
  // The session's own host is accepted (here: on to the portal's sign-in page, nobody being signed in).
  const accepted = await authorize(SESSION, `http://${hosts.main}/oauth_callback`);
  expect(accepted.status).toBe(302);
  expect(accepted.headers.get('location')).toMatch(/^\/accounts\/login\//);
});

test('alice opening an authenticated route host signs in through the session host and lands in the application', async () => {
  const { context, page } = await signedIn('alice');
  const authorizeRequests: URL[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith(`${portal.url}/oauth2/authorize/`)) authorizeRequests.push(new URL(request.url()));
  });
  const routeUrl = `http://${hosts.app}/some/page?x=1`;
  const response = await page.goto(routeUrl);
  expect(response!.status()).toBe(200);
  expect(page.url()).toBe(routeUrl);
  const seen = JSON.parse(await page.locator('body').innerText()) as { app: string; path: string; cookie: string | null };
  expect(seen).toMatchObject({ app: 'route-app', path: '/some/page?x=1' });
  // The application never gets the dashboard's cookies.
  expect(String(seen.cookie)).not.toContain(COOKIE);
  // The code went to the session's own host only.
  expect(authorizeRequests.map((url) => url.searchParams.get('redirect_uri'))).toEqual([`http://${hosts.main}/oauth_callback`]);
  // Each host has a cookie of its own.
  expect((await context.cookies(`http://${hosts.app}/`)).map((c) => c.name)).toContain(COOKIE);
  expect((await context.cookies(`http://${hosts.main}/`)).map((c) => c.name)).toContain(COOKIE);

  // Another route of the session, later: signed in on the session's host already, so no trip to the portal.
  authorizeRequests.length = 0;
  await page.goto(`http://${hosts.other}/second`);
  expect(page.url()).toBe(`http://${hosts.other}/second`);
  expect(JSON.parse(await page.locator('body').innerText())).toMatchObject({ app: 'route-app', path: '/second' });
  expect(authorizeRequests).toEqual([]);

  // The page's own requests on the route host go through with that host's cookie.
  expect(await page.evaluate("fetch('/third').then((r) => r.json()).then((b) => b.path)")).toBe('/third');
  await context.close();
});

test("a route's tab on the session's page signs in on the route's host by itself and shows the application", async () => {
  const { context, page } = await signedIn('alice');
  await page.goto(`http://${hosts.main}/`);
  await expect(page.locator('#page-title').innerText()).resolves.toBe('Routes');
  await page.locator('[role="tab"][data-tab="App"]').click();
  const frame = page.frameLocator('iframe[src^="http://app-"]');
  await waitFor(
    'the application in the tab',
    async () => (JSON.parse(await frame.locator('body').innerText()) as { path?: string }).path === '/in-a-tab',
  );
  expect((await context.cookies(`http://${hosts.app}/`)).map((c) => c.name)).toContain(COOKIE);
  await context.close();
});

test('someone else signed in to the portal gets no cookie on the route host', async () => {
  const { context, page } = await signedIn('mallory');
  const response = await page.goto(`http://${hosts.app}/`);
  expect(response!.status()).toBe(403);
  expect(page.url().startsWith(portal.url)).toBe(true);
  expect((await context.cookies(`http://${hosts.app}/`)).map((c) => c.name)).not.toContain(COOKIE);
  expect((await context.cookies(`http://${hosts.main}/`)).map((c) => c.name)).not.toContain(COOKIE);
  await context.close();
});

test('a ticket for route A signs in on A only: not on route B, not on the session host, and only once', async () => {
  const mainCookie = await aliceOnMainHost();
  const ticket = await ticketFor(mainCookie, hosts.app, '/after?y=2');

  // WHEN it is taken to another route's host, or to the session's own host THEN it is refused, no cookie set
  const onOther = await get(hosts.other, ticketPath(ticket));
  expect(onOther.status).toBe(403);
  expect(onOther.cookie).toBeUndefined();
  expect(onOther.body).toContain(`The sign-in ticket is for app-${SESSION}.${DOMAIN}, not for other-${SESSION}.${DOMAIN}.`);
  const onMain = await get(hosts.main, ticketPath(ticket));
  expect(onMain.status).toBe(400);
  expect(onMain.cookie).toBeUndefined();
  const onOpen = await get(hosts.open, ticketPath(ticket));
  expect(onOpen.cookie).toBeUndefined();
  expect(JSON.parse(onOpen.body)).toMatchObject({ app: 'route-app' }); // an open route's paths are all its application's

  // On its own host it sets that host's cookie and goes on to `next`.
  const taken = await get(hosts.app, ticketPath(ticket));
  expect(taken.status).toBe(302);
  expect(taken.location).toBe('/after?y=2');
  expect(taken.cookie).toBeTruthy();
  expect(JSON.parse((await get(hosts.app, '/after?y=2', taken.cookie)).body)).toMatchObject({ app: 'route-app', path: '/after?y=2' });

  // Taken twice: no second cookie, only a fresh start through the session's host.
  const again = await get(hosts.app, ticketPath(ticket));
  expect(again.cookie).toBeUndefined();
  expect(again.status).toBe(302);
  expect(new URL(again.location).host).toBe(hosts.main);
  expect(new URL(again.location).pathname).toBe('/oauth_handoff');

  // The route host's cookie is good on that host only: not on route B, not on the session's own host.
  const onB = await get(hosts.other, '/x', taken.cookie);
  expect(onB.status).toBe(302);
  expect(new URL(onB.location).pathname).toBe('/oauth_handoff');
  const mainWithRouteCookie = await get(hosts.main, '/session/whoami', taken.cookie);
  expect(mainWithRouteCookie.status).toBe(302);
  expect(mainWithRouteCookie.location.startsWith(`${portal.url}/oauth2/authorize/`)).toBe(true);
});

test('an expired, tampered or forged ticket is refused', async () => {
  const mainCookie = await aliceOnMainHost();
  const ticket = await ticketFor(mainCookie, hosts.app);
  const ticketKey = deriveKey(CONFIG_PASSWORD, 'route ticket');

  // Expired: a genuine ticket whose minute is over (signed with the real key, so only the expiry refuses it).
  const expired = await get(hosts.app, ticketPath(resigned(ticket, { until: Date.now() - 1 }, ticketKey)));
  expect(expired.cookie).toBeUndefined();
  expect(expired.status).toBe(302);
  expect(new URL(expired.location).pathname).toBe('/oauth_handoff');

  const refusals: Array<[string, string]> = [
    [
      'claims changed, signature kept',
      `${Buffer.from(JSON.stringify({ ...claimsOf(ticket), user: 'mallory', owner: 'alice' })).toString('base64url')}${ticket.slice(ticket.lastIndexOf('.'))}`,
    ],
    ['signed with the cookie key (domain separation)', resigned(ticket, {}, deriveKey(CONFIG_PASSWORD, 'cookie'))],
    ["signed with another session's password", resigned(ticket, {}, deriveKey('another-config-password', 'route ticket'))],
    ['the session host cookie presented as a ticket', decodeURIComponent(mainCookie.slice(mainCookie.indexOf('=') + 1))],
    ['garbage', 'not-a-ticket'],
  ];
  for (const [what, forged] of refusals) {
    const answer = await get(hosts.app, ticketPath(forged));
    expect({ what, status: answer.status, cookie: answer.cookie }).toEqual({ what, status: 403, cookie: undefined });
  }
  // A correctly signed ticket whose next leaves the host is refused too.
  const away = await get(hosts.app, ticketPath(resigned(ticket, { next: '//evil.example/' }, ticketKey)));
  expect({ status: away.status, cookie: away.cookie }).toEqual({ status: 403, cookie: undefined });
  expect(away.location).toBe('');
});

test("the hand-over is refused for a host that is not one of the session's sign-in routes, signed in or not", async () => {
  const mainCookie = await aliceOnMainHost();
  const notRoutes = [
    'evil.example',
    `evil.example:${port}`,
    `app-labs-w02-s002.${DOMAIN}:${port}`,
    hosts.main,
    hosts.open,
    hosts.service,
    `app-${SESSION}.${DOMAIN}:1`,
    `app-${SESSION}.${DOMAIN}:${port}@evil.example`,
    `app-${SESSION}.${DOMAIN}:${port}/x`,
    '',
  ];
  for (const host of notRoutes) {
    for (const cookie of [mainCookie, undefined]) {
      const answer = await get(hosts.main, `/oauth_handoff?${new URLSearchParams({ host, next: '/' })}`, cookie);
      expect({ host, signedIn: !!cookie, status: answer.status, location: answer.location }).toEqual({
        host,
        signedIn: !!cookie,
        status: 400,
        location: '',
      });
    }
  }
  const refused = await get(hosts.main, `/oauth_handoff?${new URLSearchParams({ host: 'evil.example', next: '/' })}`, mainCookie);
  expect(refused.body).toContain(
    `host (&quot;evil.example&quot;) must be one of this session&#39;s routes that sign visitors in (app-${SESSION}.${DOMAIN}, other-${SESSION}.${DOMAIN})`,
  );
});

test('the hand-over refuses a next that is not a path of the route host (//evil.example and friends)', async () => {
  const mainCookie = await aliceOnMainHost();
  const notPaths = [
    '//evil.example',
    '//evil.example/x',
    '/\\evil.example',
    'https://evil.example/',
    '/\t/evil.example',
    'evil',
    '',
    `/${'a'.repeat(3000)}`,
  ];
  for (const next of notPaths) {
    for (const cookie of [mainCookie, undefined]) {
      const answer = await get(hosts.main, `/oauth_handoff?${new URLSearchParams({ host: hosts.app, next })}`, cookie);
      expect({ next, signedIn: !!cookie, status: answer.status, location: answer.location }).toEqual({
        next,
        signedIn: !!cookie,
        status: 400,
        location: '',
      });
    }
  }
  // A path with its query is fine.
  expect((await get(hosts.main, `/oauth_handoff?${new URLSearchParams({ host: hosts.app, next: '/a/b?c=%2F%2Fd' })}`, mainCookie)).status).toBe(302);
});
