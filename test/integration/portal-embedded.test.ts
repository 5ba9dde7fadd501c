/**
 * A portal over https under a host of its own, with a cookie domain and a learning platform (LMS) allowed to frame
 * it, in Chromium through a TLS front standing in for the ingress controller (the portal and a session's dashboard
 * run here, the sessions on the test control plane):
 *  - the session cookie is `__Secure-<portal>-session` with `Domain=events.test`: the operator's sibling site
 *    receives it, a host under the ingress domain (a learner's application) does not;
 *  - inside the LMS's frame a learner registers and stays signed in, and a session's activation link signs her in,
 *    passes the dashboard's sign-in through the portal and shows her instructions: every cookie on the way is
 *    SameSite=None (a Lax one is dropped in another site's frame) and the dashboard's frame-ancestors name the LMS;
 *  - a site not allowed cannot frame the portal nor the dashboard.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';

import { startDashboard } from '../../src/dashboard/index.js';
import { KubeClient, phaseOf } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { applyFixture, type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { robotToken } from '../support/portal-http.js';
import { ROBOT, startTestPortal, type TestPortal } from '../support/portal-server.js';
import { type Backend, startTlsFront, type TlsFront } from '../support/tls-front.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const PORTAL_HOST = 'labs.events.test';
const SIBLING_HOST = 'www.events.test';
const DASHBOARD_HOST = 's1.workshops.test';
const LEARNER_APP_HOST = 'hello-s1.workshops.test';
const LMS_HOST = 'lms.other.test';
const STRANGER_HOST = 'evil.other.test';

/** Answers with the names of the cookies the browser sent. */
const cookieEcho: Backend = (request, response) => {
  const names = (request.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('=')[0])
    .filter(Boolean);
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(names));
};
/** A page that frames `?src=`. */
const framingSite: Backend = (request: http.IncomingMessage, response: http.ServerResponse) => {
  const src = new URL(request.url ?? '/', 'https://x').searchParams.get('src') ?? '';
  response
    .writeHead(200, { 'content-type': 'text/html' })
    .end(
      `<!doctype html><title>Course</title><iframe id="embedded" src="${src.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}" width="1000" height="700"></iframe>`,
    );
};

const hosts: Record<string, Backend | undefined> = {
  [PORTAL_HOST]: undefined,
  [DASHBOARD_HOST]: undefined,
  [SIBLING_HOST]: cookieEcho,
  [LEARNER_APP_HOST]: cookieEcho,
  [LMS_HOST]: framingSite,
  [STRANGER_HOST]: framingSite,
};
let front: TlsFront;
let fixture: Fixture;
let portal: TestPortal;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let workDir: string;
let session: { name: string; url: string };
const cookieName = 'pemb-session';

