/**
 * The dashboard as a guide, in real Chromium: where the learner is in the workshop and how she finishes it, the
 * session's time and its extension as the portal's rules have them, named split terminals whose lines fit, and
 * tabs whose application is down. GIVEN a dashboard with three pages, two terminals and two routes whose
 * applications are not running, and a portal double whose schedule each test sets, WHEN alice uses it, THEN …
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { launchBrowser } from '../support/browser.js';
import { type FakePortal, startFakePortal } from '../support/fake-portal.js';
import { waitFor } from '../support/portal-fixture.js';
import { startTestDashboard } from '../support/test-dashboard.js';

const SESSION = 'labs-w02-s001';
const CONFIG_PASSWORD = 'config-password-for-guide-tests-0123';

let portal: FakePortal;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let workDir: string;
let consolePort: number;
let appPort: number;
const started: http.Server[] = [];

function writeWorkshop(dir: string): void {
  const content = path.join(dir, 'workshop/content');
  fs.mkdirSync(content, { recursive: true });
  fs.writeFileSync(
    path.join(content, '_index.md'),
    '---\ntitle: Welcome\n---\n\nStart here.\n\n```terminal:execute\ncommand: echo "in terminal two"\nsession: 2\n```\n',
  );
  fs.writeFileSync(path.join(content, '02-deploy.md'), '---\ntitle: Deploy the app\nweight: 2\n---\n\nDeploy it.\n');
  fs.writeFileSync(path.join(content, '03-clean-up.md'), '---\ntitle: Clean up\nweight: 3\n---\n\nThe last page.\n');
}

/** A loopback port nothing listens on (until a test starts an application there). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An application on `port` that answers every request with `text`. */
async function startApp(port: number, text: string): Promise<void> {
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>app</title><p id="app">${text}</p>`),
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  started.push(server);
}

async function signedIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${portal.url}/login?user=alice&next=/accounts/login/`);
  await page.goto(dashboard.url);
  return { context, page };
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-guide-test-'));
  writeWorkshop(path.join(workDir, 'content'));
  fs.mkdirSync(path.join(workDir, 'home'));
  consolePort = await freePort();
  appPort = await freePort();
  const configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      workshop: { name: 'labs-w02', title: 'Guide Test Workshop' },
      content: {},
      capabilities: ['terminal', 'console'],
      tabs: [
        { name: 'Terminal', url: 'terminal:1' },
        { name: 'Console', url: `http://console-${SESSION}.workshops.test/` },
        { name: 'App', url: `http://app-${SESSION}.workshops.test/` },
      ],
      routes: [
        { name: 'console', host: `console-${SESSION}.workshops.test`, port: consolePort, authenticated: true },
        // a workshop's own per-session application behind a Service (here the Service's address is loopback)
        { name: 'app', host: `app-${SESSION}.workshops.test`, port: appPort, service: '127.0.0.1', authenticated: true },
      ],
      settings: { terminal: { layout: 'split', sessions: ['1', '2'] } },
    }),
  );
  portal = await startFakePortal();
  dashboard = await startTestDashboard(portal, {
    sessionName: SESSION,
    clientSecret: CONFIG_PASSWORD,
    workshopDir: path.join(workDir, 'content'),
    configFile,
    homeDir: path.join(workDir, 'home'),
  });
  portal.addSession({ name: SESSION, owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [new URL(dashboard.url).origin] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await portal?.close();
  for (const server of started) {
    server.closeAllConnections();
    server.close();
  }
  fs.rmSync(workDir, { recursive: true, force: true });
});

afterEach(() => portal.setSchedule(SESSION, { status: 'running', extendable: true, expiresInSeconds: 30 * 60 }));

