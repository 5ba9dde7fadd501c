/**
 * docs/local-loop.md "Real pods (the default)", run as written: the block is read from the doc and run by bash in
 * this checkout, with only its first line's state folder replaced by a fresh one. `workshops local up` starts the
 * control plane with the machine's real node, a loopback registry with the images and the examples' content,
 * Traefik, and dist/ with local settings. Then, in Chromium, a learner opens http://labs-ui.workshops.localhost/,
 * presses Start, and gets her session's dashboard served by its pod on the real node, at
 * http://<session>.workshops.localhost/, with instructions and a terminal in the pod whose kubectl is in the
 * session's namespace; when the session ends, the tab says so and links back to the portal. Ctrl-C (SIGTERM)
 * removes it all.
 *
 * The real node is one per machine: this file takes turns with the other real-node tests through their lock
 * (test/support/real-node.ts); it needs root.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser, Page } from 'playwright-core';

import { launchBrowser } from '../support/browser.js';
import { Output } from '../support/child-output.js';
import { BIN, ROOT, run } from '../support/cli.js';
import { waitFor } from '../support/portal-fixture.js';

const LOCK_FILE = '/tmp/cdk8s-workshops-real-node-test.lock';

/** The doc's block after the marker naming this test. */
function documentedBlock(): string {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'local-loop.md'), 'utf8');
  const marker = doc.indexOf('<!-- local-loop-real.test.ts runs this block');
  if (marker < 0) throw new Error('docs/local-loop.md has no block marked for local-loop-real.test.ts');
  const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(marker));
  if (!block) throw new Error('docs/local-loop.md: no ```sh block after the local-loop-real.test.ts marker');
  return block[1];
}

