/**
 * The instructions' editor:* actions, in real Chromium, against the real editor: the editor image built from
 * images/editor (code-server from npm with src/editor-extension built in) runs as the learner (uid 1001) in a
 * container (podman, host network, the home directory and the token volume mounted as the Editor capability mounts
 * them in the pod), behind a real session dashboard whose Editor tab proxies it.
 * GIVEN a page of instructions with editor actions and files in the learner's home, WHEN alice clicks each action,
 * THEN the editor opens the file, selects or changes the text as Educates' documentation describes, saves it, and
 * the page says Done — or shows the editor's clear refusal (file missing, text not found, a bad field).
 * The editor's listener answers only the dashboard's token, and cannot be reached through the editor's route.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { launchBrowser } from '../support/browser.js';
import { DEPLOYMENT_YAML, editorAction } from '../support/editor-fixtures.js';
import { type FakePortal, startFakePortal } from '../support/fake-portal.js';
import { imagesScript } from '../support/images.js';
import { waitFor } from '../support/portal-fixture.js';
import { tearDown } from '../support/teardown.js';
import { startTestDashboard } from '../support/test-dashboard.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SESSION = 'labs-w05-s001';
const DOMAIN = 'workshops.test';
const CONFIG_PASSWORD = 'config-password-for-editor-tests-0123';
const HOME = '/home/workshop';

let portal: FakePortal;
let dashboard: { url: string; close(): Promise<void> };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let workDir: string;
let home: string;
let controlDir: string;
let controlPort: number;
let editorPort: number;
let mainHost: string;
const container = `cdk8s-workshops-editor-test-${process.pid}`;

function sh(script: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', `source scripts/images/common.sh; ${script}`],
      { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${script.split(' ').slice(0, 3).join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A request to the dashboard as the browser sends it to `host` (the dashboard routes by the Host header). */
