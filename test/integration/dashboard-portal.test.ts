/**
 * The dashboard with the real portal (createPortal on the local control plane, sessions from the runtime): the
 * contract's OAuth2 flow end to end. GIVEN sessions requested for alice and mallory through the robot API, WHEN
 * each opens alice's dashboard in Chromium, THEN alice works in it, mallory is refused, and someone not signed
 * in is sent to the portal's sign-in page; alice's typing marks her session Active in the cluster.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser, BrowserContext } from 'playwright-core';

import { KubeClient, phaseOf } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { applyFixture, type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { robotToken } from '../support/portal-http.js';
import { freePort, ROBOT, startTestPortal, type TestPortal } from '../support/portal-server.js';
import { startTestDashboard } from '../support/test-dashboard.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let fixture: Fixture;
let portal: TestPortal;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let workDir: string;
const requested: Record<string, { name: string; url: string }> = {};

/** A session for `user` through the robot API (Educates' request/), with its activation link. */
async function requestSession(token: string, user: string): Promise<{ name: string; url: string }> {
  const response = await fetch(
    `${portal.url}/workshops/environment/${fixture.environment('desk')}/request/?index_url=${encodeURIComponent('https://lms.example.com/')}&user=${user}`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  const body = (await response.json()) as { name: string; url: string };
  if (response.status !== 200) throw new Error(`request/ for ${user}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A browser signed in to the portal as `user`, by following their activation link. */
async function activated(user: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The portal then sends the learner on to the session's own host name, which does not resolve here: only the
  // sign-in it leaves behind (the portal's cookie) matters.
  await page.route(
    (url) => !url.href.startsWith(portal.url) && !url.href.startsWith(dashboard.url),
    (route) => route.abort(),
  );
  await page.goto(`${portal.url}${requested[user].url}`).catch(() => undefined);
  await page.close();
  return context;
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-portal-test-'));
  fs.mkdirSync(path.join(workDir, 'content/workshop/content'), { recursive: true });
  fs.mkdirSync(path.join(workDir, 'home'));
  fs.writeFileSync(
    path.join(workDir, 'content/workshop/content/_index.md'),
    '---\ntitle: With the portal\n---\n\nSession {{< param session_name >}}.\n',
  );

  fixture = synthPortal('dashp', [{ name: 'desk', capacity: 3, initial: 0, reserved: 0, expires: seconds(600) }]);
  await applyFixture(client, fixture);
  const dashboardPort = await freePort();
  portal = await startTestPortal(client, fixture, { devDashboardOrigins: [`http://127.0.0.1:${dashboardPort}`] });
  await waitFor('the environment to be known', () => portal.runtime.state.environment(fixture.environment('desk')));
  const token = await robotToken(portal.url, ROBOT);
  requested.alice = await requestSession(token, 'alice');
  requested.mallory = await requestSession(token, 'mallory');
  const secrets = await waitFor('the session secrets', () => portal.runtime.secretsFor(requested.alice.name));

  dashboard = await startTestDashboard(portal, {
    sessionName: requested.alice.name,
    clientSecret: secrets.config_password,
    workshopDir: path.join(workDir, 'content'),
    port: dashboardPort,
    homeDir: path.join(workDir, 'home'),
    activityIntervalMs: 200,
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await portal?.stop();
  await client.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('someone not signed in is sent to the portal to sign in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(dashboard.url);
  expect(page.url().startsWith(`${portal.url}/accounts/login/`)).toBe(true);
  await context.close();
});

test("a stranger signed in to the portal is refused at alice's dashboard", async () => {
  const context = await activated('mallory');
  const page = await context.newPage();
  const response = await page.goto(dashboard.url);
  expect(response!.status()).toBe(403);
  expect(page.url().startsWith(portal.url)).toBe(true);
  expect((await context.cookies(dashboard.url)).map((c) => c.name)).not.toContain(`dashboard-${requested.alice.name}`);
  await context.close();
});

test('the owner gets in, types in her terminal, and the portal sees her session Active', async () => {
  await waitFor("alice's session to be Ready", () => ['Ready', 'Active'].includes(phaseOf(portal.runtime.session(requested.alice.name)!)), 120_000);
  const context = await activated('alice');
  const page = await context.newPage();
  await page.goto(dashboard.url);
  expect(page.url()).toBe(`${dashboard.url}/`);
  expect(await page.locator('.page-body').innerText()).toContain(`Session ${requested.alice.name}.`);
  await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
  await page.locator('.terminal[data-terminal="1"]').click();
  await page.keyboard.type('echo portal-$((3*7))\n');
  await waitFor('the output', async () => (await page.locator('.terminal[data-terminal="1"] .xterm-rows').innerText()).includes('portal-21'));
  // The fixture's runtime calls a session Idle after 2 s without news (a minute in production), and ignores
  // reports within 15 s of the last one while Active: so keep typing until the portal has seen it Active.
  await waitFor('the session to be Active', async () => {
    await page.keyboard.type('true\n');
    return phaseOf(portal.runtime.session(requested.alice.name)!) === 'Active';
  });
  expect(portal.runtime.session(requested.alice.name)!.status?.lastActivityAt).toBeTruthy();

  // The countdown comes from the portal's schedule, with alice's own token.
  await page.locator('#countdown:not([hidden])').waitFor();
  expect(await page.locator('#countdown').innerText()).toMatch(/^\d+:\d\d left$/);

  // "End session" hands over to the portal, which asks before it deletes anything.
  await page.locator('#end-session').click();
  await page.waitForURL(`${portal.url}/workshops/session/${requested.alice.name}/delete/`);
  expect(await page.locator('h1').innerText()).toBe('End this session?');
  await context.close();
});
