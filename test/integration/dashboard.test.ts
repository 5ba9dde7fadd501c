/**
 * The session dashboard as a learner meets it: a local dashboard process, a portal that signs people in, and a
 * real Chromium. GIVEN a session owned by alice, WHEN people open it, THEN alice works in it and others cannot.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { WebSocket, WebSocketServer } from 'ws';

import type { Dashboard, DashboardOptions } from '../../src/dashboard/index.js';
import { launchBrowser } from '../support/browser.js';
import { type FakePortal, startFakePortal } from '../support/fake-portal.js';
import { waitFor } from '../support/portal-fixture.js';
import { startTestDashboard } from '../support/test-dashboard.js';

const SESSION = 'labs-w01-s001';
const CONFIG_PASSWORD = 'config-password-for-tests-0123456789';

let portal: FakePortal;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let app: http.Server;
let workDir: string;
let configFile: string;

/** A tiny application behind a session route: answers HTTP and echoes WebSocket messages. */
async function startRouteApp(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    // a stream that never ends (a log follower, a long poll)
    if (req.url === '/hold') return void res.writeHead(200, { 'content-type': 'text/plain' }).write('held\n');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, cookie: req.headers.cookie ?? null }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo:${data}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function writeWorkshop(dir: string): void {
  fs.mkdirSync(path.join(dir, 'workshop/content'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'workshop/examiner/tests'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'workshop/content/_index.md'),
    `---
title: Welcome
---

You are in session **{{< param session_name >}}**, namespace {{< param session_namespace >}}.

\`\`\`terminal:execute
command: echo "hello from $((40+2)) in {{< param session_name >}}"
\`\`\`

\`\`\`workshop:copy
text: kubectl get pods
\`\`\`

\`\`\`examiner:execute-test
name: home-exists
\`\`\`

\`\`\`dashboard:open-dashboard
name: App
\`\`\`
`,
  );
  fs.writeFileSync(path.join(dir, 'workshop/content/02-more.md'), '---\ntitle: More\nweight: 2\n---\n\nThe second page.\n');
  fs.writeFileSync(path.join(dir, 'workshop/examiner/tests/home-exists'), '#!/bin/sh\ntest -d "$HOME"\n', { mode: 0o755 });
}

async function signedIn(user: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboard.url });
  const page = await context.newPage();
  await page.goto(`${portal.url}/login?user=${user}&next=/accounts/login/`);
  return { context, page };
}

/** The text on a terminal's screen (xterm's DOM renderer draws rows as text). */
async function terminalText(page: Page, id = '1'): Promise<string> {
  return page.locator(`.terminal[data-terminal="${id}"] .xterm-rows`).innerText();
}