function request(
  host: string,
  pathname: string,
  method: string,
  cookie?: string,
  body?: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(host.split(':')[1]),
        path: pathname,
        method,
        headers: {
          host,
          accept: 'application/json',
          ...(cookie ? { cookie } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...extra,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const PAGE = [
  '---\ntitle: Editing\n---\n\nThe editor, driven from here.\n\n',
  editorAction('open-file', 'open sample', 'file: ~/exercises/sample.txt\nline: 3'),
  editorAction('select-matching-text', 'select exact', 'file: ~/exercises/sample.txt\ntext: "int main()"'),
  editorAction('select-matching-text', 'select regex group', 'file: ~/exercises/deployment.yaml\ntext: "image: (.*)"\nisRegex: true\ngroup: 1'),
  editorAction('select-matching-text', 'select lines around', 'file: ~/exercises/sample.txt\ntext: "int main()"\nbefore: 1\nafter: 1'),
  editorAction('select-matching-text', 'select in range', 'file: ~/exercises/sample.txt\ntext: line\nstart: 6\nstop: 8'),
  editorAction('replace-text-selection', 'replace image', 'file: ~/exercises/deployment.yaml\ntext: nginx:1.27'),
  editorAction('append-lines-to-file', 'append lines', 'file: ~/exercises/sample.txt\ntext: |\n  appended one\n  appended two'),
  editorAction('append-lines-to-file', 'create file', 'file: ~/exercises/new/created.txt\ntext: |\n  a new file'),
  editorAction('insert-lines-before-line', 'insert before 2', 'file: ~/exercises/sample.txt\nline: 2\ntext: |\n  inserted'),
  editorAction('append-lines-after-match', 'after match', 'file: ~/exercises/sample.txt\nmatch: "int main()"\ntext: |\n  after main'),
  editorAction(
    'insert-value-into-yaml',
    'yaml containers',
    'file: ~/exercises/deployment.yaml\npath: spec.template.spec.containers\nvalue:\n- name: sidecar\n  image: busybox:1.36',
  ),
  editorAction(
    'insert-value-into-yaml',
    'yaml probe',
    'file: ~/exercises/deployment.yaml\npath: spec.template.spec.containers[0]\nvalue:\n  readinessProbe:\n    httpGet:\n      port: 8080',
  ),
  editorAction('execute-command', 'close editors', 'command: workbench.action.closeAllEditors'),
  editorAction('open-file', 'open missing', 'file: ~/exercises/missing.txt'),
  editorAction('select-matching-text', 'select absent', 'file: ~/exercises/sample.txt\ntext: "not in the file"'),
  editorAction('insert-lines-before-line', 'bad line', 'file: ~/exercises/sample.txt\nline: 0\ntext: x'),
  editorAction('insert-lines-before-line', 'line as text', 'file: ~/exercises/sample.txt\nline: three\ntext: x'),
  editorAction('insert-value-into-yaml', 'yaml bad path', 'file: ~/exercises/deployment.yaml\npath: spec.nothing.here\nvalue:\n  a: 1'),
  editorAction('execute-command', 'unknown command', 'command: no.such.command'),
].join('');

const SAMPLE = ['#include <stdio.h>', '', 'int main() {', '  return 0;', 'line five', 'line six', 'line seven', '}', ''].join('\n');

function writeFiles(): void {
  fs.mkdirSync(path.join(home, 'exercises'), { recursive: true });
  fs.writeFileSync(path.join(home, 'exercises/sample.txt'), SAMPLE);
  fs.writeFileSync(path.join(home, 'exercises/deployment.yaml'), DEPLOYMENT_YAML);
  fs.rmSync(path.join(home, 'exercises/new'), { recursive: true, force: true });
  for (const entry of fs.readdirSync(home, { recursive: true }) as string[]) fs.chownSync(path.join(home, entry), 1001, 1001);
}

const readHome = (file: string) => fs.readFileSync(path.join(home, file), 'utf8');

interface EditorState {
  file: string | null;
  dirty: boolean;
  selection: { start: { line: number; character: number }; end: { line: number; character: number }; text: string } | null;
  visible: string[];
}

/** What the editor shows now, asked of its listener with the token (as the dashboard does). */
async function editorState(): Promise<EditorState> {
  const token = fs.readFileSync(path.join(controlDir, 'token'), 'utf8').trim();
  const response = await fetch(`http://127.0.0.1:${controlPort}/state`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`the editor's /state answered ${response.status}`);
  return (await response.json()) as EditorState;
}

/** Clicks the action titled `title` and waits for its outcome; returns the state and the message shown. */
async function click(title: string): Promise<{ state: string; message: string }> {
  const block = page.locator('[data-action^="editor:"]', { has: page.locator('.action-title', { hasText: new RegExp(`^${title}$`) }) });
  await block.click();
  await waitFor(`the outcome of '${title}'`, async () => ['done', 'failed'].includes((await block.getAttribute('data-state')) ?? ''), 150_000);
  return { state: (await block.getAttribute('data-state'))!, message: await block.locator('.action-status').innerText() };
}

beforeAll(async () => {
  // the editor image: a cache hit unless images/editor, src/editor-extension or the base changed (then minutes)
  await imagesScript('build.sh', ['editor']);
  const image = await sh('local_name_of editor');

  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'editor-test-'));
  fs.chmodSync(workDir, 0o755);
  home = path.join(workDir, 'home');
  controlDir = path.join(workDir, 'control');
  fs.mkdirSync(path.join(workDir, 'content/workshop/content'), { recursive: true });
  fs.writeFileSync(path.join(workDir, 'content/workshop/content/_index.md'), PAGE);
  for (const dir of [home, controlDir]) {
    fs.mkdirSync(dir);
    fs.chownSync(dir, 1001, 1001);
  }
  writeFiles();

  [editorPort, controlPort] = [await freePort(), await freePort()];
  const dashboardPort = await freePort();
  // As the Editor capability runs it: the learner's uid, the home volume, the token volume, the same arguments.
  await sh(
    [
      'podman run -d --rm',
      `--name ${container}`,
      '--network host',
      '--user 1001:1001',
      `-v ${home}:${HOME}`,
      `-v ${controlDir}:/var/run/editor-control`,
      `-e CDK8S_EDITOR_CONTROL_PORT=${controlPort}`,
      '-e CDK8S_EDITOR_TOKEN_FILE=/var/run/editor-control/token',
      `${image}`,
      '--bind-addr',
      `127.0.0.1:${editorPort}`,
      '--auth none --disable-proxy --disable-telemetry --disable-update-check',
      `--disable-workspace-trust --disable-getting-started-override ${HOME}`,
    ].join(' '),
  );
  await waitFor('code-server answering', async () => (await fetch(`http://127.0.0.1:${editorPort}/healthz`)).ok, 120_000);

  const configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      workshop: { name: 'labs-w05', title: 'Editor actions' },
      content: {},
      capabilities: ['editor'],
      tabs: [{ name: 'Editor', url: `http://editor-${SESSION}.${DOMAIN}:${dashboardPort}/` }],
      routes: [{ name: 'editor', host: `editor-${SESSION}.${DOMAIN}`, port: editorPort, authenticated: true }],
      settings: { editor: { controlPort, tokenFile: path.join(controlDir, 'token') } },
    }),
  );
  portal = await startFakePortal({ ingressDomain: DOMAIN });
  dashboard = await startTestDashboard(portal, {
    sessionName: SESSION,
    clientSecret: CONFIG_PASSWORD,
    workshopDir: path.join(workDir, 'content'),
    configFile,
    port: dashboardPort,
    homeDir: home,
  });
  mainHost = `${SESSION}.${DOMAIN}:${dashboardPort}`;
  portal.addSession({ name: SESSION, owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [] });
  browser = await launchBrowser({ args: [`--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1`] });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  await page.goto(`${portal.url}/login?user=alice&next=/accounts/login/`);
  await page.goto(`http://${mainHost}/`);
  await expect(page.locator('#page-title').innerText()).resolves.toBe('Editing');
}, 60 * 60_000);

