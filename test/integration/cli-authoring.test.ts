/**
 * The authoring side of the `workshops` CLI, run as users run it (the real bin in a child process): a new project
 * that installs, synthesizes and tests on its own; content published to a real registry (docker-registry on
 * loopback) and published again; the local preview; and the Educates importer, whose output synthesizes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { App } from 'cdk8s';

import { ContentSource, synthesize, Terminal, TrainingPortal, Workshop } from '../../src/constructs/index.js';
import { pullContent } from '../../src/oci/index.js';
import { KubeClient } from '../../src/runtime/index.js';
import { BIN, ROOT, run, scratchFolders, tmp, workshops } from '../support/cli.js';
import { applyFixture, runtimeFor, waitFor } from '../support/portal-fixture.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

/** A scratch folder inside the repository, where 'cdk8s' and 'cdk8s-workshops' resolve. */
const scratch = scratchFolders();

describe('workshops new', () => {
  // npm install links this checkout (whose `prepare` builds lib/) and takes cdk8s, tsx and TypeScript from the npm cache
  test('a new project installs, synthesizes and tests on its own', async () => {
    const parent = tmp('cli-new-');
    const created = await workshops(['new', 'my-lab', '--title', 'My Lab'], { cwd: parent });
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created 10 files in my-lab:\n/);
    const dir = path.join(parent, 'my-lab');

    const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, timeoutMs: 600_000 });
    expect(install.stderr).not.toMatch(/npm error/);
    expect(install.code).toBe(0);
    expect(fs.realpathSync(path.join(dir, 'node_modules', 'cdk8s-workshops'))).toBe(fs.realpathSync(ROOT));

    const synth = await run('npm', ['run', 'synth'], { cwd: dir, timeoutMs: 180_000 });
    expect(synth.code).toBe(0);
    expect(synth.stdout).toMatch(/synthesized 5 files with \d+ objects into dist\//);
    expect(fs.readFileSync(path.join(dir, 'dist', 'dev', 'my-lab', 'environment.k8s.yaml'), 'utf8')).toContain('title: My Lab');

    const tested = await run('npm', ['test'], { cwd: dir, timeoutMs: 180_000 });
    expect(tested.stdout).toMatch(/# pass 2\n# fail 0/);
    expect(tested.code).toBe(0);

    const validated = await run('npm', ['run', 'validate'], { cwd: dir, timeoutMs: 180_000 });
    expect(validated.stdout).toMatch(/no problems \(1 workshop folder, \d+ objects synthesized\)/);
    expect(validated.code).toBe(0);
  }, 900_000);

  test('an existing folder is kept unless --force', async () => {
    const parent = tmp('cli-new-');
    fs.mkdirSync(path.join(parent, 'lab'));
    fs.writeFileSync(path.join(parent, 'lab', 'notes.txt'), 'mine');
    const refused = await workshops(['new', 'lab'], { cwd: parent });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('workshops: error: lab exists and is not empty: choose another folder, or pass --force to write into it\n');
    const forced = await workshops(['new', 'lab', '--force'], { cwd: parent });
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(path.join(parent, 'lab', 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(parent, 'lab', 'workshop.ts'))).toBe(true);
  });
});

