/**
 * An imported Educates workshop that uses what the importer used to drop, end to end: its Git content source (a
 * private repository served by `git http-backend` behind Basic authentication, a vendir secretRef copied by
 * environment.secrets, include/exclude paths, a new root, a second item into a folder of its own) and its
 * request.objects with request parameters. The
 * generated module is run with tsx against this repository's sources; what it synthesizes is applied to the control
 * plane and run by the runtime as the portal's ServiceAccount; the session's dashboard settings, as synthesized, fetch
 * the content with the Secret's values.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { parseAllDocuments } from 'yaml';

import type { Manifest } from '../../src/constructs/index.js';
import { parseConfig } from '../../src/dashboard/config.js';
import { ContentSync } from '../../src/dashboard/content-sync.js';
import { importEducates } from '../../src/importer/index.js';
import { createLogger, KubeClient, phaseOf, SessionRuntime } from '../../src/runtime/index.js';
import { commitFiles, createBareRepo, type GitHttpServer, startGitHttp } from '../support/git-servers.js';
import { removeServiceAccountKubeconfigs, serviceAccountKubeconfig } from '../support/identities.js';
import { waitFor } from '../support/portal-fixture.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');
const DIR = path.join(ROOT, '.import-test', 'importer-content');
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const TOKEN = { username: 'author', password: 'content-token-0123456789' };
const ENVIRONMENT = 'impcontent-lab-private-content';
type Json = Record<string, any>;

let repos: string;
let gitHttp: GitHttpServer;
let imported: { source: string; unsupported: unknown[] };
let files: Map<string, Manifest[]>;
let runtime: SessionRuntime | undefined;
let client: KubeClient | undefined;

beforeAll(async () => {
  repos = fs.mkdtempSync(path.join(os.tmpdir(), 'importer-content-'));
  gitHttp = await startGitHttp(repos, TOKEN);
  const bare = createBareRepo(repos, 'private-lab');
  commitFiles(bare, 'main', {
    'lab/workshop/content/_index.md': '---\ntitle: Private\n---\n\nFrom the private repository.\n',
    'lab/workshop/content/drafts/next.md': 'not yet\n',
    'lab/exercises/start.txt': 'start here\n',
    'lab/tests/ci.sh': 'echo ci\n',
    'other/README.md': 'outside the new root\n',
  });
  const workshopYaml = fs
    .readFileSync(path.join(ROOT, 'test/fixtures/educates/content-and-request.yaml'), 'utf8')
    .replaceAll('GIT_URL', `${gitHttp.url}/private-lab.git`);
  imported = importEducates({ workshopYaml, sourceName: 'importer-content' });
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, 'app.ts'), imported.source.replaceAll("from 'cdk8s-workshops'", `from '${path.join(ROOT, 'src/index.js')}'`));
  await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: DIR, env: { ...process.env, CDK8S_OUTDIR: path.join(DIR, 'dist') } });
  files = new Map();
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        files.set(
          path.relative(path.join(DIR, 'dist'), full),
          parseAllDocuments(fs.readFileSync(full, 'utf8')).map((d) => d.toJSON() as Manifest),
        );
    }
  };
  walk(path.join(DIR, 'dist'));
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  await client?.close();
  await admin.close();
  await gitHttp?.stop();
  removeServiceAccountKubeconfigs();
  fs.rmSync(repos, { recursive: true, force: true });
  fs.rmSync(DIR, { recursive: true, force: true });
});

const environment = () =>
  files.get(`impcontent/lab-private-content/environment.k8s.yaml`)!.find((o) => o.kind === 'WorkshopEnvironment') as Manifest & { spec: Json };

test('nothing is left out, and the module synthesizes the content source and the request objects', () => {
  expect(imported.unsupported).toEqual([]);
  const spec = environment().spec;
  expect(spec.request.objects).toEqual([
    expect.objectContaining({ kind: 'ConfigMap', data: { team: '$(TEAM)', pin: '$(PIN)', session: '$(session_name)' } }),
  ]);
  expect(spec.environment.secrets).toContainEqual({ name: 'content-token', namespace: 'content-authors' });
});

test("the session's dashboard settings, as synthesized, fetch the private content with the Secret's values, filtered", async () => {
  const configMap = (environment().spec.session.objects as Json[]).find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'))!;
  const config = parseConfig(JSON.parse(configMap.data['dashboard.json']));
  const workshopDir = fs.mkdtempSync(path.join(repos, 'pulled-'));
  await expect(new ContentSync({ source: config.content, workshopDir, pollSeconds: 0 }).start()).rejects.toThrow(/git ls-remote failed/);
  // each of the two items reads the Secret under its own names in the dashboard container
  const deployment = (environment().spec.session.objects as Json[]).find((o) => o.kind === 'Deployment')!;
  const dashboardEnv = (deployment.spec.template.spec.containers as Json[]).find((c) => c.name === 'dashboard')!.env as Json[];
  expect(dashboardEnv.filter((e) => e.name.startsWith('CONTENT_')).map((e) => [e.name, e.valueFrom.secretKeyRef.name])).toEqual([
    ['CONTENT_REGISTRY_USERNAME', 'content-token'],
    ['CONTENT_REGISTRY_PASSWORD', 'content-token'],
    ['CONTENT_REGISTRY_USERNAME_1', 'content-token'],
    ['CONTENT_REGISTRY_PASSWORD_1', 'content-token'],
  ]);
  const sync = new ContentSync({ source: config.content, workshopDir, pollSeconds: 0, credentials: [TOKEN, TOKEN] });
  await sync.start();
  sync.stop();
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(sync.dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else found.push(child);
    }
  };
  walk('');
  expect(found.sort()).toEqual(['exercises/other/README.md', 'exercises/start.txt', 'workshop/content/_index.md']);
});

test('applied and run by the runtime as the portal: allocation creates the request objects with the parameters', async () => {
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'content-authors' } });
  await admin.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'content-token', namespace: 'content-authors' },
    stringData: TOKEN,
  } as Manifest);
  const rank = (file: string) => (file.startsWith('cluster/crds') ? 0 : file.startsWith('cluster/') ? 1 : file.endsWith('portal.k8s.yaml') ? 2 : 3);
  for (const file of [...files.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    for (const object of files.get(file)!) await admin.apply(object);
    if (file === 'cluster/crds.k8s.yaml') {
      for (const crd of files.get(file)!) {
        await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
          const live = await admin.get<Json>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name);
          return live?.status?.conditions?.some((c: Json) => c.type === 'Established' && c.status === 'True');
        });
      }
    }
  }
  client = KubeClient.fromKubeconfig(await serviceAccountKubeconfig('impcontent-ui', 'training-portal'));
  runtime = new SessionRuntime(client, {
    portal: 'impcontent',
    portalNamespace: 'impcontent-ui',
    limits: { maximum: 0, registered: 2, anonymous: 2 },
    tickMs: 200,
    idleAfterSeconds: 60,
    leaseDurationSeconds: 4,
    logger: createLogger('importer-content', process.env.LOG_LEVEL ?? 'silent'),
  });
  await runtime.start();
  // the portal copied the credentials into the environment namespace, where the dashboard container reads them
  await waitFor('the credentials in the environment namespace', () => admin.get('v1', 'Secret', 'content-token', ENVIRONMENT), 60_000);
  await waitFor('a Ready reserve', () => runtime!.state.sessionsOf(ENVIRONMENT).find((s) => phaseOf(s) === 'Ready'), 120_000);
  const result = await runtime.allocate({ environment: ENVIRONMENT, user: 'bob', request: { parameters: { TEAM: 'red' } } });
  if (!('session' in result)) throw new Error(`no session: ${result.refused}`);
  const name = result.session.metadata.name;
  const team = await waitFor('the request ConfigMap', () => admin.get<Json>('v1', 'ConfigMap', 'team', name));
  expect(team!.data.team).toBe('red');
  expect(team!.data.pin).toMatch(/^[0-9]{6}$/);
  expect(team!.data.session).toBe(name);
}, 240_000);
