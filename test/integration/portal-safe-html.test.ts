/**
 * The attack on the portal's pages (issue 13, "Safe HTML by default"): a workshop title and description, the
 * portal's title, a learner's name, notification values and the admin's search text all carry markup that would
 * run script or add an event handler if a page put it in unescaped. Real Chromium loads the catalog, the session
 * page, the admin page and error pages: no dialog opens, no element gets an `onmouseover`, no inline script
 * appears, and the hostile text is shown as text. Every page of the portal is built with the `html` template
 * (src/content/html.ts); a builder that concatenated a value in unescaped would fail here.
 */
import { createHash } from 'node:crypto';

import { App } from 'cdk8s';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { synthesize, Terminal, TrainingPortal, Workshop } from '../../src/constructs/index.js';
import { KubeClient } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { applyFixture, type Fixture, waitFor } from '../support/portal-fixture.js';
import { ADMIN, startTestPortal, type TestPortal } from '../support/portal-server.js';

const HOSTILE = `<script>alert("xss")</script>"onmouseover="alert('hover')" '><img src=x onerror=alert(3)>`;

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let fixture: Fixture;
let t: TestPortal;
let browser: Browser;
const dialogs: string[] = [];

function hostileFixture(portal: string): Fixture {
  const app = new App({ outdir: '/nonexistent' });
  const p = new TrainingPortal(app, portal, {});
  const w = new Workshop(app, 'evil', { title: `Evil ${HOSTILE}`, description: `About ${HOSTILE}`, capabilities: [new Terminal()] });
  p.addWorkshop(w, { capacity: 4, initial: 0, reserved: 0 });
  return { portal, files: synthesize(app), environment: (workshop) => `${portal}-${workshop}` };
}

async function browse(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return page;
}

/** The page is inert: the markup of HOSTILE is nowhere in the DOM as elements or attributes, only as text. */
async function expectInert(page: Page, source: string): Promise<void> {
  expect(source).not.toContain('<script>alert');
  expect(source).not.toContain('"onmouseover="');
  expect(source).not.toContain('<img src=x');
  // (a string: the tests are type-checked without the DOM library)
  const dom = await page.evaluate(`({
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    images: document.querySelectorAll('img[src="x"]').length,
  })`);
  expect(dom).toEqual({ handlers: 0, inlineScripts: 0, images: 0 });
  expect(dialogs).toEqual([]);
}

async function open(page: Page, path: string, status = 200): Promise<string> {
  const response = await page.goto(`${t.url}${path}`);
  expect(response?.status()).toBe(status);
  return await response!.text();
}

beforeAll(async () => {
  fixture = hostileFixture('psafe');
  await applyFixture(client, fixture);
  t = await startTestPortal(
    client,
    fixture,
    { config: { name: 'psafe', title: `Portal ${HOSTILE}`, registration: 'anonymous', catalogVisibility: 'public' } },
    { limits: { maximum: 0, registered: 0, anonymous: 2 } },
  );
  browser = await launchBrowser();
  await waitFor('the environment', () => t.runtime.state.environment(fixture.environment('evil')));
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await client.close();
});

let learnerSession: string;

test('a hostile workshop title, description and portal title are inert on the catalog, with a hostile notification', async () => {
  const context = await browser.newContext();
  const page = await browse(context);
  const source = await open(page, `/workshops/catalog/?notification=${encodeURIComponent(HOSTILE)}&labels%5Bx%5D=${encodeURIComponent(HOSTILE)}`);
  await expectInert(page, source);
  // the filter names the label value it was given, as text
  await expect(page.locator('p.filter code').textContent()).resolves.toBe(`x=${HOSTILE}`);
  const all = await open(page, '/workshops/catalog/');
  await expectInert(page, all);
  await expect(page.locator('li.card h2').textContent()).resolves.toBe(`Evil ${HOSTILE}`);
  await expect(page.locator('li.card p').first().textContent()).resolves.toBe(`About ${HOSTILE}`);
  await expect(page.locator('a.brand').textContent()).resolves.toBe(`Portal ${HOSTILE}`);
  expect(await page.title()).toBe(`Workshops · Portal ${HOSTILE}`);
  await context.close();
});