describe('workshops publish and update', () => {
  let registry: TestRegistry;
  let secured: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    secured = await startRegistry({ auth: { username: 'author', password: 'pa55-word' } });
  });
  afterAll(async () => {
    await registry?.stop();
    await secured?.stop();
  });

  test('publish pushes the content, prints the digest and the ContentSource line; the content pulls back', async () => {
    const ref = `${registry.host}/hello-terminal-files:1.0`;
    const published = await workshops(['publish', 'examples/hello-terminal', '--image', ref]);
    expect(published.stderr).not.toMatch(/error/);
    expect(published.code).toBe(0);
    const digest = /^digest: (sha256:[a-f0-9]{64})$/m.exec(published.stdout)?.[1];
    expect(digest).toBeDefined();
    expect(published.stdout).toContain(`  content: ContentSource.image('${ref}'),\n`);
    expect(published.stdout).toContain(`  content: ContentSource.image('${registry.host}/hello-terminal-files@${digest}'),\n`);

    const dest = path.join(tmp('cli-pull-'), 'content');
    const pulled = await pullContent({ ref, dest });
    expect(pulled.digest).toBe(digest);
    expect(fs.readFileSync(path.join(dest, 'workshop', 'content', '_index.md'), 'utf8')).toBe(
      fs.readFileSync(path.join(ROOT, 'examples', 'hello-terminal', 'workshop', 'content', '_index.md'), 'utf8'),
    );

    const again = await workshops(['publish', 'examples/hello-terminal', '--image', ref]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`digest: ${digest}\n`);
  });

  test('update publishes changed content to the same tag: a new digest that the tag now names', async () => {
    const dir = tmp('cli-update-');
    fs.cpSync(path.join(ROOT, 'examples', 'hello-terminal', 'workshop'), path.join(dir, 'workshop'), { recursive: true });
    const ref = `${registry.host}/updated-files:latest`;
    const first = await workshops(['publish', dir, '--image', ref]);
    const before = /^digest: (\S+)$/m.exec(first.stdout)![1];
    fs.appendFileSync(path.join(dir, 'workshop', 'content', '01-next.md'), '\nA new paragraph.\n');
    const updated = await workshops(['update', dir, '--image', ref]);
    expect(updated.code).toBe(0);
    const after = /^digest: (\S+)$/m.exec(updated.stdout)![1];
    expect(after).not.toBe(before);
    const dest = path.join(tmp('cli-pull-'), 'content');
    expect((await pullContent({ ref, dest })).digest).toBe(after);
    expect(fs.readFileSync(path.join(dest, 'workshop', 'content', '01-next.md'), 'utf8')).toContain('A new paragraph.');
  });

  test('update --session tells whether a running session follows the tag', async () => {
    const ref = `${registry.host}/followed-files:latest`;
    const app = new App({ outdir: '/nonexistent' });
    const portal = new TrainingPortal(app, 'clu', { maximumSessions: 4 });
    const follows = new Workshop(app, 'follows', {
      title: 'Follows',
      description: 'x',
      capabilities: [new Terminal()],
      content: ContentSource.image(ref),
    });
    const pinned = new Workshop(app, 'pinned', {
      title: 'Pinned',
      description: 'x',
      capabilities: [new Terminal()],
      content: ContentSource.image(`${registry.host}/followed-files@sha256:${'0'.repeat(64)}`),
    });
    portal.addWorkshop(follows, { capacity: 1, reserved: 1 });
    portal.addWorkshop(pinned, { capacity: 1, reserved: 1 });
    const fixture = { portal: 'clu', files: synthesize(app), environment: (w: string) => `clu-${w}` };
    const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
    await applyFixture(client, fixture);
    const runtime = runtimeFor(client, fixture);
    try {
      await runtime.start();
      const reserve = (workshop: string) =>
        waitFor(`a session of ${workshop}`, () => runtime.state.sessionsOf(fixture.environment(workshop))[0], 90_000);
      const [following, pinnedSession] = [(await reserve('follows')).metadata.name, (await reserve('pinned')).metadata.name];
      const dir = path.join(ROOT, 'examples', 'hello-terminal');

      const yes = await workshops(['update', dir, '--image', ref, '--session', following]);
      expect(yes.stderr).not.toMatch(/error/);
      expect(yes.code).toBe(0);
      expect(yes.stdout).toMatch(
        new RegExp(`\\nsession ${following} \\(\\w+\\) follows ${ref}: its dashboard switches to the new content at its next check of the tag`),
      );

      const no = await workshops(['update', dir, '--image', ref, '--session', pinnedSession]);
      expect(no.code).toBe(1);
      expect(no.stdout).toMatch(
        new RegExp(`\\nsession ${pinnedSession} \\(\\w+\\) is pinned to ${registry.host}/followed-files@sha256:0+: it keeps that content\\n$`),
      );
    } finally {
      await runtime.stop();
      await client.close();
    }
  });

  test('credentials come from the environment; a refused login is one line without the password', async () => {
    const ref = `${secured.host}/private-files:1.0`;
    const ok = await workshops(['publish', 'examples/hello-terminal', '--image', ref], {
      env: { WORKSHOPS_REGISTRY_USERNAME: 'author', WORKSHOPS_REGISTRY_PASSWORD: 'pa55-word' },
    });
    expect(ok.code).toBe(0);
    const denied = await workshops(['publish', 'examples/hello-terminal', '--image', ref, '--username', 'author', '--password', 'wrong-secret']);
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
    expect(denied.stderr).toMatch(/^workshops: error: /);
    expect(denied.stderr).not.toContain('wrong-secret');
    const half = await workshops(['publish', 'examples/hello-terminal', '--image', ref, '--username', 'author'], {
      env: { WORKSHOPS_REGISTRY_PASSWORD: '' },
    });
    expect(half.code).toBe(1);
    expect(half.stderr).toMatch(/give both a registry username and a password/);
  });

  test('a folder without workshop/ is refused before anything is sent', async () => {
    const refused = await workshops(['publish', tmp('cli-empty-'), '--image', `${registry.host}/x:1`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/has no workshop\/ folder: publish the folder that holds workshop\/content\/\n$/);
  });
});

