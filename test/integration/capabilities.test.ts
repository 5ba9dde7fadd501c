/**
 * The session capabilities a learner meets beyond the terminal, each with its real parts: a local dashboard (its
 * session agent in-process, as on a developer's machine), a portal that signs people in, real Chromium, Debian's
 * git and `git http-backend`, Debian's docker-registry and skopeo.
 *
 * GIVEN a session with FileServer uploads, a GitServer, an ImageRegistry and Slides,
 * WHEN the learner uploads, pushes, clones, pushes an image and opens the slides,
 * THEN it works without any manual set-up, and what would leave its bounds (paths out of the upload directory,
 * files over the limit, requests without the session's credentials) is refused with a message saying why.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { createLocalAgent, serveAgent } from '../../src/dashboard/agent/index.js';
import type { Dashboard } from '../../src/dashboard/index.js';
import { launchBrowser } from '../support/browser.js';
import { type FakePortal, startFakePortal } from '../support/fake-portal.js';
import { waitFor } from '../support/portal-fixture.js';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.js';
import { startTestDashboard } from '../support/test-dashboard.js';

const SESSION = 'caps-w01-s001';
const CONFIG_PASSWORD = 'config-password-for-capability-tests';
const GIT = { username: 'learner', password: 'git-password-of-this-session' };
const REGISTRY = { username: 'session-user', password: 'registry-password-of-this-session' };
const UPLOAD_LIMIT = 64 * 1024;

let portal: FakePortal;
let recorder: http.Server;
const forwarded: Array<{ authorization?: string; body: { event: { name: string; data: Record<string, unknown> } } }> = [];
let dashboard: Dashboard;
let registry: TestRegistry;
let browser: Browser;
let workDir: string;
let home: string;
let gitPort: number;
let dashboardPort: string;

const sh = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) || 1 : 0, out: `${stdout}${stderr}` });
    });
  });

function writeWorkshop(dir: string): void {
  fs.mkdirSync(path.join(dir, 'workshop/content'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'workshop/slides'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'workshop/slides/index.html'),
    '<!doctype html><html lang="en"><head><title>Deck</title></head><body><section><h1>Slide one: why pods</h1></section></body></html>',
  );
  fs.writeFileSync(
    path.join(dir, 'workshop/content/_index.md'),
    `---
title: Capabilities
---

\`\`\`files:upload-file
path: data/config.yaml
\`\`\`

\`\`\`files:upload-files
directory: batch
\`\`\`

\`\`\`workshop:copy
text: kubectl get pods
\`\`\`
`,
  );
  fs.writeFileSync(path.join(dir, 'workshop/content/02-more.md'), '---\ntitle: More\nweight: 2\n---\n\nThe second page.\n');
}

/** A recorder of the dashboard's analytics events in front of the fake portal (which has no /event). */
async function startRecorder(target: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url === `/workshops/session/${SESSION}/event/`) {
        forwarded.push({ authorization: req.headers.authorization, body: JSON.parse(body.toString()) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      const headers = { ...req.headers } as Record<string, string>;
      delete headers.host;
      delete headers['content-length'];
      const answer = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers,
        body: ['GET', 'HEAD'].includes(req.method ?? '') ? undefined : body,
        redirect: 'manual',
      });
      res.writeHead(answer.status, Object.fromEntries(answer.headers.entries()));
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

async function signedIn(): Promise<{ context: BrowserContext; page: Page; cookie: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${portal.url}/login?user=alice&next=/accounts/login/`);
  await page.goto(dashboard.url);
  await page.waitForSelector('#page');
  const cookie = (await context.cookies(dashboard.url)).map((c) => `${c.name}=${c.value}`).join('; ');
  return { context, page, cookie };
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'capabilities-test-'));
  const content = path.join(workDir, 'content');
  home = path.join(workDir, 'home');
  fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
  // the learner's own login elsewhere stays
  fs.writeFileSync(
    path.join(home, '.docker/config.json'),
    JSON.stringify({ auths: { 'other.example.com': { auth: 'b3RoZXI6b3RoZXI=' } }, credsStore: '' }),
  );
  fs.mkdirSync(path.join(workDir, 'outside'));
  writeWorkshop(content);

  registry = await startRegistry({ auth: REGISTRY });
  gitPort = await freePort();
  // the session's values, as the workshop pod's environment has them (the session template sets them)
  Object.assign(process.env, {
    GIT_USERNAME: GIT.username,
    GIT_PASSWORD: GIT.password,
    GIT_PORT: String(gitPort),
    REGISTRY_HOST: registry.host,
    REGISTRY_AUTH_TOKEN: Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64'),
  });
  const configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      workshop: { name: 'caps-w01', title: 'Capabilities' },
      content: {},
      capabilities: ['terminal', 'files', 'git', 'registry', 'slides'],
      tabs: [
        { name: 'Terminal', url: 'terminal:1' },
        { name: 'Files', url: '/files/' },
        { name: 'Slides', url: '/slides/' },
      ],
      routes: [{ name: 'git', host: `git-${SESSION}.workshops.test`, port: gitPort, authenticated: false }],
      settings: {
        terminal: { layout: 'default', sessions: ['1'] },
        files: { directory: '.', uploads: true, uploadDirectory: 'uploads', maxUploadBytes: UPLOAD_LIMIT, maxUploadFiles: 3 },
        git: { port: gitPort, repositories: path.join(workDir, 'git-repositories') },
        registry: { secret: 'registry-credentials' },
        slides: { directory: 'workshop/slides' },
      },
    }),
  );

  portal = await startFakePortal();
  recorder = await startRecorder(portal.url);
  dashboard = await startTestDashboard(portal, {
    sessionName: SESSION,
    portalApiUrl: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`,
    clientSecret: CONFIG_PASSWORD,
    workshopDir: content,
    configFile,
    homeDir: home,
  });
  dashboardPort = new URL(dashboard.url).port;
  portal.addSession({ name: SESSION, owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [new URL(dashboard.url).origin] });
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP *.workshops.test 127.0.0.1'] });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await portal?.close();
  recorder?.closeAllConnections();
  recorder?.close();
  await registry?.stop();
  for (const name of ['GIT_USERNAME', 'GIT_PASSWORD', 'GIT_PORT', 'REGISTRY_HOST', 'REGISTRY_AUTH_TOKEN']) delete process.env[name];
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('file uploads', () => {
  test('files:upload-file and files:upload-files put the chosen files into the upload directory', async () => {
    const { context, page } = await signedIn();
    const single = page.locator('[data-action="files:upload-file"]');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), single.click()]);
    await chooser.setFiles({ name: 'anything.yaml', mimeType: 'text/yaml', buffer: Buffer.from('replicas: 3\n') });
    await waitFor('the upload to be done', async () => (await single.getAttribute('data-state')) === 'done');
    expect(await single.locator('.action-status').innerText()).toBe('Uploaded data/config.yaml');
    expect(fs.readFileSync(path.join(home, 'uploads/data/config.yaml'), 'utf8')).toBe('replicas: 3\n');

    const many = page.locator('[data-action="files:upload-files"]');
    const [chooser2] = await Promise.all([page.waitForEvent('filechooser'), many.click()]);
    expect(chooser2.isMultiple()).toBe(true);
    await chooser2.setFiles([
      { name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('A') },
      { name: 'b.txt', mimeType: 'text/plain', buffer: Buffer.from('B') },
    ]);
    await waitFor('the uploads to be done', async () => (await many.getAttribute('data-state')) === 'done');
    expect(fs.readFileSync(path.join(home, 'uploads/batch/a.txt'), 'utf8')).toBe('A');
    expect(fs.readFileSync(path.join(home, 'uploads/batch/b.txt'), 'utf8')).toBe('B');
    // nothing half-written is left beside them
    expect(fs.readdirSync(path.join(home, 'uploads/batch')).sort()).toEqual(['a.txt', 'b.txt']);
    await context.close();
  });

  test('a file over the limit is refused with a message naming the limit, and leaves nothing behind', async () => {
    const { context, page } = await signedIn();
    const single = page.locator('[data-action="files:upload-file"]');
    const before = fs.readFileSync(path.join(home, 'uploads/data/config.yaml'), 'utf8');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), single.click()]);
    await chooser.setFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(UPLOAD_LIMIT + 1, 1) });
    await waitFor('the upload to fail', async () => (await single.getAttribute('data-state')) === 'failed');
    expect(await single.locator('.action-status').innerText()).toBe(
      "Could not upload: 'data/config.yaml' is larger than the upload limit of 64 KiB (FileServer maxUploadSize)",
    );
    // the file that was there is untouched, and no partial file remains
    expect(fs.readFileSync(path.join(home, 'uploads/data/config.yaml'), 'utf8')).toBe(before);
    expect(fs.readdirSync(path.join(home, 'uploads/data'))).toEqual(['config.yaml']);
    // exactly the limit is fine
    const [chooser2] = await Promise.all([page.waitForEvent('filechooser'), single.click()]);
    await chooser2.setFiles({ name: 'limit.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(UPLOAD_LIMIT, 2) });
    await waitFor('the upload to be done', async () => (await single.getAttribute('data-state')) === 'done');
    expect(fs.statSync(path.join(home, 'uploads/data/config.yaml')).size).toBe(UPLOAD_LIMIT);
    await context.close();
  });

  test("the Files tab's upload form sends the chosen files into the folder shown, says so and lists them", async () => {
    const { context, page } = await signedIn();
    await page.getByRole('tab', { name: 'Files' }).click();
    const frame = page.frameLocator('iframe[title="Files"]');
    // the home's listing uploads into the upload directory
    await expect(frame.locator('label[for="upload-files"]').innerText()).resolves.toBe('Upload files to ~/uploads/');
    await expect(frame.locator('.upload-limits').innerText()).resolves.toBe('At most 3 files at a time, each up to 64 KiB.');
    await frame.getByRole('link', { name: 'uploads/' }).click();
    await frame.getByRole('link', { name: 'batch/' }).click();
    // the click starts the frame's navigation; the old page's label answers until the new page is in
    const label = frame.locator('label[for="upload-files"]');
    await waitFor("the folder's page", async () => (await label.innerText()) === 'Upload files to ~/uploads/batch/').catch(async (error) => {
      throw new Error(`${(error as Error).message}; the label says ${JSON.stringify(await label.innerText())}`);
    });
    await frame.locator('#upload-files').setInputFiles([
      { name: 'tab-1.txt', mimeType: 'text/plain', buffer: Buffer.from('one') },
      { name: 'tab-2.txt', mimeType: 'text/plain', buffer: Buffer.from('two') },
    ]);
    await frame.getByRole('button', { name: 'Upload', exact: true }).click();
    const form = frame.locator('form[data-upload-form]');
    await waitFor('the form to say it is done', async () => (await form.getAttribute('data-state')) === 'done');
    await expect(frame.getByRole('status').innerText()).resolves.toBe('Uploaded batch/tab-1.txt, batch/tab-2.txt');
    expect(fs.readFileSync(path.join(home, 'uploads/batch/tab-1.txt'), 'utf8')).toBe('one');
    expect(fs.readFileSync(path.join(home, 'uploads/batch/tab-2.txt'), 'utf8')).toBe('two');
    // the listing shows them without a reload
    await waitFor('the new files in the listing', async () => (await frame.locator('ul.file-list').innerText()).includes('tab-2.txt'));

    // the routes' limits hold for the form too: refused, with the dashboard's message, nothing written
    await frame
      .locator('#upload-files')
      .setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(UPLOAD_LIMIT + 1) });
    await frame.getByRole('button', { name: 'Upload', exact: true }).click();
    await waitFor('the form to say it failed', async () => (await form.getAttribute('data-state')) === 'failed');
    await expect(frame.getByRole('status').innerText()).resolves.toBe(
      "Could not upload: 'batch/huge.bin' is larger than the upload limit of 64 KiB (FileServer maxUploadSize)",
    );
    expect(fs.existsSync(path.join(home, 'uploads/batch/huge.bin'))).toBe(false);
    fs.rmSync(path.join(home, 'uploads/batch/tab-1.txt'));
    fs.rmSync(path.join(home, 'uploads/batch/tab-2.txt'));
    await context.close();
  });

  describe('attacks on the upload paths are refused', () => {
    let cookie: string;
    let context: BrowserContext;
    const upload = (fields: Array<[string, string] | [string, string, Blob]>, url = '/upload/file', headers: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [name, value, blob] of fields) {
        if (blob) form.append(name, blob, value);
        else form.append(name, value);
      }
      return fetch(`${dashboard.url}${url}`, { method: 'POST', body: form, headers: { cookie, ...headers } });
    };
    const file = new Blob(['owned\n']);

    beforeAll(async () => {
      ({ context, cookie } = await signedIn());
    });
    afterAll(async () => context?.close());

    test.each([
      ['../escaped.txt', "'path' (\"../escaped.txt\") must stay inside the upload directory: '..' is not allowed"],
      ['data/../../escaped.txt', "'path' (\"data/../../escaped.txt\") must stay inside the upload directory: '..' is not allowed"],
      ['/tmp/escaped.txt', '\'path\' ("/tmp/escaped.txt") must be relative to the upload directory, not absolute'],
      ['..\\escaped.txt', '\'path\' ("..\\\\escaped.txt") must not contain a backslash'],
    ])('path %j', async (target, message) => {
      const response = await upload([
        ['path', target],
        ['file', 'x.txt', file],
      ]);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'bad_path', message });
      expect(fs.existsSync(path.join(home, 'escaped.txt'))).toBe(false);
      expect(fs.existsSync('/tmp/escaped.txt')).toBe(false);
    });

    test('a file name with a path in upload/files', async () => {
      const response = await upload(
        [
          ['path', 'batch'],
          ['files', '../../escaped.txt', file],
        ],
        '/upload/files',
      );
      // only the name of a file counts, never a path in it: it lands in the directory asked for
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ uploaded: [{ path: 'batch/escaped.txt', size: 6 }] });
      expect(fs.existsSync(path.join(home, 'escaped.txt'))).toBe(false);
      expect(fs.existsSync(path.join(workDir, 'escaped.txt'))).toBe(false);
      fs.rmSync(path.join(home, 'uploads/batch/escaped.txt'));
    });

    test('a symbolic link in the upload directory, to the home or outside it', async () => {
      fs.symlinkSync(path.join(workDir, 'outside'), path.join(home, 'uploads/out'));
      fs.symlinkSync(home, path.join(home, 'uploads/home'));
      fs.writeFileSync(path.join(home, '.profile'), "# the learner's profile\n");
      fs.symlinkSync(path.join(home, '.profile'), path.join(home, 'uploads/profile'));
      for (const [target, link] of [
        ['out/escaped.txt', 'out'],
        ['home/.profile', 'home'],
        ['profile', 'profile'],
      ]) {
        const response = await upload([
          ['path', target],
          ['file', 'x.txt', file],
        ]);
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({
          error: 'bad_path',
          message: `'${link}' is a symbolic link (uploads/${link}); uploads do not follow links`,
        });
      }
      expect(fs.readdirSync(path.join(workDir, 'outside'))).toEqual([]);
      expect(fs.readFileSync(path.join(home, '.profile'), 'utf8')).toBe("# the learner's profile\n");
    });

    test('more files than allowed in one upload', async () => {
      const response = await upload(
        [['path', 'many'], ...['1', '2', '3', '4'].map((n) => ['files', `${n}.txt`, file] as [string, string, Blob])],
        '/upload/files',
      );
      expect(response.status).toBe(413);
      expect(((await response.json()) as { message: string }).message).toBe(
        'the upload has more files than the limit of one upload (FileServer maxUploadFiles)',
      );
    });

    test("without sign-in, or from another site's page", async () => {
      const anonymous = await fetch(`${dashboard.url}/upload/file`, { method: 'POST', body: new FormData() });
      expect(anonymous.status).toBe(401);
      const crossSite = await upload(
        [
          ['path', 'x.txt'],
          ['file', 'x.txt', file],
        ],
        '/upload/file',
        { origin: 'http://evil.workshops.test' },
      );
      expect(crossSite.status).toBe(403);
      expect(fs.existsSync(path.join(home, 'uploads/x.txt'))).toBe(false);
    });
  });
});

