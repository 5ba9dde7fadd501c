/**
 * GitOps benchmark: how long a workshop change takes to reach learners through Argo CD, beside the same change
 * applied with kubectl, in one process. Run with `npm run bench:gitops` (tsx; no test framework). Prints figures;
 * asserts nothing about time.
 *
 * Starts its own local control plane (scripts/cluster, kwok nodes; state in /tmp/cdk8s-workshops-bench-gitops) and
 * the real Argo CD v3.2.11 of scripts/argocd (application controller, repo server, Redis, a git daemon on loopback),
 * and runs one SessionRuntime per portal in this process. Two portals in one dist/: the examples' `labs` (three
 * workshops, 8 reserve sessions) and `bench` with 100 environments (one of them, `bench-w000`, keeps one reserve;
 * the other 99 make sessions on demand, so the cluster holds 100 WorkshopEnvironments with their namespaces, roles
 * and policies without 100 running sessions).
 *
 * 1. Baseline, kubectl: dist/ is applied directly (server-side apply, as `kubectl apply --server-side`); once the
 *    pools are Ready, a change to one workshop's session (a new ConfigMap) is applied the same way: time from the
 *    apply to the first reserve Ready on the new blueprint.
 * 2. Argo CD: the same dist/ (with the change) is committed to git and Argo CD adopts what is there; then the next
 *    change is committed and Argo CD is told at once (a refresh, as a git webhook does): time from the commit to every
 *    Application Synced on it, and to the first reserve Ready on the new blueprint.
 * Each for `labs` (hello-terminal changes) and for `bench` (bench-w000 changes).
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { App, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

import { defineExamples } from '../examples/index.js';
import {
  API_VERSION,
  argoCdFiles,
  type Manifest,
  synthesize,
  type SynthFile,
  Terminal,
  toYaml,
  TrainingPortal,
  Workshop,
} from '../src/constructs/index.js';
import { createLogger, isLive, KubeClient, phaseOf, SessionRuntime, type WorkshopSession } from '../src/runtime/index.js';
import { reportPortalReadiness } from '../src/runtime/portal-conditions.js';
import { startControlPlane, stopControlPlane } from '../test/support/control-plane.mjs';

const STATE_DIR = '/tmp/cdk8s-workshops-bench-gitops';
const ROOT = new URL('..', import.meta.url).pathname;
const ARGO = 'argoproj.io/v1alpha1';
const run = promisify(execFile);
const ENVIRONMENTS = 100;

interface Case {
  portal: 'labs' | 'bench';
  environment: string;
  alias: string;
}
const CASES: Case[] = [
  { portal: 'labs', environment: 'labs-hello-terminal', alias: 'hello-terminal' },
  { portal: 'bench', environment: 'bench-w000', alias: 'w000' },
];

/** dist/ of both portals; `revision` > 0 adds a ConfigMap of that revision to each changed workshop's sessions. */
function synthDist(revision: number, repoURL?: string): SynthFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const labs = defineExamples(app);
  const bench = new TrainingPortal(app, 'bench', { ingressDomain: 'bench.127-0-0-1.test', maximumSessions: 400 });
  for (let i = 0; i < ENVIRONMENTS; i++) {
    const alias = `w${String(i).padStart(3, '0')}`;
    const workshop = new Workshop(app, alias, { title: `Workshop ${alias}`, description: 'A benchmark workshop', capabilities: [new Terminal()] });
    bench.addWorkshop(workshop, { capacity: 2, initial: i === 0 ? 1 : 0, reserved: i === 0 ? 1 : 0, expires: Duration.minutes(30) });
  }
  if (revision > 0) {
    for (const [portal, alias] of [
      [labs, 'hello-terminal'],
      [bench, 'w000'],
    ] as const) {
      const entry = portal.workshops.find((w) => w.alias === alias)!;
      new kplus.ConfigMap(entry.workshop.session, 'gitops-marker', { metadata: { name: 'gitops-marker' }, data: { revision: String(revision) } });
    }
  }
  const files = synthesize(app);
  return repoURL ? [...files, ...argoCdFiles(files, { repoURL, targetRevision: 'main' })] : files;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 900_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await probe();
      if (result) return result;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function script(name: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts/argocd', name), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`scripts/argocd/${name}: exit code ${code}`))));
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const started = Date.now();
  const cluster = await startControlPlane(STATE_DIR);
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  const client = KubeClient.fromKubeconfig(cluster.kubeconfigPath);
  const runtimes: SessionRuntime[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-'));
  const results: string[] = [];
  try {
    const healthFile = path.join(work, 'argocd-cm-health.yaml');
    fs.writeFileSync(
      healthFile,
      toYaml(
        argoCdFiles(synthesize(new App({ outdir: '/nonexistent' })), { repoURL: 'git://127.0.0.1/x.git' }).find(
          (f) => f.path === 'argocd/bootstrap/argocd-cm-health.k8s.yaml',
        )!,
      ),
    );
    const envFile = (await script('up.sh', ['--health', healthFile, cluster.stateDir, cluster.kubeconfigPath])).trim().split('\n').pop()!;
    const env = Object.fromEntries(
      fs
        .readFileSync(envFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const git = (...args: string[]) => run('git', ['-C', work, ...args]);
    await git('init', '-q', '-b', 'main');
    await git('config', 'user.email', 'platform@example.com');
    await git('config', 'user.name', 'Platform');

    // 1. baseline: kubectl
    const applyAll = async (files: SynthFile[]) => {
      const objects = files.flatMap((f) => f.objects);
      for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition'))
        await client.apply(crd, { fieldManager: 'kubectl', force: true });
      await waitFor('the CRDs established', async () =>
        (
          await Promise.all(
            objects
              .filter((o) => o.kind === 'CustomResourceDefinition')
              .map((crd) =>
                client.get<Manifest & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
                  crd.apiVersion,
                  crd.kind,
                  crd.metadata.name,
                ),
              ),
          )
        ).every((crd) => crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')),
      );
      const order = (o: Manifest) => (o.kind === 'Namespace' ? 0 : o.kind === 'WorkshopEnvironment' ? 2 : 1);
      for (const object of objects.filter((o) => o.kind !== 'CustomResourceDefinition').sort((a, b) => order(a) - order(b))) {
        await client.apply(object, { fieldManager: 'kubectl', force: true });
      }
    };
    await applyAll(synthDist(0));
    for (const portal of ['labs', 'bench']) {
      const runtime = new SessionRuntime(KubeClient.fromKubeconfig(cluster.kubeconfigPath), {
        portal,
        portalNamespace: `${portal}-ui`,
        limits: { maximum: 400, registered: 1, anonymous: 1 },
        tickMs: 500,
        logger: createLogger(`bench-${portal}`, process.env.LOG_LEVEL ?? 'silent'),
      });
      // as the portal process does: the leader reports in the portal's TrainingPortal (Argo CD's health of the portal)
      reportPortalReadiness(runtime, createLogger(`bench-${portal}`, process.env.LOG_LEVEL ?? 'silent'));
      await runtime.start();
      runtimes.push(runtime);
    }
    const runtimeOf = (c: Case) => runtimes[c.portal === 'labs' ? 0 : 1];
    const readyOn = (c: Case, generation: number) =>
      runtimeOf(c)
        .state.sessionsOf(c.environment)
        .find((s: WorkshopSession) => isLive(s) && !s.status?.user && s.spec.blueprintGeneration >= generation && phaseOf(s) === 'Ready');
    const generationOf = async (c: Case) =>
      Number((await client.get<Manifest>(API_VERSION, 'WorkshopEnvironment', c.environment))!.metadata.generation);
    const allPoolsReady = async () => {
      const environments = await client.list<Manifest & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
        API_VERSION,
        'WorkshopEnvironment',
      );
      return (
        environments.length === 3 + ENVIRONMENTS &&
        environments.every((e) => e.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      );
    };
    await waitFor('every pool Ready (kubectl)', allPoolsReady);
    console.log(`setup: cluster, Argo CD processes, dist/ applied with kubectl and pools Ready in ${seconds(Date.now() - started)}`);

    const baseline: Record<string, number> = {};
    const changed = synthDist(1);
    const t0 = Date.now();
    for (const c of CASES) {
      const environment = changed.flatMap((f) => f.objects).find((o) => o.kind === 'WorkshopEnvironment' && o.metadata.name === c.environment)!;
      await client.apply(environment, { fieldManager: 'kubectl', force: true });
    }
    const generations1 = await Promise.all(CASES.map(generationOf));
    await Promise.all(
      CASES.map(async (c, i) => {
        await waitFor(`${c.environment}: a reserve Ready on the new blueprint (kubectl)`, () => readyOn(c, generations1[i]));
        baseline[c.portal] = Date.now() - t0;
      }),
    );

    // 2. Argo CD adopts what is there (the same dist/, change 1 included), then the next change goes through git
    const commit = async (files: SynthFile[], message: string) => {
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
    };
    type Application = Manifest & {
      status?: { sync?: { status?: string; revision?: string }; health?: { status?: string }; operationState?: { phase?: string } };
    };
    const apps = ['workshops-root', 'workshops-cluster', 'workshops-labs', 'workshops-bench'];
    const synced = async (revision: string) =>
      (await Promise.all(apps.map((name) => client.get<Application>(ARGO, 'Application', name, 'argocd')))).every(
        (a) => a?.status?.sync?.status === 'Synced' && a.status.sync.revision === revision && a.status.operationState?.phase === 'Succeeded',
      );
    const refresh = (name: string) =>
      client.request('PATCH', client.pathFor(ARGO, 'Application', name, 'argocd'), {
        body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } },
        contentType: 'application/merge-patch+json',
      });
    const adopted = synthDist(1, env.ARGOCD_REPO_URL);
    const first = await commit(adopted, 'workshops: what kubectl applied');
    const adoptStart = Date.now();
    for (const name of ['project', 'root']) {
      const file = adopted.find((f) => f.path === (name === 'project' ? 'argocd/project.k8s.yaml' : 'argocd/bootstrap/root.k8s.yaml'))!;
      await client.apply(file.objects[0]);
    }
    // the portals' Ingresses get an address, as an ingress controller would publish it
    for (const portal of ['labs', 'bench']) {
      const ingresses = await client.request<{ items: Manifest[] }>('GET', `/apis/networking.k8s.io/v1/namespaces/${portal}-ui/ingresses`);
      for (const ingress of ingresses.items) {
        await client.request('PATCH', `${client.pathFor('networking.k8s.io/v1', 'Ingress', ingress.metadata.name, `${portal}-ui`)}/status`, {
          body: { status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } },
          contentType: 'application/merge-patch+json',
        });
      }
    }
    await waitFor('Argo CD adopting dist/', () => synced(first));
    const adoption = Date.now() - adoptStart;

    const gitops: Record<string, number> = {};
    const second = synthDist(2, env.ARGOCD_REPO_URL);
    const t1 = Date.now();
    const revision = await commit(second, 'workshops: a change to one workshop per portal');
    for (const name of apps) await refresh(name);
    const syncedAt = waitFor('every Application Synced on the change', () => synced(revision)).then(() => Date.now() - t1);
    await Promise.all(
      CASES.map(async (c, i) => {
        await waitFor(`${c.environment}: generation above ${generations1[i]}`, async () => (await generationOf(c)) > generations1[i]);
        const generation = await generationOf(c);
        await waitFor(`${c.environment}: a reserve Ready on the new blueprint (Argo CD)`, () => readyOn(c, generation));
        gitops[c.portal] = Date.now() - t1;
      }),
    );
    const syncedMs = await syncedAt;

    results.push(
      '',
      `GitOps benchmark (Argo CD v3.2.11, local control plane with kwok nodes, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`,
      `Argo CD adopting dist/ applied by kubectl (${3 + ENVIRONMENTS} environments, 2 portals): every Application Synced in ${seconds(adoption)}`,
      '',
      'change to one workshop per portal          | kubectl apply --server-side | git commit + Argo CD (refresh as a webhook)',
      `every Application Synced on the commit     | -                           | ${seconds(syncedMs)}`,
      ...CASES.map(
        (c) =>
          `first reserve Ready, ${c.portal.padEnd(5)} (${c.portal === 'labs' ? '3 environments  ' : `${ENVIRONMENTS} environments`}) | ` +
          `${seconds(baseline[c.portal]).padEnd(27)} | ${seconds(gitops[c.portal])}`,
      ),
      '',
      `whole run ${seconds(Date.now() - started)}`,
    );
  } finally {
    for (const runtime of runtimes) await runtime.stop();
    await client.close();
    await script('down.sh', [cluster.stateDir]).catch((error: Error) => console.error(error.message));
    await stopControlPlane(cluster);
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(results.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