afterAll(async () => {
  await tearDown([
    ['closing Chromium', () => browser?.close(), 'tool'],
    ['closing the dashboard', () => dashboard?.close()],
    ['closing the portal', () => portal?.close()],
    // -t 0: the editor has nothing to save; a stop that waits for it only holds the run
    ['removing the editor container', () => sh(`podman rm -f -t 0 ${container} >/dev/null 2>&1 || true`, 30_000), 'tool'],
    ['removing the work directory', () => workDir && fs.rmSync(workDir, { recursive: true, force: true })],
  ]);
}, 200_000);

test('open-file brings the Editor tab forward and opens the file at the line', async () => {
  expect(await click('open sample')).toEqual({ state: 'done', message: 'Done' });
  await expect(page.locator('[role="tab"][data-tab="Editor"]').getAttribute('aria-selected')).resolves.toBe('true');
  const state = await editorState();
  expect(state.file).toBe(`${HOME}/exercises/sample.txt`);
  expect(state.selection).toMatchObject({ start: { line: 3, character: 0 }, end: { line: 3, character: 0 } });
  // the editor in the tab shows the file
  const frame = page.frameLocator('iframe[src^="http://editor-"]');
  await waitFor(
    'sample.txt open in the editor tab',
    async () => (await frame.locator('.tab[data-resource-name="sample.txt"], .tab[aria-label*="sample.txt"]').count()) > 0,
    60_000,
  );
});

test('select-matching-text selects the exact text, a regex group, whole lines around, or within start/stop', async () => {
  expect((await click('select exact')).state).toBe('done');
  expect((await editorState()).selection).toMatchObject({ text: 'int main()', start: { line: 3, character: 0 } });

  expect((await click('select regex group')).state).toBe('done');
  const regex = await editorState();
  expect(regex.file).toBe(`${HOME}/exercises/deployment.yaml`);
  expect(regex.selection).toMatchObject({ text: 'nginx:latest', start: { line: 10, character: 15 } });

  expect((await click('select lines around')).state).toBe('done');
  expect((await editorState()).selection?.text).toBe(['', 'int main() {', '  return 0;'].join('\n'));

  // 'line' first appears on line 5; the search from line 6 up to (not including) 8 finds it on line 6
  expect((await click('select in range')).state).toBe('done');
  expect((await editorState()).selection).toMatchObject({ text: 'line', start: { line: 6, character: 0 } });
});

test('replace-text-selection replaces what was selected, saves the file and selects the new text', async () => {
  writeFiles();
  expect((await click('select regex group')).state).toBe('done');
  expect((await click('replace image')).state).toBe('done');
  expect(readHome('exercises/deployment.yaml')).toBe(DEPLOYMENT_YAML.replace('nginx:latest', 'nginx:1.27'));
  const state = await editorState();
  expect(state).toMatchObject({ file: `${HOME}/exercises/deployment.yaml`, dirty: false, selection: { text: 'nginx:1.27' } });
});

test('append-lines-to-file adds lines at the end, and creates a file that is not there', async () => {
  writeFiles();
  expect((await click('append lines')).state).toBe('done');
  expect(readHome('exercises/sample.txt')).toBe(`${SAMPLE}appended one\nappended two\n`);
  expect(await editorState()).toMatchObject({
    file: `${HOME}/exercises/sample.txt`,
    dirty: false,
    selection: { text: 'appended one\nappended two\n' },
  });

  expect((await click('create file')).state).toBe('done');
  expect(readHome('exercises/new/created.txt')).toBe('a new file\n');
  expect(fs.statSync(path.join(home, 'exercises/new/created.txt')).uid).toBe(1001);
  expect((await editorState()).file).toBe(`${HOME}/exercises/new/created.txt`);
});