/** The real-node lock of test/support/real-node.ts: wait while a live process holds it, then hold it. */
async function lockRealNode(): Promise<() => void> {
  await waitFor(
    'the real node (another test holds it)',
    () => {
      try {
        fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number(fs.readFileSync(LOCK_FILE, 'utf8').trim());
      try {
        process.kill(holder, 0);
      } catch {
        fs.rmSync(LOCK_FILE, { force: true });
      }
      return false;
    },
    60 * 60_000,
  );
  return () => fs.rmSync(LOCK_FILE, { force: true });
}

const FIRST_LINE = /^export LABS=\S+(\s+#.*)?$/;
const DOMAIN = 'workshops.localhost';

let workDir: string;
let stateDir: string;
let shell: ChildProcess | undefined;
let output: Output;
let browser: Browser | undefined;
let unlock: (() => void) | undefined;

beforeAll(async () => {
  const lines = documentedBlock().split('\n');
  expect(lines[0]).toMatch(FIRST_LINE);
  unlock = await lockRealNode();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-loop-real-'));
  stateDir = path.join(workDir, 'labs');
  lines[0] = `export LABS=${stateDir}`;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', DEBUG: '', SHELL: '/bin/bash' };
  delete env.KUBECONFIG;
  shell = spawn('bash', ['-c', lines.join('\n')], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  output = new Output('the documented commands', shell);
  await output.line(`open http://labs-ui.${DOMAIN}/`, { timeoutMs: 40 * 60_000 });
  const timings = output.printed
    .split('\n')
    .filter((l) => /^local: .*: done in /.test(l))
    .join('\n');
  process.stdout.write(`local up (real pods) steps:\n${timings}\n`);
  browser = await launchBrowser();
}, 45 * 60_000);

afterAll(async () => {
  await browser?.close();
  try {
    if (shell && shell.exitCode === null && shell.signalCode === null) {
      const exited = new Promise((resolve) => shell!.once('exit', resolve));
      process.kill(-shell.pid!, 'SIGTERM');
      await exited;
    }
    // what Ctrl-C leaves: nothing (a failed run may have left the cluster: remove it all the same)
    if (stateDir && fs.existsSync(path.join(stateDir, 'cluster')))
      await run('bash', [path.join(ROOT, 'scripts/cluster/down.sh'), path.join(stateDir, 'cluster')], { timeoutMs: 120_000 });
  } finally {
    unlock?.();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  }
}, 180_000);

const terminalText = (page: Page) => page.locator('.terminal[data-terminal="1"] .xterm-rows').innerText();

async function typeInTerminal(page: Page, text: string, expected: RegExp): Promise<RegExpExecArray> {
  await page.locator('.terminal[data-terminal="1"]').click();
  await page.keyboard.type(`${text}\n`);
  return waitFor(`"${text}" to print ${expected}`, async () => expected.exec(await terminalText(page)) ?? undefined, 60_000);
}

test('the documented command, as written, gives a learner a dashboard served by her session pod on the real node, with a terminal there', async () => {
  const page = await browser!.newPage();
  await page.goto(`http://labs-ui.${DOMAIN}/`);
  const started = Date.now();
  await page.locator('li.card', { hasText: 'Hello, Terminal' }).getByRole('button', { name: 'Start workshop' }).click();
  // the session's own host, as in a cluster: http://<session>.workshops.localhost/ (no port: 127.0.0.1:80 is the loop's)
  await page.waitForURL(new RegExp(`^http://labs-hello-terminal-[a-z0-9-]+\\.${DOMAIN.replace('.', '\\.')}/`), { timeout: 5 * 60_000 });
  await page.locator('.page-body').getByText('This is the session dashboard').first().waitFor({ timeout: 120_000 });
  await page.locator('.terminal[data-terminal="1"][data-connected="true"]').waitFor({ timeout: 60_000 });
  process.stdout.write(`local loop (real pods): Start -> dashboard with instructions and a connected terminal in ${Date.now() - started} ms\n`);
  const session = new URL(page.url()).hostname.split('.')[0];

  // the terminal is in the session's pod on the real node, as the learner
  const host = (await typeInTerminal(page, 'echo pod=$(hostname) uid=$(id -u)', /pod=(\S+) uid=(\d+)/))[1];
  const kubeconfig = path.join(stateDir, 'cluster', 'kubeconfig');
  const kubectlBin = path.join(
    fs
      .readFileSync(path.join(stateDir, 'cluster', 'env'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('KUBE_BIN_DIR='))!
      .slice('KUBE_BIN_DIR='.length),
    'kubectl',
  );
  const pods = await run(kubectlBin, ['--kubeconfig', kubeconfig, 'get', 'pods', '-A', '-o', 'json'], { timeoutMs: 60_000 });
  const pod = (JSON.parse(pods.stdout).items as Array<{ metadata: { name: string; namespace: string }; spec: { nodeName?: string } }>).find(
    (p) => p.metadata.name === host,
  );
  expect(pod?.spec.nodeName).toBe('real-node-1');
  expect(await terminalText(page)).toMatch(/uid=1001\b/);
  // kubectl there works in the session's namespace, as the session's ServiceAccount
  await typeInTerminal(page, "echo ns=$(kubectl config view --minify -o jsonpath='{..namespace}')", new RegExp(`ns=${session}\\b`));
  await typeInTerminal(page, 'kubectl get pods -o name; echo listed=$?', /listed=0/);

  // when the session ends (an admin here; End and expiry alike) the open tab says so and links back to the portal
  const ended = await run(process.execPath, [BIN, 'sessions', 'terminate', session, '--kubeconfig', kubeconfig], { timeoutMs: 60_000 });
  expect(ended.code).toBe(0);
  await page.locator('h1', { hasText: 'This session has ended' }).waitFor({ timeout: 120_000 });
  await expect(page.locator('#ended').textContent()).resolves.toContain(`Session ${session} has ended: an administrator ended it.`);
  await page.locator('#back-to-portal').click();
  await page.waitForURL(`http://labs-ui.${DOMAIN}/workshops/catalog/`);
  await page.close();
});
