/**
 * GitOps with the real Argo CD (scripts/argocd: application controller and repo server built from the Go module
 * proxy, Redis from Debian, a git daemon on loopback) against the test control plane, from an empty cluster:
 * the examples' dist/ plus the dist/argocd/ the library synthesizes are committed to git, the root Application is
 * applied, and Argo CD deploys the rest. Then the session runtime runs sessions while every Application stays
 * Synced (no drift, no self-heal syncs), and a workshop change committed to git reaches new reserves while an
 * allocated session keeps its blueprint. A kind the AppProject does not allow is refused with a clear sync error.
 * An unknown field fails a sync with a clear error (and `workshops validate` names it first). A workshop removed from git drains (src/runtime/drain.ts) before Argo CD prunes its namespace.
 * The portal's own TrainingPortal (src/runtime/portal-conditions.ts) is what makes its Application Healthy: Progressing
 * until the portal reports Ready, Degraded with the reason while a workshop's sessions keep failing, Progressing
 * with `Draining` while a removed workshop waits for its learner.
 *
 * What plays a part here that a real cluster has: kwok makes pods Ready, and the test publishes the portal
 * Ingress' address in its status as an ingress controller would (Argo CD reports an Ingress Healthy only then).
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { ApiObject, App } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

import { defineExamples } from '../../examples/index.js';
import { describeUnknownField, unknownFields } from '../../src/cli/field-check.js';
import { API_VERSION, argoCdFiles, type Manifest, synthesize, type SynthFile, toYaml, type TrainingPortal } from '../../src/constructs/index.js';
import { releaseEnvironments } from '../../src/runtime/drain.js';
import { createLogger, isLive, KubeClient, phaseOf, SessionRuntime, type WorkshopSession } from '../../src/runtime/index.js';
import { reportPortalReadiness, type TrainingPortalObject } from '../../src/runtime/portal-conditions.js';
import { waitFor } from '../support/portal-fixture.js';

const run = promisify(execFile);
const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const STATE = process.env.CDK8S_WORKSHOPS_TEST_STATE!;
const ARGO = 'argoproj.io/v1alpha1';
const NS = 'argocd';
const APPS = ['workshops-root', 'workshops-cluster', 'workshops-labs'];

interface AppStatus {
  sync?: { status?: string; revision?: string };
  health?: { status?: string; message?: string };
  reconciledAt?: string;
  history?: Array<{ id: number; revision: string; deployStartedAt?: string }>;
  operationState?: {
    operation?: { sync?: { revision?: string } };
    phase?: string;
    startedAt?: string;
    finishedAt?: string;
    message?: string;
    syncResult?: { revision?: string; resources?: Array<{ kind: string; name: string; namespace?: string; message?: string }> };
  };
  resources?: Array<{ kind: string; name: string; namespace?: string; status?: string; health?: { status?: string; message?: string } }>;
  conditions?: Array<{ type: string; message: string }>;
}
type Application = Manifest & { status?: AppStatus };

let env: Record<string, string> = {};
let work = '';
let runtime: SessionRuntime | undefined;
const timings: Record<string, number> = {};

function script(name: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.resolve('scripts/argocd', name), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`scripts/argocd/${name} ${args.join(' ')}: exit code ${code}`))));
  });
}

const git = (...args: string[]) => run('git', ['-C', work, ...args]);

/** The examples' dist/ (optionally changed by `change`) with dist/argocd/ for the loopback repository. */
function synthDist(change?: (portal: TrainingPortal) => void): SynthFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const portal = defineExamples(app);
  change?.(portal);
  const files = synthesize(app);
  return [...files, ...argoCdFiles(files, { repoURL: env.ARGOCD_REPO_URL, targetRevision: 'main' })];
}

