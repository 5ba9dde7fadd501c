/**
 * TrainingPortal's portal settings, end to end: a portal synthesized with an access code and an OIDC client secret
 * in Secrets, a theme, frame-ancestors and an index URL is applied to the test control plane, and the portal
 * process runs with exactly its Deployment's env (secretKeyRefs resolved from the cluster) and ConfigMap files. In
 * Chromium: the access code from the Secret gates the catalog, the theme's style sheet is linked and applies, an
 * allowed origin can frame the portal and another cannot, OIDC sign-in works with the client secret from the
 * Secret, ending a session sends the learner to the index URL and reaches the analytics webhook, and the
 * portal labels are in the catalog API.
 */
import * as http from 'node:http';

import { App } from 'cdk8s';
import type { Browser, BrowserContext } from 'playwright-core';

import { CatalogVisibility, type Manifest, Registration, synthesize, Terminal, TrainingPortal, Workshop } from '../../src/constructs/index.js';
import { KubeClient } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { startOidcProvider, type TestProvider } from '../support/oidc-provider.js';
import { applyFixture, waitFor } from '../support/portal-fixture.js';
import { freePort } from '../support/portal-server.js';
import { type RunningPortal, runSynthesizedPortal } from '../support/synthesized-portal.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const ACCESS_CODE = 'kubecon-2026-room-b';
const THEME = 'body { background-color: rgb(16, 32, 48); }';
let site: http.Server;
let sitePort: number;
let LMS: string;
let INDEX_URL: string;
let provider: TestProvider;
let portal: RunningPortal;
let browser: Browser;
let objects: Manifest[];
let signedIn: BrowserContext | undefined;
const webhook: Array<{ path: string; body: { portal: { name: string; labels?: unknown }; event: { name: string; user?: string } } }> = [];
const LOGO = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

beforeAll(async () => {
  const port = await freePort();
  // the learning platform that embeds the portal, and a stranger's site, on loopback (Chromium maps their names):
  // every page of theirs frames the portal
  // and the analytics collector the portal POSTs its events to
  site = http.createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        webhook.push({ path: req.url!, body: JSON.parse(body) });
        res.writeHead(204).end();
      });
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<!doctype html><title>Site</title><iframe id="portal" src="http://127.0.0.1:${port}/workshops/access/"></iframe>`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  sitePort = (site.address() as { port: number }).port;
  LMS = `http://lms.example.test:${sitePort}`;
  INDEX_URL = `${LMS}/course/7`;
  provider = await startOidcProvider({
    redirectUris: [`http://127.0.0.1:${port}/accounts/oidc/callback/`],
    users: [{ login: 'grace', name: 'Grace Hopper', email: 'grace@example.com' }],
  });
  const app = new App({ outdir: '/nonexistent' });
  const p = new TrainingPortal(app, 'pset', {
    title: 'Settings Workshops',
    registration: Registration.ONE_STEP,
    catalogVisibility: CatalogVisibility.PUBLIC,
    registeredSessions: 0,
    accessCode: { secret: 'event', key: 'code' },
    oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: { secret: 'sso', key: 'client-secret' }, name: 'Test SSO' },
    theme: { css: THEME },
    frameAncestors: [LMS],
    indexUrl: INDEX_URL,
    labels: { event: 'kubecon' },
    logo: LOGO,
    analyticsWebhookUrl: `http://127.0.0.1:${sitePort}/hook`,
  });
  p.addWorkshop(
    new Workshop(app, 'lab', { title: 'Lab', description: 'A test workshop', capabilities: [new Terminal()], labels: { track: 'kubernetes' } }),
    { capacity: 3, reserved: 0, initial: 0 },
  );
  p.addWorkshop(new Workshop(app, 'other', { title: 'Other', description: 'Another test workshop', capabilities: [new Terminal()] }), {
    capacity: 3,
    reserved: 0,
    initial: 0,
  });
  const files = synthesize(app);
  objects = files.flatMap((f) => f.objects);
  await applyFixture(client, { portal: 'pset', files, environment: (w) => `pset-${w}` });
  // what the operator creates next to the portal: the Secrets the synthesized objects only refer to
  for (const [name, data] of [
    ['event', { code: ACCESS_CODE }],
    ['sso', { 'client-secret': provider.clientSecret }],
  ] as const) {
    await client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'pset-ui' }, stringData: data } as unknown as Manifest);
  }
  portal = await runSynthesizedPortal(client, objects, port);
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP lms.example.test 127.0.0.1, MAP evil.example.test 127.0.0.1'] });
});