describe('workshops serve', () => {
  let child: ChildProcess | undefined;
  afterEach(() => child?.kill('SIGKILL'));

  /** Starts `workshops serve <dir> --port 0` and waits for the URL it prints. */
  async function serve(dir: string, cwd = ROOT): Promise<{ url: string; stderr: () => string }> {
    child = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0'], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 60s: ${stdout} ${stderr}`)), 60_000);
      child!.stdout!.on('data', (c: Buffer) => {
        stdout += c.toString();
        const match = /at (http:\/\/127\.0\.0\.1:\d+\S*)\n/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    return { url, stderr: () => stderr };
  }

  test('serves the instructions until Ctrl-C', async () => {
    const { url, stderr } = await serve('examples/hello-terminal');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Hello, Terminal');
    const exited = new Promise<number | null>((resolve) => child!.on('close', resolve));
    child!.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr()).toBe('preview stopped (SIGINT)\n');
  });

  test("a new project's preview opens at its first page", async () => {
    const parent = tmp('cli-serve-');
    expect((await workshops(['new', 'serve-lab'], { cwd: parent })).code).toBe(0);
    const { url } = await serve('.', path.join(parent, 'serve-lab'));
    expect(url).toMatch(/\/00-workshop-overview\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Workshop overview');
  });

  test('a folder without content and a bad port are refused', async () => {
    const none = await workshops(['serve', tmp('cli-empty-')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no workshop\/content\/ folder/);
    const port = await workshops(['serve', 'examples/hello-terminal', '--port', 'eighty']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/a port is a whole number from 0 to 65535/);
  });
});

describe('workshops import', () => {
  test('writes a module that synthesizes, and lists every field it could not carry over', async () => {
    const dir = scratch('cli-import-');
    const imported = await workshops(['import', 'test/fixtures/educates/unsupported-features.yaml', '-o', path.join(dir, 'lab.ts')]);
    expect(imported.code).toBe(0);
    const unsupported = imported.stderr.split('\n').filter((l) => l.startsWith('unsupported: '));
    expect(unsupported).toContain(
      'unsupported: Workshop lab-virtual-clusters: spec.session.applications.vcluster = {"enabled":true,"version":"1.33"}: ' +
        'cdk8s-workshops has no virtual clusters: sessions get namespaces of a shared cluster',
    );
    expect(imported.stderr).toMatch(new RegExp(`wrote ${dir}/lab.ts; ${unsupported.length} fields were not carried over \\(listed above\\)\\n$`));
    expect(fs.readFileSync(path.join(dir, 'lab.ts'), 'utf8')).toContain("from 'cdk8s-workshops'");

    const synth = await workshops(['synth', '--app', 'lab.ts', '--out', 'out'], { cwd: dir });
    expect(synth.stderr).toBe('');
    expect(synth.code).toBe(0);
    expect(synth.stdout).toMatch(/WorkshopEnvironment\s+1\n/);
  });

  test('to stdout, with a default portal; a file that is not there is one line', async () => {
    const imported = await workshops(['import', 'test/fixtures/educates/container-builds.yaml']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('new TrainingPortal(');
    const missing = await workshops(['import', 'no-such.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('workshops: error: cannot read no-such.yaml: no such file\n');
  });
});