describe('navigation', () => {
  test('each page says where it stands (page N of M), names the pages before and after, and the contents are in sight', async () => {
    const { context, page } = await signedIn();
    const contents = page.getByRole('navigation', { name: 'Contents' });
    await expect(contents.isVisible()).resolves.toBe(true);
    await expect(contents.getByRole('link').allInnerTexts()).resolves.toEqual(['Welcome', 'Deploy the app', 'Clean up']);
    await expect(contents.locator('a[aria-current="page"]').innerText()).resolves.toContain('Welcome');
    await expect(page.locator('.page-position').innerText()).resolves.toBe('Page 1 of 3');
    await expect(page.locator('a[rel="prev"]').count()).resolves.toBe(0);
    await expect(page.locator('a[rel="next"]').innerText()).resolves.toMatch(/Next →\s*Deploy the app/);

    await page.locator('a[rel="next"]').click();
    await page.waitForURL(`${dashboard.url}/page/02-deploy`);
    await expect(page.locator('.page-position').innerText()).resolves.toBe('Page 2 of 3');
    await expect(page.locator('a[rel="prev"]').innerText()).resolves.toMatch(/← Previous\s*Welcome/);
    await expect(page.locator('a[rel="next"]').innerText()).resolves.toMatch(/Next →\s*Clean up/);
    await expect(contents.locator('a[aria-current="page"]').innerText()).resolves.toContain('Deploy the app');
    // no "Finish" before the last page
    await expect(page.getByRole('link', { name: 'Finish workshop' }).count()).resolves.toBe(0);

    await contents.getByRole('link', { name: 'Clean up' }).click();
    await page.waitForURL(`${dashboard.url}/page/03-clean-up`);
    await expect(page.locator('.page-position').innerText()).resolves.toBe('Page 3 of 3');
    await expect(page.locator('a[rel="next"]').count()).resolves.toBe(0);
    await context.close();
  });

  test('the last page ends with "Finish workshop", which ends the session at the portal and returns there', async () => {
    const { context, page } = await signedIn();
    await page.goto(`${dashboard.url}/page/03-clean-up`);
    const finish = page.getByRole('link', { name: 'Finish workshop' });
    await expect(finish.isVisible()).resolves.toBe(true);
    await finish.click();
    await page.waitForURL(`${portal.url}/workshops/session/${SESSION}/delete/`);
    await page.getByRole('button', { name: 'End session' }).click();
    await page.waitForURL(`${portal.url}/workshops/catalog/?notification=session-deleted`);
    expect(portal.ended.has(SESSION)).toBe(true);
    await context.close();
  });
});

describe('the session time', () => {
  test('"Extend session" shows only while the portal allows extending, as on its session page', async () => {
    portal.setSchedule(SESSION, { extendable: false });
    const { context, page } = await signedIn();
    await page.locator('#countdown:not([hidden])').waitFor();
    await expect(page.locator('#extend').isVisible()).resolves.toBe(false);

    portal.setSchedule(SESSION, { extendable: true, expiresInSeconds: 4 * 60 });
    await page.reload();
    await page.locator('#extend').waitFor({ state: 'visible' });
    const before = portal.extensions.get(SESSION) ?? 0;
    await page.locator('#extend').click();
    await waitFor('the extension', () => (portal.extensions.get(SESSION) ?? 0) === before + 1);
    await context.close();
  });

  test('the countdown waits while the session is prepared, then counts the time the portal gives from then', async () => {
    // before it is the learner's, the portal's expiry is the one set at allocation (10 minutes here)…
    portal.setSchedule(SESSION, { status: 'STARTING', expiresInSeconds: 10 * 60 });
    const { context, page } = await signedIn();
    await page.locator('body[data-session-status="starting"]').waitFor();
    await expect(page.locator('#countdown').isVisible()).resolves.toBe(false);
    await expect(page.locator('#extend').isVisible()).resolves.toBe(false);

    // …and when she has it the portal sets it again from then (30 minutes): the page shows that one
    portal.setSchedule(SESSION, { status: 'RUNNING', expiresInSeconds: 30 * 60 });
    await page.locator('#countdown:not([hidden])').waitFor();
    await expect(page.locator('#countdown').innerText()).resolves.toMatch(/^(30:00|29:\d\d) left$/);
    await context.close();
  });
});