describe("the session's git server", () => {
  const inside = (repo: string) => `http://${GIT.username}:${GIT.password}@localhost:${gitPort}/${repo}`;

  test('the learner pushes a new repository from the terminal side and clones it back', async () => {
    const script = [
      'set -e',
      'mkdir -p project && cd project && git init -q -b main',
      'git -c user.email=l@example.com -c user.name=Learner commit -q --allow-empty -m first',
      'echo hello > README && git add README && git -c user.email=l@example.com -c user.name=Learner commit -q -m readme',
      // the session's values the terminal has: GIT_USERNAME, GIT_PASSWORD, GIT_PORT
      'git push -q "http://$GIT_USERNAME:$GIT_PASSWORD@localhost:$GIT_PORT/project.git" main',
      'cd .. && git clone -q "http://$GIT_USERNAME:$GIT_PASSWORD@localhost:$GIT_PORT/project.git" copy',
      'cat copy/README',
    ].join('\n');
    const result = await dashboard.agent.exec({ command: ['bash', '-c', script], timeoutSeconds: 60 });
    expect({ ...result, output: result.exitCode === 0 ? '' : result.output }).toEqual({ exitCode: 0, timedOut: false, output: '' });
    expect(result.output.trim()).toBe('hello');
  });

  test("from outside, through the session's git route, with the credentials; refused without them", async () => {
    const clone = path.join(workDir, 'outside-clone');
    const resolve = ['-c', `http.curloptResolve=git-${SESSION}.workshops.test:${dashboardPort}:127.0.0.1`];
    const url = (auth: string) => `http://${auth}git-${SESSION}.workshops.test:${dashboardPort}/project.git`;
    const ok = await sh('git', [...resolve, 'clone', '-q', url(`${GIT.username}:${GIT.password}@`), clone], { env: { GIT_TERMINAL_PROMPT: '0' } });
    expect(ok).toEqual({ code: 0, out: '' });
    expect(fs.readFileSync(path.join(clone, 'README'), 'utf8')).toBe('hello\n');
    // and pushes back
    fs.writeFileSync(path.join(clone, 'NOTES'), 'from outside\n');
    await sh('git', ['-C', clone, 'add', 'NOTES']);
    await sh('git', ['-C', clone, '-c', 'user.email=o@example.com', '-c', 'user.name=Outside', 'commit', '-q', '-m', 'notes']);
    expect((await sh('git', ['-C', clone, ...resolve, 'push', '-q', 'origin', 'main'])).code).toBe(0);
    const log = await dashboard.agent.exec({ command: ['bash', '-c', 'cd copy && git pull -q && cat NOTES'] });
    expect(log.output.trim()).toBe('from outside');

    for (const auth of ['', `${GIT.username}:wrong-password@`, `someone:${GIT.password}@`]) {
      const refused = await sh('git', [...resolve, 'ls-remote', url(auth)], { env: { GIT_TERMINAL_PROMPT: '0' } });
      expect(refused.code).not.toBe(0);
      expect(refused.out).toMatch(/Authentication failed|could not read Username|401/);
    }
    // a path outside the repositories is not served
    const escape = await fetch(`http://127.0.0.1:${gitPort}/../../etc/passwd`, {
      headers: { authorization: `Basic ${Buffer.from(`${GIT.username}:${GIT.password}`).toString('base64')}` },
    });
    expect(escape.status).toBe(404);
  });

  test("in the page's terminal, git reaches the session's server with the values the shell has", async () => {
    const { context, page } = await signedIn();
    await page.locator('.terminal[data-terminal="1"]').click();
    await page.keyboard.type('git ls-remote "http://$GIT_USERNAME:$GIT_PASSWORD@localhost:$GIT_PORT/project.git" | sed "s/^[0-9a-f]*/ref/"\n');
    const screen = () => page.locator('.terminal[data-terminal="1"] .xterm-rows').innerText();
    await waitFor('the branch of the pushed repository', async () => /ref\s+refs\/heads\/main/.test(await screen()), 20_000).catch(async (error) => {
      throw new Error(`${(error as Error).message}; the terminal shows:\n${await screen()}`);
    });
    await context.close();
  });

  test("a first push's answer comes after HEAD names its branch, so a clone right after it checks out", async () => {
    // the push's client exits when the answer ends; HEAD must already name the pushed branch by then (a branch
    // that is neither git init's default nor main, so HEAD has to be moved)
    const project = path.join(workDir, 'trunk-project');
    fs.mkdirSync(project);
    for (const args of [
      ['init', '-q', '-b', 'trunk'],
      ['-c', 'user.email=l@example.com', '-c', 'user.name=Learner', 'commit', '-q', '--allow-empty', '-m', 'first'],
    ])
      expect(await sh('git', args, { cwd: project })).toEqual({ code: 0, out: '' });
    for (const n of [1, 2, 3]) {
      const pushed = await sh('git', ['push', '-q', inside(`trunk-${n}.git`), 'trunk'], { cwd: project, env: { GIT_TERMINAL_PROMPT: '0' } });
      expect(pushed).toEqual({ code: 0, out: '' });
      expect(fs.readFileSync(path.join(workDir, 'git-repositories', `trunk-${n}.git`, 'HEAD'), 'utf8')).toBe('ref: refs/heads/trunk\n');
    }
  });

  test('cloning a repository that was never pushed says so', async () => {
    const result = await sh('git', ['ls-remote', inside('nothing.git')], { env: { GIT_TERMINAL_PROMPT: '0' } });
    expect(result.code).not.toBe(0);
    expect(result.out).toMatch(/not found|404/);
  });
});