afterAll(async () => {
  await signedIn?.close();
  await browser?.close();
  await portal?.stop();
  await provider?.close();
  site?.closeAllConnections();
  await new Promise((resolve) => site?.close(resolve));
  await client.close();
});

/** A browser context in which session hosts answer with a stand-in. */
async function context(): Promise<BrowserContext> {
  const c = await browser.newContext();
  await c.route(/\.workshops\.127-0-0-1\.test/, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Dashboard</title>' }),
  );
  return c;
}

test('nothing secret was synthesized: the pod got the access code and the client secret from the Secrets', () => {
  const text = JSON.stringify(objects);
  expect(text).not.toContain(ACCESS_CODE);
  expect(text).not.toContain(provider.clientSecret);
  expect(portal.env.PORTAL_ACCESS_CODE).toBe(ACCESS_CODE);
  expect(portal.env.OIDC_CLIENT_SECRET).toBe(provider.clientSecret);
});

test('the access code from the Secret gates the catalog; a wrong code is refused, the right one opens it', async () => {
  const c = await context();
  const page = await c.newPage();
  await page.goto(`${portal.url}/workshops/catalog/`);
  expect(new URL(page.url()).pathname).toBe('/workshops/access/');
  const api = await page.request.get(`${portal.url}/workshops/catalog/environments/`, { headers: { accept: 'application/json' } });
  expect(api.status()).toBe(403);
  const wrong = await page.goto(`${portal.url}/workshops/access/?password=not-the-code&next=/workshops/catalog/`);
  expect(wrong!.status()).toBe(401);
  await page.goto(`${portal.url}/workshops/access/?password=${ACCESS_CODE}&next=/workshops/catalog/`);
  expect(new URL(page.url()).pathname).toBe('/workshops/catalog/');
  // the portal's labels, in the catalog API
  const catalog = await page.request.get(`${portal.url}/workshops/catalog/environments/`, { headers: { accept: 'application/json' } });
  expect(catalog.status()).toBe(200);
  expect((await catalog.json()).portal.labels).toEqual({ event: 'kubecon' });
  await c.close();
});

test('catalog filters: ?labels[key]=value lists only the workshops so labelled, on the page and in the API', async () => {
  const c = await context();
  const page = await c.newPage();
  await page.goto(`${portal.url}/workshops/access/?password=${ACCESS_CODE}&next=/workshops/catalog/`);
  const titles = () => page.locator('li.card h2').allTextContents();
  await waitFor(
    'both workshops in the catalog',
    async () => {
      await page.reload();
      return (await titles()).length === 2;
    },
    30_000,
  );
  expect((await titles()).sort()).toEqual(['Lab', 'Other']);
  await page.goto(`${portal.url}/workshops/catalog/?labels[track]=kubernetes`);
  expect(await titles()).toEqual(['Lab']);
  expect(await page.textContent('p.filter')).toContain('track=kubernetes');
  await page.goto(`${portal.url}/workshops/catalog/?labels[track]=databases`);
  expect(await titles()).toEqual([]);
  const api = await page.request.get(`${portal.url}/workshops/catalog/environments/?labels[track]=kubernetes`, {
    headers: { accept: 'application/json' },
  });
  expect((await api.json()).environments.map((e: { name: string }) => e.name)).toEqual(['pset-lab']);
  await c.close();
});