test('insert-lines-before-line and append-lines-after-match put the lines where they say', async () => {
  writeFiles();
  expect((await click('insert before 2')).state).toBe('done');
  const lines = SAMPLE.split('\n');
  expect(readHome('exercises/sample.txt')).toBe([lines[0], 'inserted', ...lines.slice(1)].join('\n'));
  expect((await editorState()).selection?.text).toBe('inserted\n');

  expect((await click('after match')).state).toBe('done');
  const now = readHome('exercises/sample.txt').split('\n');
  expect(now[now.indexOf('int main() {') + 1]).toBe('after main');
});

test('insert-value-into-yaml adds list items to a list and fields to a mapping, keeping comments', async () => {
  writeFiles();
  expect((await click('yaml containers')).state).toBe('done');
  expect((await click('yaml probe')).state).toBe('done');
  const text = readHome('exercises/deployment.yaml');
  expect(text).toContain('  name: web # the application');
  expect(text).toBe(
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web # the application',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: web',
      '        image: nginx:latest',
      '        readinessProbe:',
      '          httpGet:',
      '            port: 8080',
      '      - name: sidecar',
      '        image: busybox:1.36',
      '',
    ].join('\n'),
  );
  expect((await editorState()).dirty).toBe(false);
});

test('execute-command runs an editor command', async () => {
  expect((await editorState()).visible.length).toBeGreaterThan(0);
  expect((await click('close editors')).state).toBe('done');
  await waitFor('no editor open', async () => (await editorState()).visible.length === 0, 30_000);
});

test('a missing file, text not found, a bad field or an unknown command show a clear message in the page', async () => {
  writeFiles();
  const before = readHome('exercises/sample.txt');
  expect(await click('open missing')).toEqual({
    state: 'failed',
    message: `Could not do that: the file ~/exercises/missing.txt does not exist (${HOME}/exercises/missing.txt)`,
  });
  expect(await click('select absent')).toEqual({
    state: 'failed',
    message: 'Could not do that: the text "not in the file" is not in ~/exercises/sample.txt',
  });
  expect(await click('bad line')).toEqual({
    state: 'failed',
    message: "Could not do that: editor:insert-lines-before-line: 'line' must be a line number (a whole number from 1), got 0",
  });
  expect(await click('line as text')).toEqual({
    state: 'failed',
    message: 'Could not do that: editor:insert-lines-before-line: \'line\' must be a line number (a whole number from 1), got "three"',
  });
  expect(await click('yaml bad path')).toEqual({
    state: 'failed',
    message: "Could not do that: 'path' spec.nothing.here: ~/exercises/deployment.yaml has no 'nothing' in spec",
  });
  expect(await click('unknown command')).toEqual({ state: 'failed', message: "Could not do that: the editor has no command 'no.such.command'" });
  expect(readHome('exercises/sample.txt')).toBe(before);
});

test("the editor's listener refuses requests without the dashboard's token, and is not reachable through the editor's route", async () => {
  const url = `http://127.0.0.1:${controlPort}/actions/append-lines-to-file`;
  const body = JSON.stringify({ file: '~/exercises/sample.txt', text: 'intruder' });
  const before = readHome('exercises/sample.txt');
  for (const authorization of [undefined, 'Bearer not-the-token', `Bearer ${'0'.repeat(64)}`]) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body,
    });
    expect(response.status).toBe(401);
  }
  // code-server's port proxy is off: the editor's own route, signed in as alice, does not lead to the listener
  const editorHost = `editor-${SESSION}.${DOMAIN}:${new URL(dashboard.url).port}`;
  const cookies = (await context.cookies(`http://${editorHost}/`)).map((c) => `${c.name}=${c.value}`).join('; ');
  expect(cookies).not.toBe('');
  expect((await request(editorHost, '/healthz', 'GET', cookies)).status).toBe(200); // the route itself works
  for (const prefix of ['proxy', 'absproxy']) {
    const answer = await request(editorHost, `/${prefix}/${controlPort}/state`, 'GET', cookies);
    expect(answer.status).not.toBe(200);
    expect(answer.body).not.toContain('"selection"');
  }
  // the dashboard's bridge takes actions from the signed-in learner only
  const anonymous = await request(mainHost, '/editor/actions/append-lines-to-file', 'POST', undefined, body);
  expect(anonymous.status).toBe(401);
  // ... and from the session's own pages: alice's cookie sent by another site's page is refused
  const mainCookie = (await context.cookies(`http://${mainHost}/`)).map((c) => `${c.name}=${c.value}`).join('; ');
  const crossSite = await request(mainHost, '/editor/actions/append-lines-to-file', 'POST', mainCookie, body, { origin: 'http://attacker.example' });
  expect(crossSite.status).toBe(403);
  expect(readHome('exercises/sample.txt')).toBe(before);
});
