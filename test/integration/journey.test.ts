/**
 * The local development journey of the README ("Run the portal locally"), in real Chromium: the portal started
 * with a dev session URL, and `workshops sessions dashboard <session>` (the real bin/workshops.js in a child
 * process) running the allocated session's dashboard on 127.0.0.1 from what the cluster holds for its workshop pod.
 * GIVEN both, WHEN a learner starts the workshop from the catalog, THEN she sees it prepared and lands in the
 * dashboard, a clickable action runs in her terminal, and what she types runs there too.
 * (portal-web.test.ts covers the portal pages with a stand-in dashboard; dashboard-portal.test.ts the OAuth2 flow
 * with a dashboard started in-process. This test is the developer's own path between them.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser } from 'playwright-core';

import { KubeClient } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { Output } from '../support/child-output.js';
import { BIN, workshops } from '../support/cli.js';
import { applyFixture, type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { freePort, startTestPortal, type TestPortal } from '../support/portal-server.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

let fixture: Fixture;
let portal: TestPortal;
let browser: Browser;
let dashboardCli: ChildProcess | undefined;
let cliOutput: Output;
let workDir: string;
let dashboardUrl: string;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-test-'));
  const content = path.join(workDir, 'my-lab/workshop/content');
  fs.mkdirSync(content, { recursive: true });
  fs.writeFileSync(
    path.join(content, '00-overview.md'),
    [
      '---',
      'title: Overview',
      'weight: 1',
      '---',
      '',
      'Your namespace is {{< param session_namespace >}}.',
      '',
      '```terminal:execute',
      'command: echo "action in $SESSION_NAMESPACE"',
      '```',
      '',
    ].join('\n'),
  );

  fixture = synthPortal('journey', [{ name: 'lab', capacity: 2, initial: 0, reserved: 0, expires: seconds(600) }]);
  await applyFixture(client, fixture);
  const port = await freePort();
  dashboardUrl = `http://127.0.0.1:${port}`;
  portal = await startTestPortal(client, fixture, {
    config: { name: 'journey', title: 'Journey Workshops', registration: 'anonymous', catalogVisibility: 'public' },
    devSessionUrl: dashboardUrl,
  });
  await waitFor('the environment to be known', () => portal.runtime.state.environment(fixture.environment('lab')));

  // As the README: the developer starts the dashboard command, which waits for a learner's session, before Start.
  dashboardCli = spawn(
    process.execPath,
    [
      BIN,
      'sessions',
      'dashboard',
      '--portal',
      'journey',
      '--port',
      String(port),
      '--portal-url',
      portal.url,
      '--content',
      path.join(workDir, 'my-lab'),
      '--wait',
      '120',
    ],
    {
      env: { ...process.env, SHELL: '/bin/sh', TMPDIR: workDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  cliOutput = new Output('workshops sessions dashboard', dashboardCli);
  await cliOutput.line('press Start in the portal');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (dashboardCli && dashboardCli.exitCode === null) {
    const exited = new Promise((resolve) => dashboardCli!.once('exit', resolve));
    dashboardCli.kill('SIGTERM');
    await exited;
  }
  await portal?.stop();
  await client.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('a learner starts from the catalog, is sent into the locally run dashboard, runs an action and types in her terminal', async () => {
  // until there is a session, a page on the dashboard's port says what it waits for (not "connection refused")
  const waiting = await fetch(`${dashboardUrl}/`);
  expect([waiting.status, await waiting.text()]).toEqual([503, expect.stringContaining('Waiting for your session')]);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${portal.url}/`);
  const card = page.locator('li.card', { hasText: 'Workshop lab' });
  const started = Date.now();
  await card.getByRole('button', { name: 'Start workshop' }).click();
  // (no wait for the progress page's steps: from a ready reserve the page may move on before they can be seen,
  // which made this test fail in a full run; portal-pages.test.ts covers the progress page)
  await page.waitForURL(`${dashboardUrl}/`, { timeout: 90_000 });
  const atDashboardPort = Date.now();
  const session = `${fixture.environment('lab')}-s001`;
  await cliOutput.line(`dashboard of session ${session} at ${dashboardUrl}/`);
  await page.waitForURL(/./, { waitUntil: 'load' });
  await page.locator('.page-body').first().waitFor();

  // the instructions carry the session's values, read from the cluster
  await page.locator('.page-body').getByText(`Your namespace is ${session}.`).waitFor();
  const terminal = page.locator('.terminal[data-terminal="1"]');
  await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor({ timeout: 30_000 });
  // figures for docs/local-loop.md (printed, not asserted: no wall-clock assertions)
  process.stdout.write(
    `journey: Start -> usable dashboard ${Date.now() - started} ms (of which on the dashboard's port ${Date.now() - atDashboardPort} ms)\n`,
  );
  const output = () => terminal.locator('.xterm-rows').innerText();

  await page.locator('[data-action="terminal:execute"]').first().click();
  await waitFor('the action to run', async () => (await output()).includes(`action in ${session}`));

  await terminal.click();
  await page.keyboard.type('echo typed-$((6*7))\n');
  await waitFor('what she typed to run', async () => (await output()).includes('typed-42'));
  await context.close();
});

test('when the session ends the command waits for the next one; named, it says the session has ended', async () => {
  const session = `${fixture.environment('lab')}-s001`;
  const before = cliOutput.length;
  await portal.runtime.terminate(session, 'TerminatedByAdmin');
  await cliOutput.line(`dashboard of session ${session} stopped (session `, { from: before });
  await cliOutput.line("waiting for a learner's session", { from: before });
  expect(dashboardCli!.exitCode).toBeNull();
  // run() resolves on 'close', when all of stderr has arrived (on 'exit' the last of it may still be on its way)
  const again = await workshops(['sessions', 'dashboard', session, '--wait', '0', '--port', '0']);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(new RegExp(`workshops: error: (session '${session}' has ended|no WorkshopSession named '${session}')`));
});