/** A second dashboard of the same session, for the tests that restart or stop one: the first one's content. */
function startSameSession(overrides: Partial<DashboardOptions> = {}): Promise<Dashboard> {
  return startTestDashboard(portal, {
    sessionName: SESSION,
    clientSecret: CONFIG_PASSWORD,
    workshopDir: path.join(workDir, 'content'),
    configFile,
    homeDir: path.join(workDir, 'home'),
    ...overrides,
  });
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-test-'));
  const content = path.join(workDir, 'content');
  const home = path.join(workDir, 'home');
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(home, 'notes.txt'), 'my notes\n');
  writeWorkshop(content);
  const routeApp = await startRouteApp();
  app = routeApp.server;
  configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      workshop: { name: 'labs-w01', title: 'Dashboard Test Workshop' },
      content: {},
      capabilities: ['terminal', 'examiner', 'files'],
      tabs: [
        { name: 'Terminal', url: 'terminal:1' },
        { name: 'App', url: `http://app-${SESSION}.workshops.test/` },
        { name: 'Files', url: '/files/' },
      ],
      routes: [
        { name: 'app', host: `app-${SESSION}.workshops.test`, port: routeApp.port, authenticated: true },
        { name: 'open', host: `open-${SESSION}.workshops.test`, port: routeApp.port, authenticated: false },
      ],
      settings: {
        terminal: { layout: 'default', sessions: ['1'] },
        examiner: { testsDirectory: 'workshop/examiner/tests', timeoutSeconds: 10 },
        files: { directory: '.' },
      },
    }),
  );

  portal = await startFakePortal();
  dashboard = await startTestDashboard(portal, {
    sessionName: SESSION,
    clientSecret: CONFIG_PASSWORD,
    workshopDir: content,
    configFile,
    variables: { session_namespace: SESSION, ingress_domain: 'workshops.test' },
    homeDir: home,
    activityIntervalMs: 200,
  });
  const port = new URL(dashboard.url).port;
  portal.addSession({
    name: SESSION,
    owner: 'alice',
    configPassword: CONFIG_PASSWORD,
    origins: [new URL(dashboard.url).origin, `http://app-${SESSION}.workshops.test:${port}`],
  });
  // Session routes have host names of their own; the browser reaches them on loopback.
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP *.workshops.test 127.0.0.1'] });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await portal?.close();
  app?.closeAllConnections();
  app?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('the session dashboard', () => {
  test('answers health probes without sign-in', async () => {
    const response = await fetch(`${dashboard.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('fails loudly when it cannot start: a port in use, a broken dashboard.json', async () => {
    const base = { configFile: undefined, logLevel: 'silent' };
    await expect(startSameSession({ ...base, port: Number(new URL(dashboard.url).port) })).rejects.toThrow(/EADDRINUSE|address already in use/);
    const broken = path.join(workDir, 'broken.json');
    fs.writeFileSync(broken, JSON.stringify({ workshop: { name: 'x', title: 'X' }, routes: [{ name: 'a', host: 'a-x.example.com', port: 0 }] }));
    await expect(startSameSession({ ...base, configFile: broken })).rejects.toThrow(
      `${broken}: 'routes[0].port' (0) must be a whole number from 1 to 65535`,
    );
  });

  test('a request without sign-in is redirected to the portal', async () => {
    const response = await fetch(`${dashboard.url}/page/02-more`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(`${portal.url}/oauth2/authorize/`);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('client_id')).toBe(SESSION);
    expect(location.searchParams.get('redirect_uri')).toBe(`${dashboard.url}/oauth_callback`);
    expect(location.searchParams.get('state')).toBeTruthy();

    // In a browser that has not signed in to the portal, the learner ends up on the portal's sign-in page.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(dashboard.url);
    expect(page.url().startsWith(`${portal.url}/accounts/login/`)).toBe(true);
    await context.close();
  });

  test('a stranger signed in to the portal is refused, and cannot attach to a terminal', async () => {
    const { context, page } = await signedIn('mallory');
    const response = await page.goto(dashboard.url);
    expect(response!.status()).toBe(403);
    await expect(page.locator('h1').innerText()).resolves.toMatch(/someone else/);
    expect(await context.cookies(dashboard.url)).not.toContainEqual(expect.objectContaining({ name: `dashboard-${SESSION}` }));
    await context.close();

    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${dashboard.url.replace('http', 'ws')}/terminal/session/1`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(-1));
    });
    expect(refused).toBe(401);
  });

  test('the owner gets in, and the instructions show the session variables', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    expect(page.url()).toBe(`${dashboard.url}/`);
    await expect(page.locator('#page-title').innerText()).resolves.toBe('Welcome');
    const body = await page.locator('.page-body').innerText();
    expect(body).toContain(`You are in session ${SESSION}, namespace ${SESSION}.`);
    expect(body).not.toContain('{{<');
    await expect(page.locator('.workshop-title').innerText()).resolves.toBe('Dashboard Test Workshop');
    const cookie = (await context.cookies(dashboard.url)).find((c) => c.name === `dashboard-${SESSION}`);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    // Moving to the next page swaps the instructions in place.
    await page.locator('a[rel="next"]').click();
    await page.waitForURL(`${dashboard.url}/page/02-more`);
    await expect(page.locator('#page-title').innerText()).resolves.toBe('More');
    await context.close();
  });

  test('a restarted dashboard keeps the learner signed in (its cookie key comes from CONFIG_PASSWORD)', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    const cookie = (await context.cookies(dashboard.url)).find((c) => c.name === `dashboard-${SESSION}`)!;
    await context.close();
    const restarted = await startSameSession();
    try {
      const headers = { cookie: `${cookie.name}=${cookie.value}` };
      expect((await fetch(restarted.url, { headers, redirect: 'manual' })).status).toBe(200);
      // A cookie signed with another session's password means nothing here.
      const other = await startSameSession({ clientSecret: 'a-different-config-password', configFile: undefined });
      expect((await fetch(other.url, { headers, redirect: 'manual' })).status).toBe(302);
      await other.close();
    } finally {
      await restarted.close();
    }
  });

  test("the learner's shell does not see the dashboard's own secrets (CONFIG_PASSWORD, the content registry's credentials)", async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    const cookie = (await context.cookies(dashboard.url)).find((c) => c.name === `dashboard-${SESSION}`)!;
    await context.close();
    // GIVEN a dashboard started as the workshop pod starts it: its secrets in its environment
    const secrets = {
      CONFIG_PASSWORD,
      CONTENT_REGISTRY_USERNAME: 'author-of-the-content',
      CONTENT_REGISTRY_PASSWORD: 'content-registry-password-0123',
    };
    const learnerValues = { SERVICES_PASSWORD: 'services-password-for-the-learner', REGISTRY_PASSWORD: 'session-registry-password' };
    const saved = { ...process.env };
    Object.assign(process.env, secrets, learnerValues);
    let withSecrets: Dashboard;
    try {
      withSecrets = await startSameSession();
    } finally {
      for (const name of [...Object.keys(secrets), ...Object.keys(learnerValues)]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
    try {
      // WHEN the learner runs `env` in her terminal
      const ws = new WebSocket(`${withSecrets.url.replace('http', 'ws')}/terminal/session/1`, {
        headers: { cookie: `${cookie.name}=${cookie.value}`, origin: withSecrets.url },
      });
      let output = '';
      ws.on('message', (data) => (output += String(data)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ type: 'input', data: "env; echo 'END''-OF-ENV'\n" }));
      await waitFor('the environment to be printed', async () => output.includes('END-OF-ENV'));
      ws.close();
      // THEN the session's values are there and the dashboard's secrets are not
      expect(output).toContain('SERVICES_PASSWORD=services-password-for-the-learner');
      expect(output).toContain('REGISTRY_PASSWORD=session-registry-password');
      for (const [name, value] of Object.entries(secrets)) {
        expect(output).not.toContain(`${name}=`);
        expect(output).not.toContain(value);
      }
    } finally {
      await withSecrets.close();
    }
  });

  test("pages of other origins (another session's, say) cannot use the owner's cookie to act in her session", async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    const cookie = (await context.cookies(dashboard.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    await context.close();
    const handshake = (url: string, origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers: { cookie, origin } });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => resolve(-1));
      });
    const wsBase = dashboard.url.replace('http', 'ws');
    const evil = `http://labs-w01-s002.workshops.test`;
    expect(await handshake(`${wsBase}/terminal/session/1`, evil)).toBe(403);
    expect(await handshake(`${wsBase}/proxy/app/socket`, evil)).toBe(403);
    expect(await handshake(`${wsBase}/terminal/session/1`, dashboard.url)).toBe(101);
    const post = (origin: string) =>
      fetch(`${dashboard.url}/examiner/test/home-exists`, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/json' },
        body: '{}',
      });
    expect((await post(evil)).status).toBe(403);
    expect((await post(dashboard.url)).status).toBe(200);
    // The same for what a route's application is asked to do: never proxied from a page of another origin.
    const routePost = (origin: string) => fetch(`${dashboard.url}/proxy/app/some/path`, { method: 'POST', headers: { cookie, origin }, body: 'x' });
    expect((await routePost(evil)).status).toBe(403);
    expect((await routePost(dashboard.url)).status).toBe(200);
  });

  test('a command typed into the browser terminal runs and its output appears', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
    await page.locator('.terminal[data-terminal="1"]').click();
    await page.keyboard.type('echo typed-$((6*7))\n');
    await waitFor('the typed command to print', async () => (await terminalText(page)).includes('typed-42'));
    await context.close();
  });

  test("the shell sees the browser terminal's size, and a new size when the window changes", async () => {
    const { context, page } = await signedIn('alice');
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.goto(dashboard.url);
    await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
    const size = async () =>
      page.evaluate("[window.dashboard.terminals['1'].term.rows, window.dashboard.terminals['1'].term.cols].join('x')") as Promise<string>;
    const shellSize = async (marker: string) => {
      await page.locator('.terminal[data-terminal="1"]').click();
      await page.keyboard.type(`echo ${marker}=$(stty size | tr ' ' x)\n`);
      // The command line shows `${marker}=$(stty …`; only the output has digits after the marker.
      return waitFor(`the shell's size (${marker})`, async () => new RegExp(`${marker}=(\\d+x\\d+)`).exec(await terminalText(page))?.[1]);
    };
    const before = await size();
    expect(await shellSize('SIZEA')).toBe(before);
    await page.setViewportSize({ width: 900, height: 600 });
    await waitFor('xterm to fit the smaller window', async () => (await size()) !== before);
    expect(await shellSize('SIZEB')).toBe(await size());
    await context.close();
  });

  test('clicking a terminal:execute action runs it in the terminal', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
    await page.locator('[data-action="terminal:execute"]').click();
    await waitFor('the action to print', async () => (await terminalText(page)).includes(`hello from 42 in ${SESSION}`));
    await context.close();
  });

  test('a page reload and a second tab attach to the same shell', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
    await page.locator('.terminal[data-terminal="1"]').click();
    await page.keyboard.type('MARK=kept-$((1+1)); echo set-$MARK\n');
    await waitFor('the variable to be set', async () => (await terminalText(page)).includes('set-kept-2'));

    await page.reload();
    await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
    // The scrollback comes back, and the shell still has its variable.
    await waitFor('the scrollback to be replayed', async () => (await terminalText(page)).includes('set-kept-2'));
    const second = await context.newPage();
    await second.goto(dashboard.url);
    await second.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
    await second.locator('.terminal[data-terminal="1"]').click();
    await second.keyboard.type('echo again-$MARK\n');
    await waitFor('the second tab to use the same shell', async () => (await terminalText(second)).includes('again-kept-2'));
    await waitFor('the first tab to see it too', async () => (await terminalText(page)).includes('again-kept-2'));
    await context.close();
  });

  test('workshop:copy puts the text on the clipboard', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    const action = page.locator('[data-action="workshop:copy"]');
    await action.click();
    await waitFor('the copy to be confirmed', async () => (await action.getAttribute('data-state')) === 'done');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe('kubectl get pods');
    await context.close();
  });

  test('examiner:execute-test runs the workshop test and shows that it passed', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    const action = page.locator('[data-action="examiner:execute-test"]');
    await action.click();
    await waitFor('the check to finish', async () => ['done', 'failed'].includes((await action.getAttribute('data-state')) ?? ''));
    expect(await action.getAttribute('data-state')).toBe('done');
    await expect(action.locator('.action-status').innerText()).resolves.toBe('Passed');
    await context.close();
  });

  test('dashboard:open-dashboard switches to the tab, which shows its route through the dashboard', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    await page.locator('[data-action="dashboard:open-dashboard"]').click();
    await waitFor('the App tab to open', async () => (await page.locator('[role="tab"][data-tab="App"]').getAttribute('aria-selected')) === 'true');
    expect(await page.locator('#panel-t0').isHidden()).toBe(true);
    const frame = page.frameLocator('#panel-t1 iframe');
    await waitFor('the route in the frame', async () => JSON.parse(await frame.locator('body').innerText()).path === '/');
    await context.close();
  });

  test('typing and page views reach the portal as activity; /session/activity answers the portal only', async () => {
    const before = portal.activity.get(SESSION) ?? 0;
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
    await page.locator('.terminal[data-terminal="1"]').click();
    await page.keyboard.type('true\n');
    await waitFor('an activity report', () => (portal.activity.get(SESSION) ?? 0) > before);
    await context.close();

    expect((await fetch(`${dashboard.url}/session/activity`)).status).toBe(401);
    const answer = await fetch(`${dashboard.url}/session/activity`, {
      headers: { authorization: `Basic ${Buffer.from(`${SESSION}:${CONFIG_PASSWORD}`).toString('base64')}` },
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['idle-time', 'last-view']);
    expect(typeof body['idle-time']).toBe('number');
  });

  test('the countdown comes from the portal, and extend asks the portal for more time', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    await page.locator('#countdown:not([hidden])').waitFor();
    expect(await page.locator('#countdown').innerText()).toMatch(/^\d+:\d\d left$/);
    const before = portal.extensions.get(SESSION) ?? 0;
    await page.locator('#extend').click();
    await waitFor('the extension', () => (portal.extensions.get(SESSION) ?? 0) === before + 1);
    await context.close();
  });

  test('session routes are proxied (HTTP and WebSocket) to their port, for the owner only', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    const viaPath = (await page.evaluate("fetch('/proxy/app/some/path?x=1').then((r) => r.json())")) as { path: string; cookie: string | null };
    expect(viaPath.path).toBe('/some/path?x=1');
    // The dashboard's own cookie (with the learner's portal token) is not given to the application.
    expect(String(viaPath.cookie)).not.toContain(`dashboard-${SESSION}=`);
    const echoed = await page.evaluate(`new Promise((resolve, reject) => {
      const ws = new WebSocket('ws://' + location.host + '/proxy/app/socket');
      ws.onopen = () => ws.send('ping');
      ws.onmessage = (event) => resolve(String(event.data));
      ws.onerror = () => reject(new Error('websocket failed'));
    })`);
    expect(echoed).toBe('echo:ping');

    // The route's own host name reaches the same application.
    const cookieHeader = (await context.cookies(dashboard.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const byHost = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${dashboard.url}/by-host`, { headers: { host: `app-${SESSION}.workshops.test`, cookie: cookieHeader } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(byHost).path).toBe('/by-host');
    await context.close();

    // Strangers are not proxied; a route that checks its own credentials is open.
    expect((await fetch(`${dashboard.url}/proxy/app/x`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${dashboard.url}/proxy/open/x`)).status).toBe(200);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${dashboard.url.replace('http', 'ws')}/proxy/app/socket`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(-1));
    });
    expect(refused).toBe(401);
  });

  test("a route's own host name signs the owner in through the portal and reaches the application", async () => {
    const routeUrl = `http://app-${SESSION}.workshops.test:${new URL(dashboard.url).port}/through-host?y=2`;
    const owner = await signedIn('alice');
    await owner.page.goto(routeUrl);
    expect(owner.page.url()).toBe(routeUrl);
    expect(JSON.parse(await owner.page.locator('body').innerText())).toMatchObject({ path: '/through-host?y=2' });
    await owner.context.close();

    const stranger = await signedIn('mallory');
    const refused = await stranger.page.goto(routeUrl);
    expect(refused!.status()).toBe(403);
    await stranger.context.close();
  });

  test('the files tab lists and downloads files of the home directory', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(dashboard.url);
    await page.locator('[role="tab"][data-tab="Files"]').click();
    const frame = page.frameLocator('#panel-t2 iframe');
    await expect(frame.locator('a', { hasText: 'notes.txt' }).innerText()).resolves.toBe('notes.txt');
    const text = await page.evaluate(async () => (await fetch('/files/notes.txt')).text());
    expect(text).toBe('my notes\n');
    expect(await page.evaluate(async () => (await fetch('/files/..%2f..%2fetc/passwd')).status)).toBe(404);
    // A name with a '%' is decoded once, as the listing's link encodes it once.
    fs.writeFileSync(path.join(workDir, 'home', '100% done.txt'), 'done\n');
    try {
      await page.reload();
      await page.locator('[role="tab"][data-tab="Files"]').click();
      const href = await frame.locator('a', { hasText: '100% done.txt' }).getAttribute('href');
      expect(await page.evaluate(async (url) => (await fetch(url)).text(), href!)).toBe('done\n');
    } finally {
      fs.rmSync(path.join(workDir, 'home', '100% done.txt'));
    }
    await context.close();
  });

  test('an edit of the content on disk shows in the open page without a reload', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(`${dashboard.url}/page/02-more`);
    await expect(page.locator('.page-body').innerText()).resolves.toContain('The second page.');
    await page.evaluate('window.__samePage = true');
    await page.locator('body[data-live="true"]').waitFor();
    fs.writeFileSync(path.join(workDir, 'content/workshop/content/02-more.md'), '---\ntitle: More\nweight: 2\n---\n\nThe second page, edited.\n');
    await waitFor('the edit to show', async () => (await page.locator('.page-body').innerText()).includes('The second page, edited.'));
    expect(await page.evaluate('window.__samePage')).toBe(true);
    await context.close();
  });

  test('a dashboard that stops ends the WebSockets and streams open through its routes, and does not wait for them', async () => {
    const stopping = await startSameSession({ logLevel: 'silent' });
    const ws = new WebSocket(`${stopping.url.replace('http', 'ws')}/proxy/open/socket`);
    const ended = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send('ping'));
      ws.on('message', (data) => (String(data) === 'echo:ping' ? resolve() : reject(new Error(`echoed ${data}`))));
      ws.on('error', reject);
    });
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${stopping.url}/proxy/open/hold`, resolve).on('error', reject),
    );
    expect(stream.statusCode).toBe(200);
    const streamEnded = new Promise<void>((resolve) => stream.on('close', () => resolve()).resume());

    // without ending them, close() would wait for the learner's editor and log followers for ever
    await stopping.close();
    await ended;
    await streamEnded;
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });
});
