/**
 * Workshop content published as an OCI artifact: GIVEN a session whose dashboard.json points at a tag in a
 * (loopback) registry, WHEN the author publishes new content to the same tag, THEN the learner's open page shows
 * it, without a reload and with the terminal untouched; `POST /workshop/update` does the same at once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser, Page } from 'playwright-core';

import { publishContent } from '../../src/oci/index.js';
import { launchBrowser } from '../support/browser.js';
import { type FakePortal, startFakePortal } from '../support/fake-portal.js';
import { waitFor } from '../support/portal-fixture.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTestDashboard } from '../support/test-dashboard.js';

const SESSION = 'labs-w02-s001';
const CONFIG_PASSWORD = 'another-config-password-0123456789';

let registry: TestRegistry;
let portal: FakePortal;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let workDir: string;
let ref: string;

function writeVersion(dir: string, version: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'workshop/content'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'workshop/content/_index.md'),
    `---\ntitle: Version ${version}\n---\n\nThis is content version ${version} for {{< param session_name >}}.\n`,
  );
}

async function terminalText(page: Page): Promise<string> {
  return page.locator('.terminal[data-terminal="1"] .xterm-rows').innerText();
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-content-test-'));
  registry = await startRegistry();
  ref = `${registry.host}/acme/dashboard-test-files:latest`;
  const source = path.join(workDir, 'source');
  writeVersion(source, 'one');
  await publishContent({ dir: source, ref });

  const configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      workshop: { name: 'labs-w02', title: 'Published Content' },
      content: { image: { ref } },
      capabilities: ['terminal'],
      tabs: [{ name: 'Terminal', url: 'terminal:1' }],
      routes: [],
      settings: { terminal: { layout: 'default', sessions: ['1'] } },
    }),
  );
  const home = path.join(workDir, 'home');
  fs.mkdirSync(home);
  portal = await startFakePortal();
  dashboard = await startTestDashboard(portal, {
    sessionName: SESSION,
    clientSecret: CONFIG_PASSWORD,
    workshopDir: path.join(workDir, 'pulled'),
    configFile,
    homeDir: home,
    insecureRegistry: true,
    contentPollSeconds: 1,
  });
  portal.addSession({ name: SESSION, owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [new URL(dashboard.url).origin] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await portal?.close();
  await registry?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('content pulled from a registry is shown, and new content published to the same tag updates the open page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${portal.url}/login?user=alice&next=/accounts/login/`);
  await page.goto(dashboard.url);
  await expect(page.locator('#page-title').innerText()).resolves.toBe('Version one');
  expect(await page.locator('.page-body').innerText()).toContain(`This is content version one for ${SESSION}.`);

  // Something in the terminal that must survive the update.
  await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor();
  await page.locator('.terminal[data-terminal="1"]').click();
  await page.keyboard.type('echo before-$((2*21))\n');
  await waitFor('the terminal output', async () => (await terminalText(page)).includes('before-42'));
  await page.evaluate('window.__samePage = true');
  await page.locator('body[data-live="true"]').waitFor();

  // The author publishes again to the same tag: the dashboard notices on its own.
  writeVersion(path.join(workDir, 'source'), 'two');
  await publishContent({ dir: path.join(workDir, 'source'), ref });
  await waitFor('the page to show version two', async () => (await page.locator('#page-title').innerText()) === 'Version two', 30_000);
  expect(await page.evaluate('window.__samePage')).toBe(true);
  expect(await terminalText(page)).toContain('before-42');
  expect(await page.locator('.terminal[data-terminal="1"]').getAttribute('data-connected')).toBe('true');

  // `workshops update` forces the check at once, with the session's CONFIG_PASSWORD.
  writeVersion(path.join(workDir, 'source'), 'three');
  const published = await publishContent({ dir: path.join(workDir, 'source'), ref });
  expect((await fetch(`${dashboard.url}/workshop/update`, { method: 'POST' })).status).toBe(401);
  const forced = await fetch(`${dashboard.url}/workshop/update`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${SESSION}:${CONFIG_PASSWORD}`).toString('base64')}` },
  });
  expect(forced.status).toBe(200);
  expect(((await forced.json()) as { digest: string }).digest).toBe(published.digest);
  await waitFor('the page to show version three', async () => (await page.locator('#page-title').innerText()) === 'Version three');
  expect(await page.evaluate('window.__samePage')).toBe(true);
  await context.close();
});
