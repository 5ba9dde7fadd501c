/**
 * What a learner and an admin meet in their first hour on the portal's pages, in real Chromium on the local control
 * plane (issue 14, "The portal"): no request ends in a 404 (the favicon), a refused Start leaves a GET address,
 * pages name the workshop by its title, a guest finds the admins' sign-in, every problem page has one style, and
 * the admin page shows learners readably, filters, refreshes itself, says why Extend is disabled and keeps its
 * buttons on one line. Session hosts do not resolve here: the browser's requests to them get a stand-in page.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { KubeClient, phaseOf } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { applyFixture, type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { ADMIN, startTestPortal, type TestPortal } from '../support/portal-server.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let fixture: Fixture;
let t: TestPortal;
let browser: Browser;

async function guest(): Promise<{ context: BrowserContext; page: Page; notFound: string[] }> {
  const context = await browser.newContext();
  const notFound: string[] = [];
  context.on('response', (r) => {
    if (r.status() === 404) notFound.push(r.url());
  });
  await context.route(/\.workshops\.127-0-0-1\.test/, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Dashboard</title><h1>Dashboard stand-in</h1>' }),
  );
  return { context, page: await context.newPage(), notFound };
}

async function signInAsAdmin(page: Page): Promise<void> {
  await page.fill('input[name=username]', ADMIN.username);
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('main button[type=submit]');
}

async function start(page: Page, workshop: string): Promise<string> {
  await page.goto(`${t.url}/workshops/catalog/`);
  await page
    .locator('li.card', { hasText: `Workshop ${workshop}` })
    .getByRole('button', { name: 'Start workshop' })
    .click();
  await page.waitForURL(/Dashboard|workshops\.127-0-0-1\.test/, { timeout: 60_000 }).catch(() => undefined);
  const session = await waitFor(
    `a session of ${workshop}`,
    () =>
      t.runtime.state
        .sessionsOf(fixture.environment(workshop))
        .find((s) => s.status?.user && phaseOf(s) === 'Ready' && page.url().startsWith(s.status.url ?? '-')),
    60_000,
  );
  return session.metadata.name;
}

beforeAll(async () => {
  fixture = synthPortal('ppages', [
    { name: 'alpha', capacity: 4, reserved: 1, expires: seconds(1800), overtime: seconds(300), deadline: seconds(3600) },
    { name: 'beta', capacity: 3, initial: 0, reserved: 0, expires: seconds(1800), deadline: seconds(3600) },
  ]);
  await applyFixture(client, fixture);
  t = await startTestPortal(
    client,
    fixture,
    { config: { name: 'ppages', title: 'Pages Workshops', registration: 'anonymous', catalogVisibility: 'public' } },
    { limits: { maximum: 0, registered: 0, anonymous: 1 } },
  );
  browser = await launchBrowser();
  await waitFor(
    'the environments',
    () => t.runtime.state.environment(fixture.environment('alpha')) && t.runtime.state.environment(fixture.environment('beta')),
  );
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await client.close();
});

let learnerSession: string;
let learner: Awaited<ReturnType<typeof guest>>;

test('no page load asks for something that is not there: /favicon.ico and the icon are served', async () => {
  learner = await guest();
  await learner.page.goto(`${t.url}/`);
  await learner.page.waitForLoadState('networkidle');
  const icon = await learner.page.request.get(`${t.url}/favicon.ico`);
  expect([icon.status(), icon.headers()['content-type']]).toEqual([200, 'image/svg+xml']);
  expect(await learner.page.locator('link[rel=icon]').getAttribute('href')).toBe('/static/favicon.svg');
  expect(learner.notFound).toEqual([]);
});

test('a refused second Start leaves the address bar on a GET page that says why, and reloading it posts nothing', async () => {
  const { page } = learner;
  learnerSession = await start(page, 'alpha');
  await page.goto(`${t.url}/workshops/catalog/`);
  await page.locator('li.card', { hasText: 'Workshop beta' }).getByRole('button', { name: 'Start workshop' }).click();
  await page.waitForURL(`${t.url}/workshops/catalog/?notification=session-limit`);
  await expect(page.locator('.notice').textContent()).resolves.toContain('as many sessions as this portal allows');
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(r.url());
  });
  await page.reload();
  expect(posts).toEqual([]);
  expect(t.runtime.state.sessionsOf(fixture.environment('beta')).filter((s) => s.status?.user)).toEqual([]);
});

test('the session pages name the workshop by its title, never by its id', async () => {
  const { page } = learner;
  await page.goto(`${t.url}/workshops/session/${learnerSession}/`);
  await expect(page.locator('h1').textContent()).resolves.toBe('Workshop alpha');
  await page.goto(`${t.url}/workshops/session/${learnerSession}/delete/`);
  const text = await page.locator('main .panel').textContent();
  expect(text).toContain('Your session of Workshop alpha');
  expect(text).not.toContain(`of ${t.runtime.session(learnerSession)!.spec.workshop} `);
});

test('every problem page has the one style: a title, a panel with the message, and its ways on as buttons', async () => {
  const { page } = learner;
  const pages: Array<[string, string]> = [
    [`${t.url}/no/such/page/`, 'Page not found'],
    [`${t.url}/admin/`, 'Administrators only'],
    [`${t.url}/workshops/session/${learnerSession}/activate/?token=wrong`, 'This link does not open a session'],
  ];
  for (const [url, title] of pages) {
    await page.goto(url);
    await expect(page.locator('h1').textContent()).resolves.toBe(title);
    await expect(page.locator('main .panel.problem p').first().isVisible()).resolves.toBe(true);
    expect(await page.locator('main .panel.problem a.button').count()).toBeGreaterThan(0);
  }
  // a form posted with a stale token
  await page.goto(`${t.url}/workshops/catalog/`);
  await page.locator('input[name=_csrf]').evaluateAll((inputs) =>
    inputs.forEach((input) => {
      (input as unknown as { value: string }).value = 'stale';
    }),
  );
  await page
    .locator('li.card', { hasText: 'Workshop beta' })
    .getByRole('link', { name: 'Continue' })
    .or(page.locator('li.card', { hasText: 'Workshop beta' }).getByRole('button', { name: 'Start workshop' }))
    .click();
  await page.locator('h1', { hasText: 'The form has expired' }).waitFor();
  expect(await page.locator('main .panel.problem a.button').count()).toBeGreaterThan(0);
});

test('a guest reaches the admins\' sign-in from the header and from the "Administrators only" page', async () => {
  const visitor = await guest();
  await visitor.page.goto(`${t.url}/workshops/catalog/`);
  await expect(visitor.page.locator('.site-header .who').textContent()).resolves.toBe('Guest');
  await visitor.page.locator('.site-header').getByRole('link', { name: 'Admin sign-in' }).click();
  await signInAsAdmin(visitor.page);
  await visitor.page.waitForURL(`${t.url}/admin/`);
  await expect(visitor.page.locator('h1').textContent()).resolves.toBe('Administration');
  await visitor.context.close();

  const other = await guest();
  await other.page.goto(`${t.url}/workshops/catalog/`);
  const refused = await other.page.goto(`${t.url}/admin/`);
  expect(refused!.status()).toBe(403);
  await other.page.getByRole('link', { name: 'Sign in as an administrator' }).click();
  await signInAsAdmin(other.page);
  await other.page.waitForURL(`${t.url}/admin/`);
  await other.context.close();
});

describe('the admin page', () => {
  let admin: Awaited<ReturnType<typeof guest>>;

  beforeAll(async () => {
    admin = await guest();
    await admin.page.goto(`${t.url}/accounts/login/?next=%2Fadmin%2F`);
    await signInAsAdmin(admin.page);
    await admin.page.waitForURL(`${t.url}/admin/`);
  });
  afterAll(() => admin.context.close());

  test('shows learners readably (the id in the title) and the workshop by its title', async () => {
    const row = admin.page.locator(`tr[data-session="${learnerSession}"]`);
    const learnerCell = row.locator('.learner');
    const user = t.runtime.session(learnerSession)!.status!.user!;
    expect(user).toMatch(/^anon@ppages:/);
    await expect(learnerCell.textContent()).resolves.toBe(`Guest ${user.slice('anon@ppages:'.length, 'anon@ppages:'.length + 8)}`);
    await expect(learnerCell.getAttribute('title')).resolves.toBe(user);
    await expect(row.locator('td').first().textContent()).resolves.toBe('Workshop alpha');
  });

  test('a disabled Extend says why, and the buttons stay compact on one line', async () => {
    const row = admin.page.locator(`tr[data-session="${learnerSession}"]`);
    const extend = row.getByRole('button', { name: `Extend ${learnerSession}` });
    await expect(extend.isDisabled()).resolves.toBe(true);
    await expect(row.locator('.why').textContent()).resolves.toMatch(/^Can be extended in its last 5 minutes, from \d\d:\d\d UTC$/);
    await expect(extend.getAttribute('title')).resolves.toMatch(/^Can be extended in its last 5 minutes/);
    const terminate = row.getByRole('button', { name: `Terminate ${learnerSession}` });
    const [a, b] = [await extend.boundingBox(), await terminate.boundingBox()];
    expect(a!.y).toBe(b!.y);
    expect(b!.x).toBeGreaterThan(a!.x + a!.width);
  });

  test('search and filter narrow the sessions, without JavaScript too (a GET form)', async () => {
    const { page } = admin;
    await page.fill('#f-q', learnerSession);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/\?q=/);
    expect(await page.locator('#sessions-body tr').count()).toBe(1);
    await page.fill('#f-q', 'Guest');
    await page.selectOption('#f-show', 'reserves');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.locator('#sessions-body').textContent()).resolves.toContain('No sessions match.');
    await page.goto(`${t.url}/admin/?show=reserves`);
    const reserves = await page.locator('#sessions-body tr[data-session]').count();
    expect(reserves).toBe(
      t.runtime.state.sessions.list().filter((s) => !s.status?.user && !['Terminating', 'Failed', 'Expired'].includes(phaseOf(s))).length,
    );
    await page.goto(`${t.url}/admin/`);
  });

  test('refreshes itself: a session started meanwhile appears without a reload', async () => {
    const { page } = admin;
    await page.goto(`${t.url}/admin/`);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations.push(f.url());
    });
    const other = await guest();
    const name = await start(other.page, 'beta');
    await page.locator(`#sessions-body tr[data-session="${name}"] .learner`).waitFor({ timeout: 30_000 });
    expect(navigations).toEqual([]);
    await expect(page.locator('#refreshed').textContent()).resolves.toMatch(/^Updated at /);
    await other.context.close();
  });
});