describe("the session's image registry", () => {
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  test("~/.docker/config.json has the session registry's credentials (and keeps the learner's others)", () => {
    const file = path.join(home, '.docker/config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(config.auths[registry.host]).toEqual({ auth: process.env.REGISTRY_AUTH_TOKEN });
    expect(config.auths['other.example.com']).toEqual({ auth: 'b3RoZXI6b3RoZXI=' });
  });

  test("skopeo pushes to the session registry with no login: it reads the learner's Docker config", async () => {
    // a one-layer OCI image layout for skopeo to push
    const dir = path.join(workDir, 'image');
    fs.mkdirSync(path.join(dir, 'root'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'root/hello.txt'), 'hello\n');
    const tar = await sh('tar', ['-C', path.join(dir, 'root'), '-cf', path.join(dir, 'layer.tar'), 'hello.txt']);
    expect(tar.code).toBe(0);
    const layerTar = fs.readFileSync(path.join(dir, 'layer.tar'));
    const layer = gzipSync(layerTar);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layerTar)}`] } }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(layer)}`, size: layer.length }],
      }),
    );
    const layout = path.join(dir, 'layout');
    fs.mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
    for (const blob of [layer, config, manifest]) fs.writeFileSync(path.join(layout, 'blobs/sha256', sha(blob)), blob);
    fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    fs.writeFileSync(
      path.join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: `sha256:${sha(manifest)}`,
            size: manifest.length,
            annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          },
        ],
      }),
    );

    const runtimeDir = fs.mkdtempSync(path.join(workDir, 'xdg-'));
    const push = (homeDir: string) =>
      sh('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${registry.host}/learner/app:v1`], {
        env: { HOME: homeDir, XDG_RUNTIME_DIR: runtimeDir, REGISTRY_AUTH_FILE: '' },
      });
    // without the learner's config the registry refuses
    const stranger = fs.mkdtempSync(path.join(workDir, 'stranger-'));
    const refused = await push(stranger);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/unauthorized|authentication required/i);
    // with it, no login needed
    const pushed = await push(home);
    expect(pushed.out).not.toMatch(/unauthorized/i);
    expect(pushed.code).toBe(0);
    const inspect = await sh('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/learner/app:v1`], {
      env: { HOME: home, XDG_RUNTIME_DIR: runtimeDir },
    });
    expect(JSON.parse(inspect.out).layers[0].digest).toBe(`sha256:${sha(layer)}`);
    // the credentials file is the learner's alone
    expect(fs.statSync(path.join(home, '.docker/config.json')).mode & 0o077).toBe(0);
  });
});

