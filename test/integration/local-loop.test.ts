/**
 * docs/local-loop.md "Fast preview (host processes)", run as written: the block is read from the doc (so doc and
 * test cannot drift) and run by bash in this checkout, with only its first line's state folder and ports replaced by
 * a fresh folder and free ports. `workshops local up --preview` starts its own control plane (up.sh), deploys dist/,
 * runs the portal and `sessions dashboard --session-hosts --content examples`. Then, in Chromium, a learner presses
 * Start and gets a dashboard with her workshop's instructions and a working terminal (whose kubectl is set to her
 * namespace, under a "local development" banner) at http://<session>.localhost:<port>/; a second learner at the
 * same time gets her own, of her own workshop; an ended session's tab says so; and a dashboard that cannot start
 * keeps its port and says why on the waiting page. The real-pod path (the default) is local-loop-real.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser, Page } from 'playwright-core';

import { launchBrowser } from '../support/browser.js';
import { Output } from '../support/child-output.js';
import { BIN, ROOT, workshops } from '../support/cli.js';
import { waitFor } from '../support/portal-fixture.js';
import { freePort } from '../support/portal-server.js';

/** The doc's block: the first ```sh block after the marker comment that names this test. */
export function documentedBlock(): string {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'local-loop.md'), 'utf8');
  const marker = doc.indexOf('<!-- local-loop.test.ts runs this block');
  if (marker < 0) throw new Error('docs/local-loop.md has no block marked for local-loop.test.ts');
  const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(marker));
  if (!block) throw new Error('docs/local-loop.md: no ```sh block after the local-loop.test.ts marker');
  return block[1];
}

const FIRST_LINE = /^export LABS=\S+ PORTAL_PORT=\d+ DASHBOARD_PORT=\d+(\s+#.*)?$/;

let workDir: string;
let stateDir: string;
let portalUrl: string;
let dashboardUrl: string;
let shell: ChildProcess;
let output: Output;
let browser: Browser;
let kubeconfig: string;
const others: ChildProcess[] = [];

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-loop-test-'));
  stateDir = path.join(workDir, 'labs');
  const [portalPort, dashboardPort] = [await freePort(), await freePort()];
  portalUrl = `http://127.0.0.1:${portalPort}`;
  dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  const lines = documentedBlock().split('\n');
  expect(lines[0]).toMatch(FIRST_LINE);
  lines[0] = `export LABS=${stateDir} PORTAL_PORT=${portalPort} DASHBOARD_PORT=${dashboardPort}`;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', DEBUG: '', SHELL: '/bin/bash', TMPDIR: workDir };
  delete env.KUBECONFIG;
  // its own process group, so that the portal it starts in the background ends with it
  shell = spawn('bash', ['-c', lines.join('\n')], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  output = new Output('the documented commands', shell);
  await output.line("serving every learner's session at http://<session>.localhost:", { timeoutMs: 300_000 });
  kubeconfig = path.join(stateDir, 'cluster', 'kubeconfig');
  // the portal, started in the background just before, answers a moment later
  await waitFor('the portal to answer', async () => (await fetch(`${portalUrl}/healthz`)).ok, 120_000);
  browser = await launchBrowser();
}, 330_000);

afterAll(async () => {
  await browser?.close();
  for (const child of [...others, shell]) {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await exited;
    }
  }
  if (stateDir)
    await new Promise((resolve) =>
      spawn('bash', [path.join(ROOT, 'scripts/cluster/down.sh'), path.join(stateDir, 'cluster')], { stdio: 'ignore' }).once('exit', resolve),
    );
  fs.rmSync(workDir, { recursive: true, force: true });
}, 60_000);

const terminalText = (page: Page) => page.locator('.terminal[data-terminal="1"] .xterm-rows').innerText();

async function typeInTerminal(page: Page, text: string, expected: string | RegExp): Promise<string> {
  await page.locator('.terminal[data-terminal="1"]').click();
  await page.keyboard.type(`${text}\n`);
  return waitFor(
    `"${text}" to print ${expected}`,
    async () => {
      const shown = await terminalText(page);
      return (typeof expected === 'string' ? shown.includes(expected) : expected.test(shown)) && shown;
    },
    30_000,
  );
}

/** Start on a workshop's card; resolves when its dashboard shows instructions and a connected terminal. */
async function startWorkshop(page: Page, title: string, firstWords: string): Promise<{ session: string; ms: number }> {
  await page.goto(`${portalUrl}/`);
  const from = output.length;
  const started = Date.now();
  await page.locator('li.card', { hasText: title }).getByRole('button', { name: 'Start workshop' }).click();
  // each session on a host of its own: http://<session>.localhost:<port>/ (Chromium resolves *.localhost to loopback)
  await page.waitForURL(new RegExp(`^http://[a-z0-9-]+\\.localhost:${new URL(dashboardUrl).port}/$`), { timeout: 90_000 });
  await page.locator('.page-body').getByText(firstWords).first().waitFor({ timeout: 60_000 });
  await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor({ timeout: 30_000 });
  const ms = Date.now() - started;
  const session = new URL(page.url()).hostname.split('.')[0];
  await output.line(`dashboard of session ${session} at `, { from });
  return { session, ms };
}

let first: { page: Page; session: string; close: () => Promise<void> };

