/**
 * The images' contents, without a Docker engine: the build stage of images/portal/Dockerfile and
 * images/dashboard/Dockerfile (npm ci without scripts, build, prune the dev dependencies) is repeated in a scratch
 * directory, and the processes the images run are started from what is left. A runtime import of a dev-only
 * package, or a file the build does not emit, fails here rather than in a cluster.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { KubeClient } from '../../src/runtime/index.js';
import { applyFixture, synthPortal, waitFor } from '../support/portal-fixture.js';
import { freePort } from '../support/portal-server.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let scratch: string;
const children: ChildProcess[] = [];

/** The COPY sources of a Dockerfile's build stage (the lines before the second FROM). */
function buildStageSources(dockerfile: string): string[] {
  const text = fs.readFileSync(path.join(root, dockerfile), 'utf8');
  const stage = text.split(/^FROM /m)[1];
  return stage
    .split('\n')
    .filter((l) => l.startsWith('COPY '))
    .flatMap((l) => l.split(/\s+/).slice(1, -1));
}

function start(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], {
    cwd: scratch,
    env: { PATH: process.env.PATH!, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

async function answers(url: string, init?: RequestInit): Promise<Response | undefined> {
  try {
    return await fetch(url, { redirect: 'manual', ...init });
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  const sources = new Set([...buildStageSources('images/portal/Dockerfile'), ...buildStageSources('images/dashboard/Dockerfile')]);
  expect([...sources].sort()).toEqual(['package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'images-'));
  for (const source of sources) fs.cpSync(path.join(root, source), path.join(scratch, source), { recursive: true });
  const npm = (args: string[]) => run('npm', args, { cwd: scratch, maxBuffer: 16 * 1024 * 1024 });
  await npm(['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline']);
  await npm(['run', 'build']);
  await npm(['prune', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']);
  // The dashboard image also copies the page's assets beside the compiled code.
  fs.cpSync(path.join(root, 'src/dashboard/assets'), path.join(scratch, 'src/dashboard/assets'), { recursive: true });
}, 600_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await client.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the build stage leaves no dev dependency behind', () => {
  for (const dev of ['jest', 'playwright-core', 'oidc-provider', 'typescript', 'tsx']) {
    expect(fs.existsSync(path.join(scratch, 'node_modules', dev))).toBe(false);
  }
});

test('the portal image runs: ready, serving its catalog and OpenAPI document', async () => {
  const fixture = synthPortal('imgportal', [{ name: 'one', capacity: 1, initial: 0, reserved: 0 }]);
  await applyFixture(client, fixture);
  const configMap = fixture.files.flatMap((f) => f.objects).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'training-portal')!;
  const config = path.join(scratch, 'portal.json');
  fs.writeFileSync(config, (configMap as unknown as { data: Record<string, string> }).data['portal.json']);
  const port = await freePort();
  start('lib/apps/portal.js', {
    KUBECONFIG: process.env.KUBECONFIG!,
    PORTAL_NAME: 'imgportal',
    PORTAL_CONFIG: config,
    PORTAL_URL: `http://127.0.0.1:${port}`,
    SECURE_COOKIES: 'false',
    ADMIN_PASSWORD: 'image-test-admin',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'error',
  });
  await waitFor('the portal to be ready', async () => (await answers(`http://127.0.0.1:${port}/readyz`))?.status === 200);
  const openapi = await fetch(`http://127.0.0.1:${port}/openapi.json`);
  expect(openapi.status).toBe(200);
  expect(((await openapi.json()) as { paths: object }).paths).toHaveProperty(['/workshops/catalog/environments/']);
  const catalog = await fetch(`http://127.0.0.1:${port}/workshops/catalog/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  // The fixture's catalog is private: a learner is sent to sign in, by the image's own pages.
  expect(catalog.status).toBe(302);
  const signIn = await fetch(new URL(catalog.headers.get('location')!, `http://127.0.0.1:${port}`), { headers: { accept: 'text/html' } });
  expect(signIn.status).toBe(200);
  expect(await signIn.text()).toContain('</html>');
});

test('the dashboard image runs: healthy, and sends a learner to the portal to sign in', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'workshop-'));
  fs.cpSync(path.join(root, 'examples/hello-terminal/workshop'), path.join(dir, 'workshop'), { recursive: true });
  const config = path.join(dir, 'dashboard.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ workshop: { name: 'hello', title: 'Hello' }, content: {}, capabilities: ['terminal'], tabs: [], routes: [], settings: {} }),
  );
  const port = await freePort();
  start('lib/apps/dashboard.js', {
    DASHBOARD_CONFIG: config,
    WORKSHOP_DIR: dir,
    HOME: dir,
    SESSION_NAME: 'imgportal-one-s001',
    PORTAL_API_URL: 'http://127.0.0.1:9',
    PORTAL_URL: 'http://portal.example',
    CONFIG_PASSWORD: 'image-test-password',
    DASHBOARD_PORT: String(port),
    INGRESS_PROTOCOL: 'http',
    HOST: '127.0.0.1',
  });
  await waitFor('the dashboard to be healthy', async () => (await answers(`http://127.0.0.1:${port}/healthz`))?.status === 200);
  const page = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
  expect(page.status).toBe(302);
  expect(page.headers.get('location')).toMatch(/^http:\/\/portal\.example\/oauth2\/authorize\/\?response_type=code&client_id=imgportal-one-s001&/);
  const script = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(await script.json()).toEqual({ status: 'ok' });
});
