/**
 * Content sources other than the image: a Git repository served by a real `git daemon` and by `git http-backend`
 * behind HTTP Basic authentication, a tar.gz archive on a real HTTP server, and include/exclude path filters on
 * them and on OCI content (Debian's registry), all on loopback. Then the dashboard itself, started with Git content,
 * shows it in Chromium and follows the branch.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Browser } from 'playwright-core';

import { ContentSource } from '../../src/constructs/index.js';
import { ContentSync, type ContentSyncOptions } from '../../src/dashboard/content-sync.js';
import { publishContent } from '../../src/oci/index.js';
import { launchBrowser } from '../support/browser.js';
import { type FakePortal, startFakePortal } from '../support/fake-portal.js';
import {
  commitFiles,
  createBareRepo,
  type GitDaemon,
  type GitHttpServer,
  type GitSshServer,
  startGitDaemon,
  startGitHttp,
  startGitSsh,
} from '../support/git-servers.js';
import { waitFor } from '../support/portal-fixture.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTestDashboard } from '../support/test-dashboard.js';

let root: string;
let repos: string;
let daemon: GitDaemon;
let gitHttp: GitHttpServer;
const syncs: ContentSync[] = [];
const CREDENTIALS = { username: 'author', password: 'token-0123456789abcdef' };

/** Every file below `dir`, relative, sorted ('/' separated; links shown as `name -> target`). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else out.push(entry.isSymbolicLink() ? `${child} -> ${fs.readlinkSync(path.join(dir, child))}` : child);
    }
  };
  walk('');
  return out.sort();
}

function page(version: string): Record<string, string> {
  return {
    'workshop/content/_index.md': `---\ntitle: Version ${version}\n---\n\nThis is content version ${version} for {{< param session_name >}}.\n`,
    'workshop/content/draft.md': 'not for learners\n',
    'exercises/hello.txt': `hello ${version}\n`,
    'notes/author.md': 'author notes\n',
    'README.md': '# lab\n',
  };
}

async function sync(source: ContentSyncOptions['source'], extra: Partial<ContentSyncOptions> = {}): Promise<ContentSync> {
  const workshopDir = fs.mkdtempSync(path.join(root, 'pulled-'));
  const s = new ContentSync({ source, workshopDir, pollSeconds: 0, ...extra });
  syncs.push(s);
  await s.start();
  return s;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'content-sources-test-'));
  repos = path.join(root, 'repos');
  fs.mkdirSync(repos);
  daemon = await startGitDaemon(repos);
  gitHttp = await startGitHttp(repos, CREDENTIALS);
});

afterAll(async () => {
  for (const s of syncs) s.stop();
  await daemon?.stop();
  await gitHttp?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('Git content (git daemon)', () => {
  test('a branch is fetched at start and followed: a new commit replaces the content; include/exclude paths apply', async () => {
    const bare = createBareRepo(repos, 'follow');
    const first = commitFiles(bare, 'main', page('one'));
    const changes: string[] = [];
    const s = await sync({
      git: {
        url: `${daemon.url}/follow.git`,
        ref: 'main',
        includePaths: ['/workshop/**', '/exercises/**'],
        excludePaths: ['/workshop/content/draft.md'],
      },
    });
    s.on('change', (dir) => changes.push(dir));
    expect(s.contentDigest).toBe(first);
    expect(tree(s.dir)).toEqual(['exercises/hello.txt', 'workshop/content/_index.md']);
    const firstDir = s.dir;

    expect(await s.update()).toBe(false);
    const second = commitFiles(bare, 'main', page('two'));
    expect(await s.update()).toBe(true);
    expect(s.contentDigest).toBe(second);
    expect(fs.readFileSync(path.join(s.dir, 'exercises/hello.txt'), 'utf8')).toBe('hello two\n');
    expect(changes).toEqual([s.dir]);
    expect(fs.existsSync(firstDir)).toBe(false);
  });

  test('a tag and a commit id are fetched as they are and never move; a folder of the repository can be the root', async () => {
    const bare = createBareRepo(repos, 'pinned');
    const tagged = commitFiles(bare, 'main', { 'lab/workshop/content/_index.md': 'tagged\n', 'other/x.md': 'x\n' }, 'v1');
    const later = commitFiles(bare, 'main', { 'lab/workshop/content/_index.md': 'later\n' });
    const byTag = await sync({ git: { url: `${daemon.url}/pinned.git`, ref: 'v1', path: 'lab' } });
    expect(byTag.contentDigest).toBe(tagged);
    expect(tree(byTag.dir)).toEqual(['workshop/content/_index.md']);
    expect(fs.readFileSync(path.join(byTag.dir, 'workshop/content/_index.md'), 'utf8')).toBe('tagged\n');
    commitFiles(bare, 'main', { 'lab/workshop/content/_index.md': 'latest\n' });
    expect(await byTag.update()).toBe(false);

    const byCommit = await sync({ git: { url: `${daemon.url}/pinned.git`, ref: later, path: 'lab' } });
    expect(byCommit.contentDigest).toBe(later);
    expect(fs.readFileSync(path.join(byCommit.dir, 'workshop/content/_index.md'), 'utf8')).toBe('later\n');
  });

  test('mistakes are named: a missing branch, a missing folder, a link out of the checkout (refused, as in OCI content)', async () => {
    const bare = createBareRepo(repos, 'broken');
    commitFiles(bare, 'main', { 'workshop/content/_index.md': 'x\n', 'workshop/content/secrets.md': { link: '/proc/self/environ' } });
    const url = `${daemon.url}/broken.git`;
    await expect(sync({ git: { url, ref: 'nope' } })).rejects.toThrow(`${url} has no branch or tag 'nope'`);
    await expect(sync({ git: { url, ref: 'main', path: 'missing' } })).rejects.toThrow(`${url} at main has no folder 'missing'`);
    await expect(sync({ git: { url, ref: 'main' } })).rejects.toThrow(
      "has an unsafe entry 'workshop/content/secrets.md': its link target '/proc/self/environ' is absolute and would point outside the destination",
    );
  });
});

describe('Git content over smart HTTP with credentials (git http-backend)', () => {
  test('without credentials the server refuses; with them the branch is fetched; a wrong token is named by what git said, never by its value', async () => {
    const bare = createBareRepo(repos, 'private');
    const commit = commitFiles(bare, 'main', page('private'));
    const url = `${gitHttp.url}/private.git`;
    const refused = await sync({ git: { url, ref: 'main' } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).toMatch(/git ls-remote failed: .*(Authentication failed|could not read Username|401)/);

    const s = await sync({ git: { url, ref: 'main' } }, { registryUsername: CREDENTIALS.username, registryPassword: CREDENTIALS.password });
    expect(s.contentDigest).toBe(commit);
    expect(tree(s.dir)).toContain('workshop/content/_index.md');
    expect(gitHttp.requests.filter((r) => r.authorized).length).toBeGreaterThan(0);
    // a wrong token: the message says what git said, never the token
    const wrong = await sync({ git: { url, ref: 'main' } }, { registryUsername: 'author', registryPassword: 'wrong-token-value' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(wrong?.message).toMatch(/git ls-remote failed/);
    expect(wrong?.message).not.toContain('wrong-token-value');
  });
});

describe('Git content over SSH with a deploy key (OpenSSH sshd)', () => {
  let sshd: GitSshServer;
  beforeAll(async () => {
    sshd = await startGitSsh(repos);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  test("with the key and the server's known host key the branch is fetched and followed", async () => {
    const bare = createBareRepo(repos, 'over-ssh');
    commitFiles(bare, 'main', page('ssh-one'));
    const url = `${sshd.url}/over-ssh.git`;
    const s = await sync(
      { git: { url, ref: 'main', excludePaths: ['/notes', '**/draft.md'] } },
      {
        credentials: [{ sshPrivateKey: sshd.privateKey, sshKnownHosts: sshd.knownHosts }],
      },
    );
    expect(tree(s.dir)).toEqual(['README.md', 'exercises/hello.txt', 'workshop/content/_index.md']);
    expect(fs.readFileSync(path.join(s.dir, 'exercises/hello.txt'), 'utf8')).toBe('hello ssh-one\n');
    commitFiles(bare, 'main', page('ssh-two'));
    expect(await s.update()).toBe(true);
    expect(fs.readFileSync(path.join(s.dir, 'exercises/hello.txt'), 'utf8')).toBe('hello ssh-two\n');
  });

  test('refused: no known hosts (before connecting), a host key other than the one known, a key the server does not know', async () => {
    createBareRepo(repos, 'guarded');
    const url = `${sshd.url}/guarded.git`;
    const before = sshd.connections();
    await expect(sync({ git: { url } }, { credentials: [{ sshPrivateKey: sshd.privateKey }] })).rejects.toThrow(
      `${url} is reached over SSH, and the server's host key is not known: put the known_hosts line(s) of the server into the credentials Secret as 'ssh-knownhosts' (and the key as 'ssh-privatekey')`,
    );
    expect(sshd.connections()).toBe(before);

    // another server's key under this one's name: a man in the middle
    const other = fs.mkdtempSync(path.join(root, 'other-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(other, 'key')]);
    const otherHost = fs.readFileSync(path.join(other, 'key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const wrongHost = sshd.knownHosts.replace(/ssh-ed25519 \S+/, otherHost);
    await expect(sync({ git: { url } }, { credentials: [{ sshPrivateKey: sshd.privateKey, sshKnownHosts: wrongHost }] })).rejects.toThrow(
      /Host key verification failed/,
    );

    // a key the server does not know (with the right host key): refused by the server, and the key is never in the message
    const stranger = fs.readFileSync(path.join(other, 'key'), 'utf8');
    const refused = sync({ git: { url } }, { credentials: [{ sshPrivateKey: stranger, sshKnownHosts: sshd.knownHosts }] });
    await expect(refused).rejects.toThrow(/Permission denied \(publickey\)/);
    const message = await refused.catch((error: Error) => error.message);
    expect(message).not.toContain(stranger.split('\n')[1]);
  });
});

describe('HTTP archives', () => {
  let server: http.Server;
  let base: string;
  let archive: Buffer = Buffer.alloc(0);
  const seen: Array<{ status: number; authorized: boolean }> = [];

  function makeArchive(files: Record<string, string | { link: string }>, top = 'lab-main'): Buffer {
    const dir = fs.mkdtempSync(path.join(root, 'archive-'));
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(dir, top, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (typeof content === 'string') fs.writeFileSync(target, content);
      else fs.symlinkSync(content.link, target);
    }
    return execFileSync('tar', ['-czf', '-', '-C', dir, top]);
  }

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const authorized = req.headers.authorization === `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;
      const etag = `"${createHash('sha256').update(archive).digest('hex').slice(0, 12)}"`;
      const status = !authorized ? 401 : req.headers['if-none-match'] === etag ? 304 : 200;
      seen.push({ status, authorized });
      if (status !== 200) return void res.writeHead(status, status === 401 ? { 'www-authenticate': 'Basic realm="files"' } : { etag }).end();
      res.writeHead(200, { 'content-type': 'application/gzip', etag, 'content-length': archive.length }).end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a tar.gz is downloaded with credentials, its folder taken as the root and filtered; unchanged costs a 304; a new one replaces it', async () => {
    archive = makeArchive(page('one'));
    const source = { http: { url: `${base}/lab.tar.gz`, path: 'lab-main', excludePaths: ['/notes', '**/draft.md'] } };
    await expect(sync(source)).rejects.toThrow(`${base}/lab.tar.gz answered 401 Unauthorized (check the content credentials)`);
    const s = await sync(source, { registryUsername: CREDENTIALS.username, registryPassword: CREDENTIALS.password });
    expect(tree(s.dir)).toEqual(['README.md', 'exercises/hello.txt', 'workshop/content/_index.md']);
    expect(s.contentDigest).toBe(`sha256:${createHash('sha256').update(archive).digest('hex')}`);

    seen.length = 0;
    expect(await s.update()).toBe(false);
    expect(seen).toEqual([{ status: 304, authorized: true }]);
    archive = makeArchive(page('two'));
    expect(await s.update()).toBe(true);
    expect(fs.readFileSync(path.join(s.dir, 'exercises/hello.txt'), 'utf8')).toBe('hello two\n');
  });

  test('an archive pinned by its sha256 is unpacked only with exactly those bytes, and not checked again', async () => {
    archive = makeArchive(page('pinned'));
    const digest = createHash('sha256').update(archive).digest('hex');
    const auth = { registryUsername: CREDENTIALS.username, registryPassword: CREDENTIALS.password };
    const s = await sync({ http: { url: `${base}/pinned.tar.gz`, path: 'lab-main', sha256: digest } }, auth);
    expect(fs.readFileSync(path.join(s.dir, 'exercises/hello.txt'), 'utf8')).toBe('hello pinned\n');
    expect(s.contentDigest).toBe(`sha256:${digest}`);
    // the server now has other bytes: a pinned source does not ask
    archive = makeArchive(page('changed'));
    seen.length = 0;
    expect(await s.update()).toBe(false);
    expect(seen).toEqual([]);
    // a new session with the pin gets the changed archive refused, with both hashes named, and nothing unpacked
    const changed = createHash('sha256').update(archive).digest('hex');
    const workshopDir = fs.mkdtempSync(path.join(root, 'pulled-'));
    const refused = new ContentSync({
      source: { http: { url: `${base}/pinned.tar.gz`, sha256: `sha256:${digest}` } },
      workshopDir,
      pollSeconds: 0,
      ...auth,
    });
    syncs.push(refused);
    await expect(refused.start()).rejects.toThrow(
      `${base}/pinned.tar.gz has the sha256 ${changed}, not the ${digest} it is pinned to (ContentSource.http sha256); refusing it: the archive changed or is not the one meant`,
    );
    expect(fs.readdirSync(workshopDir)).toEqual([]);
  });

  test('several sources: one fills the root, another replaces a folder of it; own credentials and filters; only what moved is fetched again', async () => {
    archive = makeArchive(page('archive'));
    const bare = createBareRepo(repos, 'several');
    commitFiles(bare, 'main', { 'app/main.go': 'package main // one\n', 'app/notes.md': 'internal\n' });
    const s = await sync(
      {
        sources: [
          { git: { url: `${daemon.url}/several.git`, ref: 'main', path: 'app', excludePaths: ['/notes.md'], into: 'exercises' } },
          { http: { url: `${base}/lab.tar.gz`, path: 'lab-main', excludePaths: ['/notes', '**/draft.md'] } },
        ],
      },
      // the second source's Secret; the git daemon is anonymous
      { credentials: [undefined, CREDENTIALS] },
    );
    // the archive's exercises/ folder is the repository's now
    expect(tree(s.dir)).toEqual(['README.md', 'exercises/main.go', 'workshop/content/_index.md']);
    const first = s.contentDigest;

    // a push to the branch: the repository's folder is fetched again, the archive answers 304 and is kept as it was
    commitFiles(bare, 'main', { 'app/main.go': 'package main // two\n' });
    seen.length = 0;
    expect(await s.update()).toBe(true);
    expect(seen).toEqual([{ status: 304, authorized: true }]);
    expect(tree(s.dir)).toEqual(['README.md', 'exercises/main.go', 'workshop/content/_index.md']);
    expect(fs.readFileSync(path.join(s.dir, 'exercises/main.go'), 'utf8')).toBe('package main // two\n');
    expect(s.contentDigest).not.toBe(first);
    // a new archive: the root is fetched again, the repository's folder is kept in it
    archive = makeArchive({ ...page('three'), 'exercises/hello.txt': 'replaced anyway\n' });
    expect(await s.update()).toBe(true);
    expect(tree(s.dir)).toEqual(['README.md', 'exercises/main.go', 'workshop/content/_index.md']);
    expect(fs.readFileSync(path.join(s.dir, 'workshop/content/_index.md'), 'utf8')).toContain('version three');
    // nothing moved: no change
    expect(await s.update()).toBe(false);
  });

  test('an archive with a link out is refused', async () => {
    archive = makeArchive({ 'workshop/content/_index.md': 'x\n', 'workshop/content/env.md': { link: '/proc/self/environ' } });
    const auth = { registryUsername: CREDENTIALS.username, registryPassword: CREDENTIALS.password };
    await expect(sync({ http: { url: `${base}/bad.tar.gz` } }, auth)).rejects.toThrow(/unsafe entry 'lab-main\/workshop\/content\/env.md'/);
  });
});

describe('path filters on OCI content', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  test('includePaths and excludePaths apply to a pulled artifact, as Educates applies them to its image', async () => {
    const dir = path.join(root, 'oci-source');
    for (const [file, content] of Object.entries(page('oci'))) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    const ref = `${registry.host}/acme/filtered-files:1.0`;
    await publishContent({ dir, ref });
    const whole = await sync({ image: { ref } }, { insecureRegistry: true });
    expect(tree(whole.dir)).toEqual(['README.md', 'exercises/hello.txt', 'workshop/content/_index.md', 'workshop/content/draft.md']);
    const filtered = await sync(
      { image: { ref, includePaths: ['/workshop/**'], excludePaths: ['/workshop/content/draft.md'] } },
      { insecureRegistry: true },
    );
    expect(tree(filtered.dir)).toEqual(['workshop/content/_index.md']);
  });
});

describe('the session dashboard with Git content', () => {
  const SESSION = 'labs-git-s001';
  const CONFIG_PASSWORD = 'git-content-config-password-0123456789';
  let portal: FakePortal;
  let dashboard: { url: string; close(): Promise<void> };
  let browser: Browser;

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await portal?.close();
  });

  test('starts with ContentSource.git (it refused to before), shows the branch, and a push updates the open page', async () => {
    const bare = createBareRepo(repos, 'dashboard');
    commitFiles(bare, 'main', page('one'));
    const source = ContentSource.git(`${daemon.url}/dashboard.git`, 'main', { includePaths: ['/workshop/**'] });
    const configFile = path.join(root, 'dashboard.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        workshop: { name: 'labs-git', title: 'Git Content' },
        content: source.toJson(),
        capabilities: [],
        tabs: [],
        routes: [],
        settings: {},
      }),
    );
    const home = fs.mkdtempSync(path.join(root, 'home-'));
    portal = await startFakePortal();
    dashboard = await startTestDashboard(portal, {
      sessionName: SESSION,
      clientSecret: CONFIG_PASSWORD,
      workshopDir: path.join(root, 'dashboard-pulled'),
      configFile,
      homeDir: home,
      contentPollSeconds: 1,
    });
    portal.addSession({ name: SESSION, owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [new URL(dashboard.url).origin] });
    browser = await launchBrowser();
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${portal.url}/login?user=alice&next=/accounts/login/`);
    await tab.goto(dashboard.url);
    await expect(tab.locator('#page-title').innerText()).resolves.toBe('Version one');
    expect(await tab.locator('.page-body').innerText()).toContain(`This is content version one for ${SESSION}.`);
    await tab.evaluate('window.__samePage = true');
    await tab.locator('body[data-live="true"]').waitFor();

    const second = commitFiles(bare, 'main', page('two'));
    await waitFor('the page to show version two', async () => (await tab.locator('#page-title').innerText()) === 'Version two', 30_000);
    expect(await tab.evaluate('window.__samePage')).toBe(true);
    const forced = await fetch(`${dashboard.url}/workshop/update`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${SESSION}:${CONFIG_PASSWORD}`).toString('base64')}` },
    });
    expect(await forced.json()).toEqual({ updated: false, digest: second });
    await context.close();
  });

  test('starts with ContentSource.several: the instructions from one repository, an exercise folder from another', async () => {
    commitFiles(createBareRepo(repos, 'several-root'), 'main', page('root'));
    commitFiles(createBareRepo(repos, 'several-app'), 'main', { 'src/main.go': 'package main\n' });
    const source = ContentSource.several([
      ContentSource.git(`${daemon.url}/several-root.git`, 'main', { excludePaths: ['/exercises/**'] }),
      ContentSource.git(`${daemon.url}/several-app.git`, 'main', { path: 'src', into: 'exercises/app' }),
    ]);
    const configFile = path.join(root, 'dashboard-several.json');
    fs.writeFileSync(configFile, JSON.stringify({ workshop: { name: 'labs-several', title: 'Several' }, content: source.toJson(), settings: {} }));
    const pulled = path.join(root, 'dashboard-several-pulled');
    const several = await startTestDashboard(portal, {
      sessionName: 'labs-several-s001',
      clientSecret: CONFIG_PASSWORD,
      workshopDir: pulled,
      configFile,
      homeDir: fs.mkdtempSync(path.join(root, 'home-')),
      contentPollSeconds: 0,
    });
    try {
      portal.addSession({ name: 'labs-several-s001', owner: 'alice', configPassword: CONFIG_PASSWORD, origins: [new URL(several.url).origin] });
      const [version] = fs.readdirSync(pulled).filter((d) => /^[0-9a-f]{16}$/.test(d));
      expect(tree(path.join(pulled, version))).toEqual([
        'README.md',
        'exercises/app/main.go',
        'notes/author.md',
        'workshop/content/_index.md',
        'workshop/content/draft.md',
      ]);
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(`${portal.url}/login?user=alice&next=/accounts/login/`);
      await tab.goto(several.url);
      await expect(tab.locator('#page-title').innerText()).resolves.toBe('Version root');
      await context.close();
    } finally {
      await several.close();
    }
  });
});