test('the documented commands, as written, give a learner a dashboard with instructions and a working terminal', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { session, ms } = await startWorkshop(page, 'Hello, Terminal', 'This is the session dashboard');
  first = { page, session, close: () => context.close() };
  process.stdout.write(`local loop: Start -> dashboard with instructions and a connected terminal in ${ms} ms\n`);

  // the action runs in the terminal, with the session's values
  await page.locator('[data-action="terminal:execute"]').first().click();
  await waitFor('the action to run', async () => (await terminalText(page)).includes(`Hello from session ${session}`), 30_000);
  // kubectl there is set to the session's namespace (as in the pod), not to `default`
  const shown = await typeInTerminal(page, "echo ns=$(kubectl config view --minify -o jsonpath='{..namespace}')", new RegExp(`ns=${session}\\b`));
  expect(shown).toContain(`ns=${session}`);
  // and the page says plainly that this is local development
  const banner = page.locator('#local-dev-banner');
  await expect(banner.isVisible()).resolves.toBe(true);
  await expect(banner.textContent()).resolves.toMatch(new RegExp(`^Local development: terminals are shells on this machine .*namespace ${session}$`));
});

test("a second learner at the same time gets her own session's dashboard, of her own workshop; the first keeps hers", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // the first words of examples/k8s-fundamentals/workshop/content/_index.md, not hello-terminal's
  const { session, ms } = await startWorkshop(page, 'Kubernetes Fundamentals', 'In this workshop you deploy, expose, scale and debug');
  process.stdout.write(`local loop: Start (a ready reserve) -> usable dashboard in ${ms} ms\n`);
  expect(session).toMatch(/^labs-k8s-fundamentals-/);
  await expect(page.locator('.page-body').textContent()).resolves.not.toContain('This is the session dashboard');
  await typeInTerminal(page, 'echo typed-$((6*7))', 'typed-42');
  // the first learner's dashboard is still hers, and still works
  await typeInTerminal(first.page, 'echo still-$((40+2))', 'still-42');
  await expect(first.page.locator('.page-body').textContent()).resolves.toContain('This is the session dashboard');
  await context.close();

  // a session that ends takes its dashboard with it; the others stay
  await first.close();
  await workshops(['sessions', 'terminate', first.session], { env: { KUBECONFIG: kubeconfig } });
  await output.line(`dashboard of session ${first.session} stopped`);
});

test("an ended session's tab says that it ended and links back to the portal, instead of waiting for ever", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { session } = await startWorkshop(page, 'Hello, Terminal', 'This is the session dashboard');
  // ended as an admin (or its expiry) ends it: the open dashboard notices by itself
  await workshops(['sessions', 'terminate', session], { env: { KUBECONFIG: kubeconfig } });
  await page.locator('h1', { hasText: 'This session has ended' }).waitFor({ timeout: 30_000 });
  await expect(page.locator('#ended').textContent()).resolves.toContain(`Session ${session} has ended: an administrator ended it.`);
  // a tab opened on its address afterwards gets the same page (410), not "Waiting for your session"
  const later = await context.newPage();
  const answer = await later.goto(`http://${session}.localhost:${new URL(dashboardUrl).port}/`);
  expect(answer?.status()).toBe(410);
  await expect(later.locator('h1').textContent()).resolves.toBe('This session has ended');
  await later.locator('#back-to-portal').click();
  await later.waitForURL(`${portalUrl}/workshops/catalog/`);
  await later.locator('li.card', { hasText: 'Hello, Terminal' }).waitFor();
  await context.close();
});

test('a dashboard that cannot start keeps its port; the waiting page, in the portal style, says why and stops spinning', async () => {
  // a reserve of container-builds, whose content comes from git (not reachable here) and no --content is given
  const reserve = await waitFor(
    'a ready reserve of container-builds',
    async () => {
      const list = await workshops(['sessions', 'list', '--portal', 'labs', '-o', 'json'], { env: { KUBECONFIG: kubeconfig } });
      return (JSON.parse(list.stdout) as Array<{ name: string; environment: string; phase: string }>).find(
        (s) => s.environment === 'labs-container-builds' && s.phase === 'Ready',
      );
    },
    120_000,
  );
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'sessions', 'dashboard', reserve!.name, '--port', String(port), '--portal-url', portalUrl], {
    env: { ...process.env, NODE_OPTIONS: '', KUBECONFIG: kubeconfig, TMPDIR: workDir },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  others.push(child);
  const printed = new Output('sessions dashboard', child);
  await printed.line('attempt 1;');

  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  // the portal's own style sheet: the page has the portal's background and header
  await expect(page.locator('link[rel=stylesheet]').first().getAttribute('href')).resolves.toBe(`${portalUrl}/static/portal.css`);
  await page.waitForFunction("getComputedStyle(document.body).backgroundColor !== 'rgba(0, 0, 0, 0)'");
  await expect(page.locator('.site-header .brand').isVisible()).resolves.toBe(true);
  // the reason, as the command prints it, and the count of failures
  await page.locator('#problem').getByText('comes from git').waitFor({ timeout: 15_000 });
  await page.locator('#door[data-state="failed"] .step.failed').waitFor({ timeout: 30_000 });
  await expect(page.locator('h1').textContent()).resolves.toBe('Your session’s dashboard did not start');
  await expect(page.locator('#problem').textContent()).resolves.toMatch(/failed \d+ times in a row/);
  expect(child.exitCode).toBeNull();
  await page.close();
});