/** Replaces the work tree's dist/ with `files`, commits and pushes; returns the commit. */
async function commitDist(files: SynthFile[], message: string): Promise<string> {
  fs.rmSync(path.join(work, 'dist'), { recursive: true, force: true });
  for (const file of files) {
    const target = path.join(work, 'dist', file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, toYaml(file));
  }
  await git('add', '-A', 'dist');
  await git('commit', '-q', '-m', message);
  await git('push', '-q', env.ARGOCD_GIT_DIR, 'HEAD:main');
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}

const application = (name: string) => client.get<Application>(ARGO, 'Application', name, NS);

/** Every Application Synced (to `revision` when given) and Healthy, with its sync operation finished. */
async function allSyncedAndHealthy(revision?: string): Promise<Application[] | undefined> {
  const apps = await Promise.all(APPS.map(application));
  const ok = apps.every(
    (a) =>
      a?.status?.sync?.status === 'Synced' &&
      a.status.health?.status === 'Healthy' &&
      (!revision || a.status.sync.revision === revision) &&
      a.status.operationState?.phase === 'Succeeded',
  );
  return ok ? (apps as Application[]) : undefined;
}

function describeApps(apps: Array<Application | undefined>): string {
  return apps
    .map(
      (a) =>
        `${a?.metadata.name}: ${a?.status?.sync?.status}/${a?.status?.health?.status} op=${a?.status?.operationState?.phase} ` +
        `${a?.status?.operationState?.message ?? ''} ${(a?.status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`).join('; ')} ` +
        `not synced/healthy: ${(a?.status?.resources ?? [])
          .filter((r) => r.status !== 'Synced' || (r.health && r.health.status !== 'Healthy'))
          .map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name} ${r.status}/${r.health?.status}`)
          .join(', ')}`,
    )
    .join('\n');
}

