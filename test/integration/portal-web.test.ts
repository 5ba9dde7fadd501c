/**
 * The portal's pages in real Chromium on the real control plane: an anonymous learner goes from the catalog to a
 * Ready session and into its dashboard (with and without JavaScript); the admin extends and ends the session and
 * the learner sees it; another learner cannot open it. The session hosts (*.workshops.127-0-0-1.test) do not
 * resolve here, so the browser's requests to them are intercepted and answered by a stand-in dashboard page.
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

/** A browser context whose requests to session hosts land on a stand-in dashboard; returns the URLs it saw. */
async function learnerContext(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; dashboards: string[] }> {
  const context = await browser.newContext(options);
  const dashboards: string[] = [];
  await context.route(/\.workshops\.127-0-0-1\.test/, (route) => {
    dashboards.push(route.request().url());
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Dashboard</title><h1>Dashboard stand-in</h1>' });
  });
  // a learning platform that sends learners to the portal and gets them back
  await context.route(/^https:\/\/lms\.example\.com\//, (route) => {
    const link = new URL(route.request().url()).searchParams.get('link');
    return route.fulfill({
      status: 200,
      contentType: 'text/html',
      body: `<!doctype html><title>LMS</title>${link ? `<a href="${link}">Start the lab</a>` : ''}`,
    });
  });
  return { context, page: await context.newPage(), dashboards };
}

beforeAll(async () => {
  fixture = synthPortal('pweb', [
    { name: 'pooled', capacity: 4, reserved: 1, expires: seconds(60), overtime: seconds(30), deadline: seconds(120) },
    { name: 'ondemand', capacity: 3, initial: 0, reserved: 0, expires: seconds(60), overtime: seconds(30), deadline: seconds(120) },
  ]);
  await applyFixture(client, fixture);
  t = await startTestPortal(client, fixture, {
    config: { name: 'pweb', title: 'Web Workshops', registration: 'anonymous', catalogVisibility: 'public' },
  });
  browser = await launchBrowser();
  await waitFor('a ready reserve', () =>
    t.runtime.state.sessionsOf(fixture.environment('pooled')).some((s) => phaseOf(s) === 'Ready' && !s.status?.user),
  );
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await client.close();
});

const mineIn = (workshop: string) => t.runtime.state.sessionsOf(fixture.environment(workshop)).filter((s) => s.status?.user);