test('the theme style sheet is served, linked by every page, and applies; the logo is in the header', async () => {
  const c = await context();
  const page = await c.newPage();
  await page.goto(`${portal.url}/workshops/access/`);
  expect(await page.getAttribute('header .brand img', 'src')).toBe(LOGO);
  expect(await page.locator('link[rel=stylesheet]').evaluateAll((links) => links.map((l) => l.getAttribute('href')))).toEqual([
    '/static/portal.css',
    '/static/theme.css',
  ]);
  expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(16, 32, 48)');
  const css = await page.request.get(`${portal.url}/static/theme.css`);
  expect(css.headers()['content-type']).toBe('text/css; charset=utf-8');
  expect(await css.text()).toBe(THEME);
  await c.close();
});

test('frame-ancestors: the LMS can embed the portal, another site cannot', async () => {
  const response = await fetch(`${portal.url}/workshops/access/`);
  expect(response.headers.get('content-security-policy')).toBe(`frame-ancestors 'self' ${LMS}`);
  expect(response.headers.get('x-frame-options')).toBeNull();
  const c = await context();
  for (const [embedding, allowed] of [
    [`${LMS}/embed`, true],
    [`http://evil.example.test:${sitePort}/embed`, false],
  ] as const) {
    const page = await c.newPage();
    await page.goto(embedding);
    const frame = await waitFor('the frame', () => page.frames().find((f) => f !== page.mainFrame() && f.url() !== 'about:blank'), 10_000);
    await frame.waitForLoadState();
    if (allowed) {
      expect(frame.url()).toBe(`${portal.url}/workshops/access/`);
      expect(await frame.title()).toBe('Access code · Settings Workshops');
    } else {
      // Chromium replaces a refused frame with its error page: nothing of the portal is shown
      expect(await frame.title().catch(() => '')).not.toContain('Settings Workshops');
    }
    await page.close();
  }
  await c.close();
});

test("OpenID Connect with the issuer, client id and the client secret from the Secret: the provider's user signs in", async () => {
  const c = await context();
  const page = await c.newPage();
  await page.goto(`${portal.url}/workshops/access/?password=${ACCESS_CODE}&next=/accounts/login/`);
  const toProvider: string[] = [];
  page.on('request', (r) => (r.url().startsWith(provider.issuer) ? toProvider.push(r.url()) : undefined));
  await page.click('text=Sign in with Test SSO');
  expect(page.url().startsWith(provider.issuer)).toBe(true);
  expect(new URL(toProvider[0]).searchParams.get('client_id')).toBe(provider.clientId);
  await page.fill('input[name=login]', 'grace');
  await page.fill('input[name=password]', 'anything');
  await page.click('button[type=submit]');
  if (page.url().startsWith(provider.issuer)) await page.click('button[type=submit]'); // consent
  // the code is exchanged with the client secret; the portal then shows who is signed in
  await page.waitForURL((url) => url.toString().startsWith(portal.url) && !url.pathname.startsWith('/accounts/oidc/'));
  expect(await page.textContent('header .who')).toBe('grace');
  signedIn = c;
});

test("ending a session sends the learner to the portal's index URL, and the analytics webhook hears of it", async () => {
  // Grace, signed in through the provider above, starts the workshop and ends her session
  const c = signedIn!;
  const page = await c.newPage();
  await page.goto(`${portal.url}/workshops/environment/pset-lab/`);
  await page.click('main button[type=submit]');
  const session = await waitFor(
    "the session's name",
    () => {
      const url = new URL(page.url());
      return (
        url.pathname.match(/^\/workshops\/session\/([^/]+)\//)?.[1] ??
        (url.hostname.endsWith('.workshops.127-0-0-1.test') ? url.hostname.split('.')[0] : undefined)
      );
    },
    30_000,
  );
  await page.goto(`${portal.url}/workshops/session/${session}/delete/`);
  await page.click('main button.danger');
  await page.waitForURL((url) => url.toString().startsWith(INDEX_URL));
  expect(page.url()).toBe(`${INDEX_URL}?notification=session-deleted`);
  // the analytics webhook heard of it
  await waitFor(
    `Session/Terminate at the webhook (heard: ${webhook.map((w) => w.body.event.name)})`,
    () => webhook.some((w) => w.body.event.name === 'Session/Terminate'),
    15_000,
  );
  expect(webhook.every((w) => w.path === '/hook' && w.body.portal.name === 'pset')).toBe(true);
  await c.close();
});