describe('slides', () => {
  test("the Slides tab shows the author's slides from the workshop content", async () => {
    const { context, page } = await signedIn();
    await page.getByRole('tab', { name: 'Slides' }).click();
    const frame = page.frameLocator('iframe[title="Slides"]');
    await expect(frame.locator('h1').innerText()).resolves.toBe('Slide one: why pods');
    await context.close();
  });
});

describe('analytics events of the page', () => {
  test("page views, actions, terminal connections and key counts reach the portal's /event, never what was typed", async () => {
    forwarded.length = 0;
    const { context, page } = await signedIn();
    const names = () => forwarded.map((f) => f.body.event.name);
    await waitFor('Workshop/Load and Workshop/View', () => names().includes('Workshop/Load') && names().includes('Workshop/View'));
    expect(forwarded.find((f) => f.body.event.name === 'Workshop/View')!.body.event.data).toEqual({ page: '' });
    expect(forwarded[0].authorization).toBe(`Basic ${Buffer.from(`${SESSION}:${CONFIG_PASSWORD}`).toString('base64')}`);

    await page.locator('[data-action="workshop:copy"]').click();
    await waitFor('Action/Event', () => forwarded.some((f) => f.body.event.name === 'Action/Event'));
    expect(forwarded.find((f) => f.body.event.name === 'Action/Event')!.body.event.data).toEqual({ action: 'workshop:copy', page: '' });

    // each terminal's connection: which terminal, once; again (Reconnect) after its socket dropped
    await waitFor('Terminal/Connect', () => names().includes('Terminal/Connect'));
    expect(forwarded.filter((f) => f.body.event.name === 'Terminal/Connect').map((f) => f.body.event.data)).toEqual([{ terminal: '1' }]);
    await page.evaluate(() =>
      (globalThis as unknown as { dashboard: { terminals: Record<string, { socket: { close(): void } }> } }).dashboard.terminals['1'].socket.close(),
    );
    await waitFor('Terminal/Reconnect', () => names().includes('Terminal/Reconnect'));
    expect(forwarded.find((f) => f.body.event.name === 'Terminal/Reconnect')!.body.event.data).toEqual({ terminal: '1' });
    expect(names().filter((n) => n === 'Terminal/Connect')).toHaveLength(1);

    await page.getByRole('tab', { name: 'Terminal' }).click();
    await page.locator('.terminal[data-terminal="1"]').click();
    await page.keyboard.type('echo top-secret-words\n');
    await page.locator('a[rel="next"]').first().click();
    await waitFor('Workshop/View of the second page', () =>
      forwarded.some((f) => f.body.event.name === 'Workshop/View' && f.body.event.data.page === '02-more'),
    );
    // leaving the page reports the keys typed since the last report
    await page.goto(`${dashboard.url}/page/02-more`);
    await waitFor('Terminal/Input', () => forwarded.some((f) => f.body.event.name === 'Terminal/Input'));
    const typed = forwarded.filter((f) => f.body.event.name === 'Terminal/Input').reduce((n, f) => n + Number(f.body.event.data.keystrokes), 0);
    expect(typed).toBe('echo top-secret-words\n'.length);
    expect(forwarded.find((f) => f.body.event.name === 'Terminal/Input')!.body.event.data).toEqual({ terminal: '1', keystrokes: typed });
    expect(JSON.stringify(forwarded)).not.toContain('secret');
    await context.close();
  });

  test("the dashboard forwards only the page's own events, with their own fields", async () => {
    const { context, cookie } = await signedIn();
    const post = (body: unknown) =>
      fetch(`${dashboard.url}/session/event`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const portalEvent = await post({ name: 'Session/Terminate', data: {} });
    expect(portalEvent.status).toBe(400);
    expect(((await portalEvent.json()) as { message: string }).message).toMatch(/^'name' \("Session\/Terminate"\) must be one of Workshop\/Load, /);
    const text = await post({ name: 'Terminal/Input', data: { terminal: '1', keystrokes: 3, text: 'ls' } });
    expect(text.status).toBe(400);
    expect(((await text.json()) as { message: string }).message).toBe(
      "'data.text' is not a field of Terminal/Input (its fields: terminal, keystrokes)",
    );
    const anonymous = await fetch(`${dashboard.url}/session/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Workshop/Load"}',
    });
    expect(anonymous.status).toBe(401);
    await context.close();
  });
});

describe("as in the workshop pod: the learner's side behind the agent's socket", () => {
  const POD_SESSION = 'caps-w01-s002';
  let podHome: string;
  let agentServer: Awaited<ReturnType<typeof serveAgent>>;
  let learnerAgent: ReturnType<typeof createLocalAgent>;
  let podDashboard: Dashboard;

  beforeAll(async () => {
    podHome = path.join(workDir, 'pod-home');
    fs.mkdirSync(podHome);
    const socket = path.join(workDir, 'agent.sock');
    // the learner's process, its own agent server (in the pod: the `workshop` container, uid 1001)
    learnerAgent = createLocalAgent({ homeDir: podHome, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, shell: '/bin/sh' });
    agentServer = await serveAgent(learnerAgent, socket);
    const configFile = path.join(workDir, 'pod-dashboard.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        workshop: { name: 'caps-w01', title: 'Capabilities' },
        content: {},
        capabilities: ['terminal', 'files', 'registry'],
        tabs: [{ name: 'Terminal', url: 'terminal:1' }],
        routes: [],
        settings: {
          terminal: { sessions: ['1'] },
          files: { directory: '.', uploads: true, uploadDirectory: 'uploads', maxUploadBytes: UPLOAD_LIMIT },
        },
      }),
    );
    podDashboard = await startTestDashboard(portal, {
      sessionName: POD_SESSION,
      clientSecret: CONFIG_PASSWORD,
      workshopDir: path.join(workDir, 'content'),
      configFile,
      agentSocket: socket,
    });
    portal.addSession({ name: POD_SESSION, owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [new URL(podDashboard.url).origin] });
  });

  afterAll(async () => {
    await podDashboard?.close();
    await agentServer?.close();
    await learnerAgent?.close(); // its terminal's shell
  });

  test("uploads and the registry's Docker config go through the socket, and an oversized upload leaves nothing", async () => {
    // written at start, by the agent
    expect(JSON.parse(fs.readFileSync(path.join(podHome, '.docker/config.json'), 'utf8')).auths[registry.host]).toEqual({
      auth: process.env.REGISTRY_AUTH_TOKEN,
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${portal.url}/login?user=alice&next=/accounts/login/`);
    await page.goto(podDashboard.url);
    await page.waitForSelector('#page');
    const cookie = (await context.cookies(podDashboard.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const upload = (name: string, bytes: number) => {
      const form = new FormData();
      form.append('path', name);
      form.append('file', new Blob([Buffer.alloc(bytes, 7)]), 'x.bin');
      return fetch(`${podDashboard.url}/upload/file`, { method: 'POST', body: form, headers: { cookie } });
    };
    const ok = await upload('in/ok.bin', 1000);
    expect(await ok.json()).toEqual({ uploaded: [{ path: 'in/ok.bin', size: 1000 }] });
    expect(fs.statSync(path.join(podHome, 'uploads/in/ok.bin')).size).toBe(1000);
    const big = await upload('in/big.bin', UPLOAD_LIMIT * 4);
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      error: 'too_large',
      message: "'in/big.bin' is larger than the upload limit of 64 KiB (FileServer maxUploadSize)",
    });
    expect(fs.readdirSync(path.join(podHome, 'uploads/in'))).toEqual(['ok.bin']);
    const escape = await upload('../../escaped.bin', 10);
    expect(escape.status).toBe(400);
    expect(fs.existsSync(path.join(workDir, 'escaped.bin'))).toBe(false);
    await context.close();
  });
});