beforeAll(async () => {
  front = await startTlsFront(hosts);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-embedded-test-'));
  fs.mkdirSync(path.join(workDir, 'content/workshop/content'), { recursive: true });
  fs.mkdirSync(path.join(workDir, 'home'));
  fs.writeFileSync(path.join(workDir, 'content/workshop/content/_index.md'), '---\ntitle: Embedded\n---\n\nSession {{< param session_name >}}.\n');

  fixture = synthPortal('pemb', [{ name: 'desk', capacity: 3, initial: 0, reserved: 0, expires: seconds(600) }]);
  await applyFixture(client, fixture);
  portal = await startTestPortal(client, fixture, {
    publicUrl: front.origin(PORTAL_HOST),
    secureCookies: true,
    cookieDomain: 'events.test',
    frameAncestors: [front.origin(LMS_HOST)],
    devDashboardOrigins: [front.origin(DASHBOARD_HOST)],
    devSessionUrl: front.origin(DASHBOARD_HOST),
  });
  hosts[PORTAL_HOST] = portal.url;
  await waitFor('the environment to be known', () => portal.runtime.state.environment(fixture.environment('desk')));
  const token = await robotToken(portal.url, ROBOT);
  const response = await fetch(
    `${portal.url}/workshops/environment/${fixture.environment('desk')}/request/?user=alice&index_url=${encodeURIComponent(`${front.origin(LMS_HOST)}/course`)}`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  session = (await response.json()) as { name: string; url: string };
  if (response.status !== 200) throw new Error(`request/: ${response.status} ${JSON.stringify(session)}`);
  const secrets = await waitFor('the session secrets', () => portal.runtime.secretsFor(session.name));
  dashboard = await startDashboard({
    sessionName: session.name,
    portalUrl: front.origin(PORTAL_HOST),
    portalApiUrl: portal.url,
    clientSecret: secrets.config_password,
    workshopDir: path.join(workDir, 'content'),
    host: '127.0.0.1',
    port: 0,
    shell: '/bin/sh',
    homeDir: path.join(workDir, 'home'),
    frameAncestors: [front.origin(LMS_HOST)],
    logLevel: 'warn',
  });
  hosts[DASHBOARD_HOST] = dashboard.url;
  browser = await launchBrowser({ args: [front.resolverRules] });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await portal?.stop();
  await front?.close();
  await client.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

const newContext = () => browser.newContext({ ignoreHTTPSErrors: true });

async function register(page: Page | Frame, username: string): Promise<void> {
  await page.fill('#f-username', username);
  await page.fill('#f-email', `${username}@example.com`);
  await page.fill('#f-password', 'analytical engine');
  await page.fill('#f-confirm', 'analytical engine');
  await page.click('main button[type=submit]');
}

/** The LMS's page framing `src`, and the frame once it shows something. */
async function framed(context: BrowserContext, site: string, src: string): Promise<{ page: Page; frame: Frame }> {
  const page = await context.newPage();
  await page.goto(`${front.origin(site)}/?src=${encodeURIComponent(src)}`);
  const frame = await waitFor('the frame', () => page.frames().find((f) => f !== page.mainFrame() && f.url() !== 'about:blank'), 10_000);
  await frame.waitForLoadState();
  return { page, frame };
}

test("the session cookie goes to the portal's domain, never to a learner's application under the ingress domain", async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${front.origin(PORTAL_HOST)}/accounts/register/?next=/workshops/catalog/`);
  await register(page, `ada${Date.now().toString(36)}`);
  expect(new URL(page.url()).pathname).toBe('/workshops/catalog/');
  const cookie = (await context.cookies()).find((c) => c.name === `__Secure-${cookieName}`);
  expect(cookie).toMatchObject({ domain: '.events.test', secure: true, httpOnly: true, path: '/' });

  // (through Chromium, whose resolver knows the hosts)
  const sent = async (host: string) => {
    await page.goto(`${front.origin(host)}/`);
    return JSON.parse(await page.locator('body').innerText()) as string[];
  };
  expect(await sent(SIBLING_HOST)).toContain(`__Secure-${cookieName}`);
  expect(await sent(LEARNER_APP_HOST)).toEqual([]);
  await context.close();
});

test('inside the LMS frame a learner registers and stays signed in', async () => {
  const context = await newContext();
  const { frame } = await framed(context, LMS_HOST, `${front.origin(PORTAL_HOST)}/accounts/register/?next=/workshops/catalog/`);
  await register(frame, `grace${Date.now().toString(36)}`);
  await frame.waitForURL((url) => url.pathname === '/workshops/catalog/');
  // signed in: the private catalog shows, and a reload inside the frame keeps her signed in
  await frame.goto(`${front.origin(PORTAL_HOST)}/workshops/catalog/`);
  expect(new URL(frame.url()).pathname).toBe('/workshops/catalog/');
  expect((await context.cookies(front.origin(PORTAL_HOST))).find((c) => c.name === `__Secure-${cookieName}`)?.sameSite).toBe('None');
  await context.close();
});

test("inside the LMS frame an activation link opens the session's dashboard, signed in through the portal", async () => {
  await waitFor("alice's session to be Ready", () => ['Ready', 'Active'].includes(phaseOf(portal.runtime.session(session.name)!)), 120_000);
  const context = await newContext();
  const { frame } = await framed(context, LMS_HOST, `${front.origin(PORTAL_HOST)}${session.url}`);
  await frame.waitForURL((url) => url.origin === front.origin(DASHBOARD_HOST) && url.pathname === '/', { timeout: 60_000 });
  await frame.locator('.page-body').waitFor();
  expect(await frame.locator('.page-body').innerText()).toContain(`Session ${session.name}.`);
  const dashboardCookie = (await context.cookies(front.origin(DASHBOARD_HOST))).find((c) => c.name === `dashboard-${session.name}`);
  expect(dashboardCookie).toMatchObject({ sameSite: 'None', secure: true });
  await context.close();
});

test('a site not allowed cannot frame the portal nor the dashboard', async () => {
  const context = await newContext();
  for (const target of [`${front.origin(PORTAL_HOST)}/accounts/login/`, `${front.origin(DASHBOARD_HOST)}/`]) {
    const { frame } = await framed(context, STRANGER_HOST, target);
    // Chromium replaces a refused frame with its error page: nothing of the portal or the dashboard is in it
    expect(
      await frame
        .locator('main, .page-body')
        .count()
        .catch(() => 0),
    ).toBe(0);
  }
  await context.close();
});