async function waitAllSyncedAndHealthy(what: string, revision: string | undefined, timeoutMs: number): Promise<Application[]> {
  try {
    return await waitFor(what, () => allSyncedAndHealthy(revision), timeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${describeApps(await Promise.all(APPS.map(application)))}`);
  }
}

/** Asks Argo CD to compare again now (what a git webhook does), and waits until it has. */
async function refresh(name: string): Promise<void> {
  const asked = Math.floor(Date.now() / 1000) * 1000;
  await client.request('PATCH', `${client.pathFor(ARGO, 'Application', name, NS)}`, {
    body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } },
    contentType: 'application/merge-patch+json',
  });
  await waitFor(
    `${name} refreshed`,
    async () => {
      const app = await application(name);
      return !app?.metadata.annotations?.['argocd.argoproj.io/refresh'] && Date.parse(app?.status?.reconciledAt ?? '') >= asked;
    },
    120_000,
  );
}

/** The portal's Ingresses get their address, as an ingress controller would publish it. */
async function publishIngressAddress(): Promise<void> {
  const list = await waitFor(
    'the portal Ingress',
    async () => {
      const found = await client.request<{ items: Manifest[] }>('GET', '/apis/networking.k8s.io/v1/namespaces/labs-ui/ingresses');
      return found.items.length ? found : undefined;
    },
    600_000,
  );
  for (const ingress of list.items) {
    await client.request('PATCH', `${client.pathFor('networking.k8s.io/v1', 'Ingress', ingress.metadata.name, 'labs-ui')}/status`, {
      body: { status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } },
      contentType: 'application/merge-patch+json',
    });
  }
}

const created = (o: Manifest | undefined) => Date.parse(String(o?.metadata.creationTimestamp));

/** The portal's TrainingPortal as Argo CD sees it (the Lua check's reading of its Ready condition), and its condition. */
async function portalHealth(): Promise<{ status?: string; message?: string; ready?: { status: string; reason: string; message: string } }> {
  const app = await application('workshops-labs');
  const health = app?.status?.resources?.find((r) => r.kind === 'TrainingPortal' && r.name === 'labs')?.health ?? {};
  const portal = await client.get<TrainingPortalObject>(API_VERSION, 'TrainingPortal', 'labs');
  return { ...health, ready: portal?.status?.conditions?.find((c) => c.type === 'Ready') };
}

beforeAll(async () => {
  const start = Date.now();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-work-'));
  // the health checks exactly as the library ships them, merged into argocd-cm by up.sh
  const healthFile = path.join(work, 'argocd-cm-health.yaml');
  fs.writeFileSync(
    healthFile,
    toYaml(
      argoCdFiles(synthesize(new App({ outdir: '/nonexistent' })), { repoURL: 'git://127.0.0.1/x.git' }).find(
        (f) => f.path === 'argocd/bootstrap/argocd-cm-health.k8s.yaml',
      )!,
    ),
  );
  const envFile = (await script('up.sh', ['--health', healthFile, STATE])).trim().split('\n').pop()!;
  env = Object.fromEntries(
    fs
      .readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  timings.argocdUp = (Date.now() - start) / 1000;
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'platform@example.com');
  await git('config', 'user.name', 'Platform');
}, 1_800_000);

afterAll(async () => {
  await runtime?.stop();
  // no runtime holds the environments now: the cluster is shared with other test files, which may delete them
  await releaseEnvironments(client, 'labs').catch(() => undefined);
  await script('down.sh', ['--keep', STATE]).catch(() => undefined);
  if (work) fs.rmSync(work, { recursive: true, force: true });
  await client.close();
  console.log(`argocd.test timings (s): ${JSON.stringify(timings)}`);
});

describe('Argo CD syncs dist/ from git', () => {
  let firstRevision = '';

  test('from an empty cluster: every Application Synced and Healthy, the CRDs and waves first', async () => {
    const files = synthDist();
    firstRevision = await commitDist(files, 'workshops: the examples');
    const start = Date.now();
    const project = files.find((f) => f.path === 'argocd/project.k8s.yaml')!.objects[0];
    const root = files.find((f) => f.path === 'argocd/bootstrap/root.k8s.yaml')!.objects[0];
    // what the platform engineer applies by hand, once
    await client.apply(project);
    await client.apply(root);

    // the cluster Application first (wave -1): CRDs, roles and policies; the root waits for it to be Healthy
    await waitFor(
      'workshops-cluster Synced and Healthy',
      async () => {
        const app = await application('workshops-cluster');
        return app?.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy';
      },
      600_000,
    );
    timings.clusterSynced = (Date.now() - start) / 1000;
    for (const crd of ['workshopenvironments', 'workshopsessions', 'trainingportals']) {
      const live = await client.get<Manifest & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        `${crd}.training.cdk8s-workshops.dev`,
      );
      expect(live?.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }

    // the portal's objects are Argo CD's to apply; its sync waits at wave 0 for the Ingress to have an address
    await publishIngressAddress();
    await waitFor('workshops-labs Synced', async () => (await application('workshops-labs'))?.status?.sync?.status === 'Synced', 600_000);
    timings.portalSynced = (Date.now() - start) / 1000;
    // no portal runs yet: its TrainingPortal has no report, so Argo CD holds the portal's Application Progressing
    const unreported = await waitFor('the TrainingPortal assessed', async () => {
      const health = await portalHealth();
      return health.status ? health : undefined;
    });
    expect(unreported).toMatchObject({ status: 'Progressing', message: 'the portal has not reported yet (is its Deployment running?)' });
    expect((await application('workshops-labs'))?.status?.health?.status).not.toBe('Healthy');
    // the runtime (the portal's Deployment, in a real cluster) fills the pools
    runtime = new SessionRuntime(KubeClient.fromKubeconfig(process.env.KUBECONFIG), {
      portal: 'labs',
      portalNamespace: 'labs-ui',
      limits: { maximum: 200, registered: 1, anonymous: 1 },
      tickMs: 500,
      logger: createLogger('argocd-test', process.env.LOG_LEVEL ?? 'silent'),
    });
    // as the portal process does (src/apps/portal.ts): its leader reports in the TrainingPortal
    reportPortalReadiness(runtime, createLogger('argocd-test', process.env.LOG_LEVEL ?? 'silent'), { minIntervalMs: 200, resyncMs: 2000 });
    await runtime.start();

    const apps = await waitAllSyncedAndHealthy('every Application Synced and Healthy', firstRevision, 900_000);
    timings.allHealthy = (Date.now() - start) / 1000;

    // waves: the cluster Application finished before the portal's began; within it, CRDs before what uses them
    const [cluster, labs] = [apps[1], apps[2]];
    // (the first syncs, from history: a later retry or refresh of the cluster app rewrites its operationState)
    const firstSyncStart = (app: typeof cluster) => Date.parse([...app.status!.history!].sort((a, b) => a.id - b.id)[0].deployStartedAt!);
    expect(firstSyncStart(labs)).toBeGreaterThanOrEqual(firstSyncStart(cluster));
    const crd = await client.get<Manifest>(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      'workshopenvironments.training.cdk8s-workshops.dev',
    );
    for (const name of ['labs-k8s-fundamentals', 'labs-container-builds', 'labs-hello-terminal']) {
      const environment = await client.get<Manifest & { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } }>(
        API_VERSION,
        'WorkshopEnvironment',
        name,
      );
      const namespace = await client.get<Manifest>('v1', 'Namespace', name);
      expect(created(crd)).toBeLessThanOrEqual(created(environment));
      expect(created(namespace)).toBeLessThanOrEqual(created(environment));
      expect(environment?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'PoolReady' });
      // Argo CD's health of it is the Lua check's reading of that condition
      expect(labs.status!.resources!.find((r) => r.kind === 'WorkshopEnvironment' && r.name === name)?.health?.status).toBe('Healthy');
    }
    // the portal's Application is Healthy because the portal reports Ready, for the TrainingPortal's generation
    const portal = (await client.get<TrainingPortalObject>(API_VERSION, 'TrainingPortal', 'labs'))!;
    expect(portal.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'EnvironmentsReady',
      message: '3 of 3 environments Ready',
      observedGeneration: portal.metadata.generation,
    });
    expect(labs.status!.resources!.find((r) => r.kind === 'TrainingPortal' && r.name === 'labs')?.health).toMatchObject({
      status: 'Healthy',
      message: 'EnvironmentsReady: 3 of 3 environments Ready',
    });
  }, 1_800_000);

  test('while the runtime allocates and ends sessions, nothing shows as drift and nothing is re-synced', async () => {
    const before = await Promise.all(APPS.map(application));
    const syncsBefore = before.map((a) => `${a?.status?.operationState?.startedAt} ${a?.status?.history?.length}`);
    const users = ['ann', 'bob', 'cyd', 'dan'];
    const environments = ['labs-k8s-fundamentals', 'labs-container-builds', 'labs-hello-terminal', 'labs-k8s-fundamentals'];
    const allocated: string[] = [];
    for (const [i, user] of users.entries()) {
      const result = await runtime!.allocate({ environment: environments[i], user });
      if (!('session' in result)) throw new Error(`no session for ${user}: ${result.message}`);
      allocated.push(result.session.metadata.name);
      await runtime!.reportActivity(result.session.metadata.name);
    }
    // two end, and the pools refill behind all four
    for (const name of allocated.slice(0, 2)) await runtime!.terminate(name, 'TerminatedByUser');
    await waitFor(
      'the ended sessions gone and the pools refilled',
      async () => {
        const gone = (await Promise.all(allocated.slice(0, 2).map((n) => client.get(API_VERSION, 'WorkshopSession', n)))).every((s) => !s);
        const ready = await Promise.all(
          ['labs-k8s-fundamentals', 'labs-container-builds', 'labs-hello-terminal'].map(
            async (name) =>
              (
                await client.get<Manifest & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
                  API_VERSION,
                  'WorkshopEnvironment',
                  name,
                )
              )?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
          ),
        );
        return gone && ready.every(Boolean);
      },
      600_000,
    );
    for (const name of APPS) await refresh(name);
    const after = await waitAllSyncedAndHealthy('every Application still Synced and Healthy', firstRevision, 120_000);
    expect(after.map((a) => `${a.status?.operationState?.startedAt} ${a.status?.history?.length}`)).toEqual(syncsBefore);
    for (const name of allocated.slice(2)) await runtime!.terminate(name, 'TerminatedByUser');
  }, 1_800_000);

  test('a workshop change committed to git: Argo CD syncs it, reserves are recycled, an allocated session keeps its blueprint', async () => {
    const environmentName = 'labs-hello-terminal';
    const generationBefore = Number((await client.get<Manifest>(API_VERSION, 'WorkshopEnvironment', environmentName))!.metadata.generation);
    const held = await runtime!.allocate({ environment: environmentName, user: 'eve' });
    if (!('session' in held)) throw new Error(`no session for eve: ${held.message}`);
    const heldName = held.session.metadata.name;

    const files = synthDist((portal) => {
      const entry = portal.workshops.find((w) => w.alias === 'hello-terminal')!;
      new kplus.ConfigMap(entry.workshop.session, 'gitops-marker', { metadata: { name: 'gitops-marker' }, data: { revision: 'two' } });
    });
    const start = Date.now();
    const revision = await commitDist(files, 'hello-terminal: a ConfigMap in every session');
    await refresh('workshops-labs');
    await waitFor(
      'workshops-labs Synced to the new commit',
      async () => {
        const app = await application('workshops-labs');
        return app?.status?.sync?.status === 'Synced' && app.status.sync.revision === revision && app.status.operationState?.phase === 'Succeeded';
      },
      300_000,
    );
    timings.commitToSynced = (Date.now() - start) / 1000;
    const environment = await client.get<Manifest>(API_VERSION, 'WorkshopEnvironment', environmentName);
    const generation = Number(environment!.metadata.generation);
    expect(generation).toBeGreaterThan(generationBefore);

    const fresh = await waitFor(
      'a reserve on the new blueprint Ready',
      () =>
        runtime!.state
          .sessionsOf(environmentName)
          .find((s: WorkshopSession) => isLive(s) && !s.status?.user && s.spec.blueprintGeneration === generation && phaseOf(s) === 'Ready'),
      600_000,
    );
    timings.commitToNewReserveReady = (Date.now() - start) / 1000;
    expect((await client.get<Manifest & { data: Record<string, string> }>('v1', 'ConfigMap', 'gitops-marker', fresh.metadata.name))?.data).toEqual({
      revision: 'two',
    });
    // reserves of the old blueprint are recycled; the learner's session keeps its own until it ends
    await waitFor(
      'no reserve left on the old blueprint',
      () =>
        runtime!.state
          .sessionsOf(environmentName)
          .every((s: WorkshopSession) => !isLive(s) || s.status?.user || s.spec.blueprintGeneration === generation),
      300_000,
    );
    const mine = runtime!.session(heldName)!;
    expect({ live: isLive(mine), generation: mine.spec.blueprintGeneration }).toEqual({ live: true, generation: generationBefore });
    expect(await client.get('v1', 'ConfigMap', 'gitops-marker', heldName)).toBeUndefined();

    for (const name of APPS) await refresh(name);
    await waitAllSyncedAndHealthy('every Application Synced and Healthy on the new commit', undefined, 600_000);
    await runtime!.terminate(heldName, 'TerminatedByUser');
  }, 1_800_000);

  test("sessions that keep failing: the portal's Application is Degraded, naming the reason and the workshop; the fix heals", async () => {
    const withMarker = (portal: TrainingPortal) => {
      const entry = portal.workshops.find((w) => w.alias === 'hello-terminal')!;
      new kplus.ConfigMap(entry.workshop.session, 'gitops-marker', { metadata: { name: 'gitops-marker' }, data: { revision: 'two' } });
      return entry;
    };
    // a ConfigMap key the API server refuses: synthesis and Argo CD accept the environment, every new session fails
    const bad = synthDist((portal) => {
      const entry = withMarker(portal);
      new ApiObject(entry.workshop.session, 'broken', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'broken' },
        data: { 'not a key!': 'x' },
      });
    });
    const start = Date.now();
    await commitDist(bad, 'hello-terminal: a ConfigMap the API server refuses');
    await refresh('workshops-labs');
    const degraded = await waitFor(
      "the portal's Application Degraded",
      async () => {
        const [app, health] = [await application('workshops-labs'), await portalHealth()];
        return app?.status?.health?.status === 'Degraded' && health.status === 'Degraded' ? health : undefined;
      },
      600_000,
    );
    timings.commitToDegraded = (Date.now() - start) / 1000;
    console.log(`Argo CD on failing sessions: TrainingPortal labs ${degraded.status}: ${degraded.message}`);
    expect(degraded.message).toMatch(
      /^RefillsPaused: 2 of 3 environments Ready; labs-hello-terminal RefillsPaused: sessions failed repeatedly; refills resume at /,
    );

    await commitDist(synthDist(withMarker), 'hello-terminal: no broken ConfigMap');
    await refresh('workshops-labs');
    await waitAllSyncedAndHealthy('every Application Synced and Healthy after the fix', undefined, 600_000);
    expect(await portalHealth()).toMatchObject({ status: 'Healthy', ready: { status: 'True', reason: 'EnvironmentsReady' } });
  }, 1_800_000);

  test('a kind the AppProject does not allow is refused with a clear sync error; the next good commit heals', async () => {
    const good = synthDist((portal) => {
      const entry = portal.workshops.find((w) => w.alias === 'hello-terminal')!;
      new kplus.ConfigMap(entry.workshop.session, 'gitops-marker', { metadata: { name: 'gitops-marker' }, data: { revision: 'two' } });
    });
    // someone commits a Secret into the portal's folder by hand: dist/ has no Secret, so the project allows none
    const smuggled: Manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'smuggled', namespace: 'labs-ui' }, stringData: { token: 'x' } };
    const bad = [...good, { path: 'labs/smuggled.k8s.yaml', objects: [smuggled] }];
    const badRevision = await commitDist(bad, 'labs: a hand-written Secret');
    await refresh('workshops-labs');
    const refused = await waitFor(
      'workshops-labs refusing the Secret',
      async () => {
        const app = await application('workshops-labs');
        const operation = app?.status?.operationState;
        const messages = [
          operation?.message ?? '',
          ...(app?.status?.conditions ?? []).map((c) => c.message),
          ...(operation?.syncResult?.resources ?? []).map((r) => `${r.kind} ${r.namespace}/${r.name}: ${r.message ?? ''}`),
        ].join('\n');
        return app?.status?.sync?.revision === badRevision && /Secret/.test(messages) && /not permitted/.test(messages) ? messages : undefined;
      },
      300_000,
    );
    expect(refused).toContain('Secret labs-ui/smuggled: resource :Secret is not permitted in project workshops');
    expect(await client.get('v1', 'Secret', 'smuggled', 'labs-ui')).toBeUndefined();

    const fixed = await commitDist(good, 'labs: remove the hand-written Secret');
    await refresh('workshops-labs');
    await waitAllSyncedAndHealthy('every Application Synced and Healthy after the fix', undefined, 600_000);
    expect((await application('workshops-labs'))?.status?.sync?.revision).toBe(fixed);
  }, 1_800_000);

  test('an unknown field fails the sync with a clear error, and validate names it first; the fix heals', async () => {
    const withMarker = (portal: TrainingPortal) => {
      const entry = portal.workshops.find((w) => w.alias === 'hello-terminal')!;
      new kplus.ConfigMap(entry.workshop.session, 'gitops-marker', { metadata: { name: 'gitops-marker' }, data: { revision: 'two' } });
    };
    // an author's hand-made object with a misspelt `immutable`: synthesis keeps it as written
    const bad = synthDist((portal) => {
      withMarker(portal);
      new ApiObject(portal, 'settings', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'lab-settings', namespace: 'labs-ui' },
        data: { a: 'b' },
        immutabel: true,
      });
    });
    // what `workshops validate` reports for it (test/unit/validate-fields.test.ts runs the command on the same mistake)
    expect(unknownFields(bad.flatMap((f) => f.objects)).map(describeUnknownField)).toEqual([
      "ConfigMap labs-ui/lab-settings: unknown field 'immutabel' (did you mean 'immutable'? Kubernetes 1.34 ConfigMap has: apiVersion, binaryData, " +
        "data, immutable, kind, metadata); the API server's strict field validation, and so an Argo CD sync, refuses it",
    ]);
    const badRevision = await commitDist(bad, 'labs: a settings ConfigMap');
    await refresh('workshops-labs');
    let seen: Application | undefined;
    // (the operation stays Running while Argo CD retries; each attempt records the resource's result)
    const refused = await waitFor(
      'workshops-labs refusing the ConfigMap',
      async () => {
        const app = (seen = await application('workshops-labs'));
        const operation = app?.status?.operationState;
        const resource = operation?.syncResult?.resources?.find((r) => r.kind === 'ConfigMap' && r.name === 'lab-settings');
        return (operation?.syncResult?.revision ?? operation?.operation?.sync?.revision) === badRevision && resource?.message
          ? { operation: operation!, resource }
          : undefined;
      },
      300_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${JSON.stringify(seen?.status?.operationState)}\n${describeApps([seen])}`);
    });
    console.log(`Argo CD on an unknown field: ${refused.operation.message} / ConfigMap labs-ui/lab-settings: ${refused.resource.message}`);
    expect(refused.resource.message).toMatch(/immutabel/);
    expect(refused.resource.message).toMatch(/field not declared in schema|unknown field/);
    expect(await client.get('v1', 'ConfigMap', 'lab-settings', 'labs-ui')).toBeUndefined();

    const fixed = await commitDist(synthDist(withMarker), 'labs: no settings ConfigMap');
    await refresh('workshops-labs');
    await waitAllSyncedAndHealthy('every Application Synced and Healthy after the fix', undefined, 600_000);
    expect((await application('workshops-labs'))?.status?.sync?.revision).toBe(fixed);
  }, 1_800_000);

  test("a workshop removed from git drains: Argo CD prunes its namespace only after its learner's session has ended", async () => {
    const environmentName = 'labs-hello-terminal';
    const held = await runtime!.allocate({ environment: environmentName, user: 'fay' });
    if (!('session' in held)) throw new Error(`no session for fay: ${held.message}`);
    const mine = held.session.metadata.name;
    await runtime!.reportActivity(mine);
    const sessionsBefore = runtime!.state.sessionsOf(environmentName).map((s) => s.metadata.name);

    const files = synthDist((portal) => {
      // hello-terminal goes, as if its addWorkshop line were deleted
      const listed = (portal as unknown as { _workshops: Array<(typeof portal.workshops)[number]> })._workshops;
      listed.splice(
        listed.findIndex((w) => w.alias === 'hello-terminal'),
        1,
      );
    });
    expect(files.filter((f) => f.path.includes('hello-terminal') || toYaml(f).includes(environmentName))).toEqual([]);
    const start = Date.now();
    const revision = await commitDist(files, 'labs: hello-terminal retired');
    await refresh('workshops-labs');

    // Argo CD deletes the environment and waits: the runtime drains it, the namespace stays, the sync runs on
    const waiting = await waitFor(
      'the prune waiting for the environment to drain',
      async () => {
        const app = await application('workshops-labs');
        const environment = await client.get<Manifest & { status?: { conditions?: Array<{ type: string; reason: string; message: string }> } }>(
          API_VERSION,
          'WorkshopEnvironment',
          environmentName,
        );
        const ready = environment?.status?.conditions?.find((c) => c.type === 'Ready');
        const operation = app?.status?.operationState;
        return (operation?.syncResult?.revision ?? operation?.operation?.sync?.revision) === revision &&
          operation?.phase === 'Running' &&
          operation.message?.includes(`waiting for deletion of training.cdk8s-workshops.dev/WorkshopEnvironment/${environmentName}`) &&
          environment?.metadata.deletionTimestamp &&
          ready?.reason === 'Draining'
          ? { app: app!, ready }
          : undefined;
      },
      300_000,
    );
    expect(waiting.ready.message).toMatch(/^being removed: takes no new sessions; waits for 1 learner's session to end/);
    // the reserves end at once and no new ones come; nobody new gets in; the learner keeps hers
    await waitFor('the reserves gone', () => runtime!.state.sessionsOf(environmentName).every((s) => s.metadata.name === mine));
    expect(await runtime!.allocate({ environment: environmentName, user: 'gus' })).toMatchObject({ refused: 'unknown-environment' });
    expect(isLive(runtime!.session(mine)!)).toBe(true);
    const namespace = await client.get<Manifest>('v1', 'Namespace', environmentName);
    expect(namespace?.metadata.deletionTimestamp).toBeUndefined();
    // Argo CD shows it as in progress (it reports an object pending deletion Progressing, without asking the Lua check)
    await refresh('workshops-labs');
    const draining = (await application('workshops-labs'))!;
    expect(draining.status!.health!.status).toBe('Progressing');
    expect(draining.status!.resources!.find((r) => r.kind === 'WorkshopEnvironment' && r.name === environmentName)?.health?.status).toBe(
      'Progressing',
    );
    // the portal says why: the environment drains (the TrainingPortal may still list it: Argo CD applies the rest of
    // the wave once the prune it waits for is done)
    const portalDraining = await waitFor('the TrainingPortal Progressing: Draining', async () => {
      const health = await portalHealth();
      return health.status === 'Progressing' && health.message?.startsWith('Draining:') ? health : undefined;
    });
    expect(portalDraining.message).toMatch(
      new RegExp(
        `^Draining: 2 of [23] environments Ready; ${environmentName} Draining: being removed: takes no new sessions; waits for 1 learner's session to end`,
      ),
    );
    timings.removalToDraining = (Date.now() - start) / 1000;

    // the learner finishes; then the environment goes, then its namespace, and the sync completes
    await runtime!.terminate(mine, 'TerminatedByUser');
    const drainedAt = Date.now();
    await waitFor(
      'the environment and its namespace gone',
      async () => !(await client.get(API_VERSION, 'WorkshopEnvironment', environmentName)) && !(await client.get('v1', 'Namespace', environmentName)),
      300_000,
    );
    timings.sessionEndToNamespaceGone = (Date.now() - drainedAt) / 1000;
    for (const name of APPS) await refresh(name);
    await waitAllSyncedAndHealthy('every Application Synced and Healthy without hello-terminal', revision, 600_000);
    // nothing left behind: no session object, no session namespace, nothing of it in the Application
    const sessions = await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession');
    expect(sessions.filter((s) => s.spec.environment === environmentName)).toEqual([]);
    for (const name of new Set([...sessionsBefore, mine])) expect(await client.get('v1', 'Namespace', name)).toBeUndefined();
    const labs = (await application('workshops-labs'))!;
    expect(labs.status!.resources!.filter((r) => r.name === environmentName || r.namespace === environmentName)).toEqual([]);
    expect(await portalHealth()).toMatchObject({ status: 'Healthy', message: 'EnvironmentsReady: 2 of 2 environments Ready' });
  }, 1_800_000);
});