describe('learner', () => {
  let learner: Awaited<ReturnType<typeof learnerContext>>;
  let sessionName: string;

  test('an anonymous learner goes from the catalog to a Ready session, phase by phase, and into its dashboard', async () => {
    learner = await learnerContext();
    const { page } = learner;
    await page.goto(t.url + '/');
    expect(new URL(page.url()).pathname).toBe('/workshops/catalog/');
    expect(await page.title()).toBe('Workshops · Web Workshops');
    const card = page.locator('li.card', { hasText: 'Workshop ondemand' });
    await expect(card.locator('.availability').textContent()).resolves.toContain('3 of 3 free');
    // the session page shows the steps while the session is made: every step a page marks current, from its first
    // render on, is reported (an observer in each page the tab loads), rather than sampled now and then
    const stepsSeen = new Set<string>();
    await page.exposeFunction('stepShown', (text: string) => stepsSeen.add(text));
    await page.addInitScript({
      content: `document.addEventListener('DOMContentLoaded', () => {
        const report = () => { const step = document.querySelector('.step.current'); if (step) window.stepShown(step.textContent); };
        report();
        new MutationObserver(report).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
      });`,
    });
    await card.getByRole('button', { name: 'Start workshop' }).click();
    await page.waitForSelector('ol.steps');
    await waitFor('the dashboard', () => learner.dashboards.length > 0, 30_000);
    const session = mineIn('ondemand')[0];
    sessionName = session.metadata.name;
    expect(phaseOf(session)).toBe('Ready');
    expect(session.status!.user).toMatch(/^anon@pweb:/);
    expect(learner.dashboards[0]).toBe(`${session.status!.url}/`);
    await page.waitForURL(`${session.status!.url}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Dashboard stand-in');
    expect(stepsSeen.size).toBeGreaterThan(0);
    for (const step of stepsSeen) expect(['Allocating a session', 'Creating its namespace and objects', 'Starting its services']).toContain(step);
  });

  test('back on the portal the learner sees the session with its time left and controls', async () => {
    const { page } = learner;
    await page.goto(`${t.url}/workshops/session/${sessionName}/`);
    await expect(page.locator('h2#session-status').textContent()).resolves.toBe('Your session is ready');
    expect(await page.locator('#enter').getAttribute('href')).toBe(t.runtime.session(sessionName)!.status!.url);
    expect(await page.locator('.countdown').textContent()).toMatch(/^0\d:\d\d$/);
    // the catalog now offers to continue it
    await page.goto(`${t.url}/workshops/catalog/`);
    expect(await page.locator('li.card', { hasText: 'Workshop ondemand' }).getByRole('link', { name: 'Continue' }).getAttribute('href')).toBe(
      `/workshops/session/${sessionName}/`,
    );
  });

  test('another learner cannot open it: a 403 page, and the API says 403 too', async () => {
    const other = await learnerContext();
    await other.page.goto(`${t.url}/workshops/catalog/`);
    const answer = await other.page.goto(`${t.url}/workshops/session/${sessionName}/?enter=1`);
    expect(answer!.status()).toBe(403);
    await expect(other.page.locator('h1').textContent()).resolves.toBe('Not your session');
    expect(other.dashboards).toEqual([]);
    const api = await other.page.evaluate(async (name) => (await fetch(`/workshops/session/${name}/schedule/`)).status, sessionName);
    expect(api).toBe(403);
    const extend = await other.page.evaluate(
      async (name) => (await fetch(`/workshops/session/${name}/extend/`, { method: 'POST', body: new URLSearchParams({ _csrf: 'x' }) })).status,
      sessionName,
    );
    expect(extend).toBe(403);
    // nor end it, even with a valid form token of their own
    const end = await other.page.evaluate(async (name) => {
      const catalog = await (await fetch('/workshops/catalog/')).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(catalog)![1];
      return (await fetch(`/workshops/session/${name}/delete/`, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }) })).status;
    }, sessionName);
    expect(end).toBe(403);
    expect(phaseOf(t.runtime.session(sessionName)!)).toBe('Ready');
    await other.context.close();
  });

  test('the admin extends the session and then ends it; the learner sees both', async () => {
    const { page } = learner;
    await page.goto(`${t.url}/workshops/session/${sessionName}/`);
    const before = t.runtime.session(sessionName)!.status!.expiresAt!;

    const admin = await browser.newContext();
    const adminPage = await admin.newPage();
    // an anonymous portal gives every visitor a guest identity: the admin signs in on the sign-in page
    await adminPage.goto(`${t.url}/accounts/login/`);
    await adminPage.fill('input[name=username]', ADMIN.username);
    await adminPage.fill('input[name=password]', ADMIN.password);
    await adminPage.click('button[type=submit]');
    await adminPage.goto(`${t.url}/admin/`);
    const row = adminPage.locator(`tr[data-session="${sessionName}"]`);
    await expect(row.locator('.phase').textContent()).resolves.toBe('Ready');
    await row.getByRole('button', { name: `Extend ${sessionName}` }).click();
    await expect(adminPage.locator('.notice').textContent()).resolves.toBe('The session was extended.');
    const after = t.runtime.session(sessionName)!.status!.expiresAt!;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));

    // the learner's page picks up the new end time (its script polls)
    await page.waitForFunction(
      (expires) => {
        const text =
          (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('.countdown')
            ?.textContent ?? '';
        const [m, s] = text.split(':').map(Number);
        return Math.abs(Date.now() + (m * 60 + s) * 1000 - Date.parse(expires)) < 3000;
      },
      after,
      { timeout: 15_000 },
    );

    await adminPage
      .locator(`tr[data-session="${sessionName}"]`)
      .getByRole('button', { name: `Terminate ${sessionName}` })
      .click();
    await expect(adminPage.locator('.notice').textContent()).resolves.toBe('The session is ending.');
    // the learner's page notices, and says who ended it
    await page.waitForSelector('text=An administrator ended it.', { timeout: 15_000 });
    await expect(page.locator('h1').textContent()).resolves.toBe('This session has ended');
    await admin.close();
    await learner.context.close();
  });

  test('without JavaScript: Start, the page refreshes itself while preparing, then into the dashboard', async () => {
    const plain = await learnerContext({ javaScriptEnabled: false });
    await plain.page.goto(`${t.url}/workshops/catalog/`);
    await plain.page.locator('li.card', { hasText: 'Workshop pooled' }).getByRole('button', { name: 'Start workshop' }).click();
    await waitFor('the dashboard', () => plain.dashboards.length > 0, 30_000);
    const session = mineIn('pooled').find((s) => plain.dashboards[0] === `${s.status?.url}/`);
    expect(session).toBeDefined();
    await plain.page.waitForURL(plain.dashboards[0]);
    // the learner ends it from the session page: back to the catalog with Educates' notification
    await plain.page.goto(`${t.url}/workshops/session/${session!.metadata.name}/`);
    await plain.page.getByRole('button', { name: 'End session', exact: true }).click();
    expect(plain.page.url()).toBe(`${t.url}/workshops/catalog/?notification=session-deleted`);
    await expect(plain.page.locator('.notice').textContent()).resolves.toBe('Your workshop session has ended.');
    await waitFor(
      'the session ending',
      () => !t.runtime.session(session!.metadata.name) || phaseOf(t.runtime.session(session!.metadata.name)!) === 'Terminating',
    );
    expect(t.runtime.session(session!.metadata.name)?.status?.reason ?? 'TerminatedByUser').toBe('TerminatedByUser');
    await plain.context.close();
  });

  test("Educates' anonymous entry: /create/ gives a guest a session at once, and ending it returns to the index URL", async () => {
    const guest = await learnerContext();
    // the learner follows the platform's link (Playwright does not intercept the redirects of a goto's own chain)
    const create = `${t.url}/workshops/environment/${fixture.environment('pooled')}/create/?index_url=${encodeURIComponent('https://lms.example.com/course')}`;
    await guest.page.goto(`https://lms.example.com/start?link=${encodeURIComponent(create)}`);
    await guest.page.getByRole('link', { name: 'Start the lab' }).click();
    await waitFor('the dashboard', () => guest.dashboards.length > 0, 30_000);
    const session = mineIn('pooled').find((s) => guest.dashboards[0] === `${s.status?.url}/`)!;
    await guest.page.waitForURL(guest.dashboards[0]);
    expect(session.status!.user).toMatch(/^anon@pweb:/);
    await guest.page.goto(`${t.url}/workshops/session/${session.metadata.name}/`);
    // the navigation target (the browser's own redirect to the stand-in host is not intercepted)
    const [ended] = await Promise.all([
      guest.page.waitForResponse((r) => r.url().endsWith(`/workshops/session/${session.metadata.name}/delete/`)),
      guest.page.getByRole('button', { name: 'End session', exact: true }).click(),
    ]);
    expect(ended.status()).toBe(303);
    expect(ended.headers().location).toBe('https://lms.example.com/course?notification=session-deleted');
    await guest.context.close();
  });

  test("Educates' notifications and the refusal pages", async () => {
    const { page, context } = await learnerContext();
    for (const [value, text] of [
      ['session-unavailable', 'No session of that workshop is available'],
      ['startup-timeout', 'could not be started in time'],
      ['workshop-invalid', 'not offered here'],
    ]) {
      await page.goto(`${t.url}/workshops/catalog/?notification=${value}`);
      await expect(page.locator('.notice').textContent()).resolves.toContain(text);
    }
    // an unknown workshop: back to the catalog with workshop-invalid
    await page.goto(`${t.url}/workshops/environment/pweb-nope/create/`);
    expect(page.url()).toBe(`${t.url}/workshops/catalog/?notification=workshop-invalid`);
    // an unknown session
    await page.goto(`${t.url}/workshops/session/pweb-pooled-s999/`);
    expect(page.url()).toBe(`${t.url}/workshops/catalog/?notification=session-invalid`);
    await context.close();
  });
});