describe('terminals', () => {
  test('split terminals are named as actions call them, and an action runs in the one it names', async () => {
    const { context, page } = await signedIn();
    for (const name of ['Terminal 1', 'Terminal 2']) {
      const region = page.getByRole('region', { name });
      await expect(region.getByRole('heading', { name }).isVisible()).resolves.toBe(true);
    }
    await page.locator('.terminal[data-terminal="2"][data-connected="true"]').waitFor();
    await page.locator('[data-action="terminal:execute"]').click();
    const second = page.getByRole('region', { name: 'Terminal 2' }).locator('.xterm-rows');
    await waitFor('the command in terminal 2', async () => (await second.innerText()).includes('in terminal two'));
    await context.close();
  });

  test("at any window size each terminal's text fits inside it, clear of its scrollbar (long lines wrap in sight)", async () => {
    const { context, page } = await signedIn();
    await page.locator('.terminal[data-terminal="2"][data-connected="true"]').waitFor();
    // how far each terminal's text reaches past what is visible: right of it, under its scrollbar, or below it
    const overflow = () =>
      page.evaluate(`Array.from(document.querySelectorAll('.terminal')).map((host) => {
      const screen = host.querySelector('.xterm-screen').getBoundingClientRect();
      const viewport = host.querySelector('.xterm-viewport');
      const port = viewport.getBoundingClientRect();
      const box = host.getBoundingClientRect();
      return Math.max(0, screen.right - box.right, screen.right - (port.left + viewport.clientWidth), screen.bottom - box.bottom);
    })`) as Promise<number[]>;
    for (const width of [1000, 1013, 1027, 1041, 1066]) {
      await page.setViewportSize({ width, height: 700 + (width % 7) });
      await waitFor(`the terminals to fit a ${width}px window`, async () => (await overflow()).every((px) => px < 0.5), 10_000);
    }
    await context.close();
  });
});

describe('a tab whose application is down', () => {
  test('shows a page that says what is unreachable and what to do, and the application once it answers', async () => {
    const { context, page } = await signedIn();
    await page.getByRole('tab', { name: 'Console' }).click();
    const frame = page.frameLocator('iframe[title="Console"]');
    await expect(frame.getByRole('heading').innerText()).resolves.toBe('The console application is not answering');
    const text = await frame.locator('main').innerText();
    expect(text).toContain(`nothing is listening on port ${consolePort} of the session`);
    expect(text).toContain('tries again');
    // scripts still get JSON
    const json = await page.evaluate(
      "fetch('/proxy/console/', { headers: { accept: 'application/json' } }).then(async (r) => [r.status, await r.json()])",
    );
    expect(json).toEqual([502, { error: 'bad_gateway', message: 'the application behind this route is not answering (ECONNREFUSED)' }]);

    await startApp(consolePort, 'console is up');
    await frame.locator('#app').waitFor({ timeout: 20_000 });
    await expect(frame.locator('#app').innerText()).resolves.toBe('console is up');
    await context.close();
  });

  test("a workshop's own application tab, behind a Service, says so and what to look at, instead of a broken page", async () => {
    const { context, page } = await signedIn();
    await page.getByRole('tab', { name: 'App' }).click();
    const frame = page.frameLocator('iframe[title="App"]');
    await expect(frame.getByRole('heading').innerText()).resolves.toBe('The app application is not answering');
    const text = await frame.locator('main').innerText();
    expect(text).toContain(`nothing is listening on its Service 127.0.0.1, port ${appPort}`);
    expect(text).toContain('kubectl get pods,endpoints');

    await startApp(appPort, 'app is up');
    await frame.locator('#app').waitFor({ timeout: 20_000 });
    await expect(frame.locator('#app').innerText()).resolves.toBe('app is up');
    await context.close();
  });
});