test('a learner named with markup, through a REST request, is inert on the session page, its end page and error pages', async () => {
  const token = 'activation-token-for-the-attack';
  const result = await t.runtime.allocate({
    environment: fixture.environment('evil'),
    user: 'rest:hostile-learner',
    anonymous: true,
    activationSeconds: 600,
    activationTokenHash: createHash('sha256').update(token).digest('hex'),
    request: { firstName: HOSTILE, lastName: 'Learner', email: 'learner@example.com' },
  });
  if (!('session' in result)) throw new Error(`allocation refused: ${result.refused}`);
  learnerSession = result.session.metadata.name;
  const context = await browser.newContext();
  const page = await browse(context);
  // the activation link is checked against the portal's cache of the session: wait until it has the token's hash
  await waitFor('the session with its activation token', () => t.runtime.session(learnerSession)?.status?.activationTokenHash);
  // the link signs the browser in (its cookie jar is the context's); not followed, since a session that is ready
  // by then would send it on into the dashboard
  const activated = await page.request.get(`${t.url}/workshops/session/${learnerSession}/activate/?token=${token}`, { maxRedirects: 0 });
  expect([activated.status(), activated.headers().location]).toEqual([303, `/workshops/session/${learnerSession}/?enter=1`]);
  const session = await open(page, `/workshops/session/${learnerSession}/`);
  await expectInert(page, session);
  await expect(page.locator('main h1').textContent()).resolves.toBe(`Evil ${HOSTILE}`);
  const ending = await open(page, `/workshops/session/${learnerSession}/delete/?notification=${encodeURIComponent(HOSTILE)}`);
  await expectInert(page, ending);
  await expect(page.locator('main p').first().textContent()).resolves.toBe(`Your session of Evil ${HOSTILE} and everything in it will be deleted.`);
  // error pages: not found, and another learner's session
  const notFound = await open(page, `/no/${encodeURIComponent(HOSTILE)}`, 404);
  await expectInert(page, notFound);
  await expect(page.locator('a.brand').textContent()).resolves.toBe(`Portal ${HOSTILE}`);
  await context.close();

  const stranger = await browser.newContext();
  const other = await browse(stranger);
  await open(other, '/workshops/catalog/');
  const refused = await open(other, `/workshops/session/${learnerSession}/`, 403);
  await expectInert(other, refused);
  await expect(other.locator('main h1').textContent()).resolves.toBe('Not your session');
  await stranger.close();
});

test("the admin page and the admin's view of the session show the hostile learner and search text inert", async () => {
  const context = await browser.newContext();
  const page = await browse(context);
  await page.goto(`${t.url}/accounts/login/`);
  await page.fill('input[name=username]', ADMIN.username);
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('main button[type=submit]');
  await page.waitForURL((url) => !url.pathname.startsWith('/accounts/login/'));
  const source = await open(page, `/admin/?q=${encodeURIComponent(HOSTILE)}`);
  await expectInert(page, source);
  await expect(page.locator('#f-q').inputValue()).resolves.toBe(HOSTILE);
  const row = page.locator(`tr[data-session="${learnerSession}"]`);
  await expect(row.locator('.learner').textContent()).resolves.toBe(`${HOSTILE} Learner <learner@example.com>`);
  // the filter is carried in every row's forms as it was typed
  const kept = await row.locator('input[name=q]').evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value));
  expect(kept.length).toBeGreaterThan(0);
  expect(new Set(kept)).toEqual(new Set([HOSTILE]));
  await expect(page.locator('#environments-body td').first().textContent()).resolves.toBe(`Evil ${HOSTILE}`);

  const session = await open(page, `/workshops/session/${learnerSession}/`);
  await expectInert(page, session);
  await expect(page.locator('main p.muted span').first().textContent()).resolves.toBe(`${HOSTILE} Learner <learner@example.com>`);
  await context.close();
});
