/**
 * dist/argocd/: the app-of-apps, the AppProject and the health checks synthesized for the examples, and the Ready
 * condition the runtime reports for Argo CD to read.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { App } from 'cdk8s';

import { defineExamples } from '../../examples/index.js';
import { describeUnknownField, unknownFields } from '../../src/cli/field-check.js';
import { ARGOCD_HEALTH_CHECKS, argoCdFiles, type Manifest, synthesize, toYaml, TrainingPortal, WorkshopApp } from '../../src/constructs/index.js';
import { readyCondition } from '../../src/runtime/environment-conditions.js';
import { portalReadiness, type TrainingPortalObject } from '../../src/runtime/portal-conditions.js';
import type { WorkshopSession } from '../../src/runtime/session.js';
import type { WorkshopEnvironment } from '../../src/runtime/state.js';
import { synthExamples } from '../support/examples.js';

const REPO = 'https://git.example.com/platform/workshops.git';

describe('argoCdFiles', () => {
  const dist = synthExamples();
  const files = argoCdFiles(dist, { repoURL: REPO, targetRevision: 'main' });
  const byPath = Object.fromEntries(files.map((f) => [f.path, f.objects]));

  test('writes the project, the child Applications, and the bootstrap files', () => {
    expect(files.map((f) => f.path)).toEqual([
      'argocd/project.k8s.yaml',
      'argocd/applications.k8s.yaml',
      'argocd/bootstrap/root.k8s.yaml',
      'argocd/bootstrap/argocd-cm-health.k8s.yaml',
    ]);
  });

  test('one Application for dist/cluster (wave -1), one per portal (wave 0, recursive), all automated with prune', () => {
    const apps = byPath['argocd/applications.k8s.yaml'];
    expect(apps.map((a) => [a.metadata.name, a.metadata.annotations?.['argocd.argoproj.io/sync-wave']])).toEqual([
      ['workshops-cluster', '-1'],
      ['workshops-labs', '0'],
    ]);
    const [cluster, labs] = apps as Array<Manifest & { spec: Record<string, any> }>;
    expect(cluster.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: 'dist/cluster' });
    expect(cluster.spec.destination).toEqual({ server: 'https://kubernetes.default.svc' });
    expect(labs.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: 'dist/labs', directory: { recurse: true } });
    expect(labs.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'labs-ui' });
    for (const app of apps as Array<Manifest & { spec: Record<string, any> }>) {
      expect(app.metadata.namespace).toBe('argocd');
      expect(app.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
      expect(app.spec.project).toBe('workshops');
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(app.spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true', 'ApplyOutOfSyncOnly=true']);
      expect(app.spec.syncPolicy.retry).toEqual({ limit: 10, refresh: true, backoff: { duration: '5s', factor: 2, maxDuration: '1m' } });
    }
  });

  test('the root Application syncs dist/argocd without recursing (not bootstrap/, not itself)', () => {
    const [root] = byPath['argocd/bootstrap/root.k8s.yaml'] as Array<Manifest & { spec: Record<string, any> }>;
    expect(root.metadata.name).toBe('workshops-root');
    expect(root.metadata.finalizers).toBeUndefined();
    expect(root.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: 'dist/argocd', directory: { recurse: false } });
    expect(root.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'argocd' });
  });

  test('the AppProject allows exactly the kinds and namespaces of dist/', () => {
    const [project] = byPath['argocd/project.k8s.yaml'] as Array<Manifest & { spec: Record<string, any> }>;
    expect(project.spec.sourceRepos).toEqual([REPO]);
    expect(project.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual([
      '',
      'argocd',
      'default',
      'labs-container-builds',
      'labs-hello-terminal',
      'labs-k8s-fundamentals',
      'labs-ui',
    ]);
    const kinds = (list: Array<{ group: string; kind: string }>) => list.map((k) => `${k.group}/${k.kind}`);
    expect(kinds(project.spec.clusterResourceWhitelist)).toEqual([
      '/Namespace',
      'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
      'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
      'apiextensions.k8s.io/CustomResourceDefinition',
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
      'training.cdk8s-workshops.dev/TrainingPortal',
      'training.cdk8s-workshops.dev/WorkshopEnvironment',
    ]);
    expect(kinds(project.spec.namespaceResourceWhitelist)).toEqual([
      '/ConfigMap',
      '/Service',
      '/ServiceAccount',
      'apps/Deployment',
      'argoproj.io/AppProject',
      'argoproj.io/Application',
      'networking.k8s.io/Ingress',
      'networking.k8s.io/NetworkPolicy',
      'policy/PodDisruptionBudget',
      'rbac.authorization.k8s.io/Role',
      'rbac.authorization.k8s.io/RoleBinding',
    ]);
    // every object of dist/ is allowed by it
    const allowedKinds = new Set([...kinds(project.spec.clusterResourceWhitelist), ...kinds(project.spec.namespaceResourceWhitelist)]);
    const namespaces = new Set(project.spec.destinations.map((d: { namespace: string }) => d.namespace));
    for (const object of dist.flatMap((f) => f.objects)) {
      const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
      expect(allowedKinds.has(`${group}/${object.kind}`)).toBe(true);
      expect(namespaces.has(object.metadata.namespace ?? '')).toBe(true);
    }
  });

  test('a portal without workshops still allows WorkshopEnvironment, so its last removed one is pruned', () => {
    const app = new App({ outdir: '/nonexistent' });
    new TrainingPortal(app, 'empty', { ingressDomain: 'empty.example.com' });
    const [project] = argoCdFiles(synthesize(app), { repoURL: REPO }).find((f) => f.path === 'argocd/project.k8s.yaml')!.objects as Array<
      Manifest & { spec: Record<string, any> }
    >;
    expect(project.spec.clusterResourceWhitelist).toContainEqual({ group: 'training.cdk8s-workshops.dev', kind: 'WorkshopEnvironment' });
  });

  test('ships the health checks as argocd-cm keys', () => {
    const [cm] = byPath['argocd/bootstrap/argocd-cm-health.k8s.yaml'];
    expect(cm.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd', labels: { 'app.kubernetes.io/part-of': 'argocd' } });
    expect(Object.keys(cm.data as object)).toEqual([
      'resource.customizations.health.training.cdk8s-workshops.dev_WorkshopEnvironment',
      'resource.customizations.health.training.cdk8s-workshops.dev_TrainingPortal',
      'resource.customizations.health.training.cdk8s-workshops.dev_WorkshopSession',
      'resource.customizations.health.argoproj.io_Application',
    ]);
    expect(cm.data).toEqual(ARGOCD_HEALTH_CHECKS);
    const environment = ARGOCD_HEALTH_CHECKS['resource.customizations.health.training.cdk8s-workshops.dev_WorkshopEnvironment'];
    expect(environment).toContain('c.type == "Ready"');
    expect(environment).toContain('c.observedGeneration < generation');
    expect(environment).toContain('c.reason == "BlueprintInvalid" or c.reason == "RefillsPaused"');
    // the portal's check reads its Ready condition the same way; only the message before any report differs
    const portal = ARGOCD_HEALTH_CHECKS['resource.customizations.health.training.cdk8s-workshops.dev_TrainingPortal'];
    expect(portal.split('\n').slice(1)).toEqual(environment.split('\n').slice(1));
    expect(portal.split('\n')[0]).toBe(
      'local hs = { status = "Progressing", message = "the portal has not reported yet (is its Deployment running?)" }',
    );
  });

  test('is deterministic, and options change names, namespace and path', () => {
    expect(argoCdFiles(synthExamples(), { repoURL: REPO, targetRevision: 'main' }).map(toYaml)).toEqual(files.map(toYaml));
    const other = argoCdFiles(dist, { repoURL: 'git@github.com:acme/labs.git', path: './deploy/dist/', namespace: 'gitops', project: 'labs-prod' });
    const apps = other.find((f) => f.path === 'argocd/applications.k8s.yaml')!.objects as Array<Manifest & { spec: Record<string, any> }>;
    expect(apps.map((a) => [a.metadata.name, a.metadata.namespace, a.spec.source.path, a.spec.source.targetRevision, a.spec.project])).toEqual([
      ['labs-prod-cluster', 'gitops', 'deploy/dist/cluster', 'HEAD', 'labs-prod'],
      ['labs-prod-labs', 'gitops', 'deploy/dist/labs', 'HEAD', 'labs-prod'],
    ]);
  });

  test('refuses options it cannot honour, naming the field and the value', () => {
    expect(() => argoCdFiles(dist, { repoURL: 'dist' })).toThrow(
      "WorkshopApp argocd: repoURL 'dist' is not a git URL: use https://, http://, ssh://, git:// or user@host:path",
    );
    expect(() => argoCdFiles(dist, { repoURL: REPO, path: '../x' })).toThrow(
      "WorkshopApp argocd: path '../x' must be a relative folder inside the repository",
    );
    expect(() => argoCdFiles(dist, { repoURL: REPO, namespace: 'Argo_CD' })).toThrow(/namespace.*Argo_CD/);
  });

  test('WorkshopApp({ argocd }) writes argocd/ beside the rest; without it, nothing of Argo CD', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-synth-'));
    try {
      const app = new WorkshopApp({ outdir: out, argocd: { repoURL: REPO } });
      defineExamples(app);
      app.synth();
      expect(fs.readFileSync(path.join(out, 'argocd/bootstrap/root.k8s.yaml'), 'utf8')).toContain('path: dist/argocd');
      const plain = new WorkshopApp({ outdir: out });
      defineExamples(plain);
      plain.synth();
      expect(fs.existsSync(path.join(out, 'argocd'))).toBe(false);
      expect(fs.existsSync(path.join(out, 'cluster/crds.k8s.yaml'))).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the Ready condition of a WorkshopEnvironment', () => {
  const environment = (pool: Partial<WorkshopEnvironment['spec']['pool']>, generation = 2, initialized = true): WorkshopEnvironment => ({
    apiVersion: 'training.cdk8s-workshops.dev/v1alpha1',
    kind: 'WorkshopEnvironment',
    metadata: { name: 'labs-w', generation },
    spec: { pool: { capacity: 10, initial: 0, reserved: 2, ...pool } } as WorkshopEnvironment['spec'],
    status: { initialized },
  });
  const session = (name: string, phase: string, generation = 2, user?: string): WorkshopSession =>
    ({
      apiVersion: 'training.cdk8s-workshops.dev/v1alpha1',
      kind: 'WorkshopSession',
      metadata: { name },
      spec: { environment: 'labs-w', id: name, blueprintGeneration: generation },
      status: { phase, ...(user ? { user } : {}) },
    }) as unknown as WorkshopSession;
  const now = Date.parse('2026-12-06T08:00:00Z');

  test('PoolFilling until the reserves on the current blueprint are Ready, then PoolReady', () => {
    expect(readyCondition(environment({}), { sessions: [session('a', 'Ready'), session('b', 'Starting')], now })).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'PoolFilling',
      message: '1 of 2 reserve sessions Ready',
      observedGeneration: 2,
    });
    expect(readyCondition(environment({}), { sessions: [session('a', 'Ready'), session('b', 'Ready')], now })).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'PoolReady',
      message: '2 of 2 reserve sessions Ready (capacity 10)',
      observedGeneration: 2,
    });
  });

  test("reserves of an older blueprint do not count; learners' sessions take room", () => {
    expect(readyCondition(environment({}), { sessions: [session('a', 'Ready', 1), session('b', 'Ready')], now }).reason).toBe('PoolFilling');
    const full = environment({ capacity: 2 });
    expect(readyCondition(full, { sessions: [session('a', 'Active', 2, 'ann'), session('b', 'Ready')], now })).toMatchObject({
      status: 'True',
      reason: 'PoolReady',
    });
  });

  test('OnDemand before anyone asks when initial is 0; RefillsPaused and BlueprintInvalid win', () => {
    expect(readyCondition(environment({ reserved: 0 }, 1, false), { sessions: [], now })).toMatchObject({ status: 'True', reason: 'OnDemand' });
    expect(readyCondition(environment({}), { sessions: [], pausedUntil: now + 5000, now })).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'RefillsPaused',
      message: 'sessions failed repeatedly; refills resume at 2026-12-06T08:00:05.000Z',
      observedGeneration: 2,
    });
    expect(readyCondition(environment({}), { sessions: [], pausedUntil: now - 1, now }).reason).toBe('PoolFilling');
    expect(readyCondition(environment({}), { sessions: [], pausedUntil: now + 5000, blueprintError: 'bad', now })).toMatchObject({
      status: 'False',
      reason: 'BlueprintInvalid',
      message: 'bad',
    });
  });

  test('Draining once deleted: how many learners it waits for and until when; nothing else counts', () => {
    const deleted = { ...environment({}), metadata: { name: 'labs-w', generation: 3, deletionTimestamp: '2026-12-06T07:59:00Z' } };
    const held = (name: string, phase: string, deadlineAt: string) =>
      ({ ...session(name, phase, 2, name), status: { phase, user: name, deadlineAt } }) as unknown as WorkshopSession;
    expect(
      readyCondition(deleted, {
        sessions: [
          held('ann', 'Active', '2026-12-06T08:20:00.000Z'),
          held('bob', 'Idle', '2026-12-06T08:10:00.000Z'),
          held('cyd', 'Terminating', '2026-12-06T08:30:00.000Z'),
          session('r', 'Ready'),
        ],
        blueprintError: 'bad',
        now,
      }),
    ).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'Draining',
      observedGeneration: 3,
      message: "being removed: takes no new sessions; waits for 2 learners' sessions to end (the last by 2026-12-06T08:20:00.000Z)",
    });
    expect(readyCondition(deleted, { sessions: [], now }).message).toBe(
      "being removed: no learner's session left; it goes once every session is cleaned up",
    );
  });
});

describe('the Ready condition of a TrainingPortal', () => {
  const portal = (environments: string[], generation = 3): TrainingPortalObject => ({
    apiVersion: 'training.cdk8s-workshops.dev/v1alpha1',
    kind: 'TrainingPortal',
    metadata: { name: 'labs', generation },
    spec: { namespace: 'labs-ui', environments },
  });
  type Ready = { status: string; reason: string; message: string; observedGeneration?: number };
  const environment = (name: string, ready?: Ready, generation = 1, deleted = false): WorkshopEnvironment =>
    ({
      apiVersion: 'training.cdk8s-workshops.dev/v1alpha1',
      kind: 'WorkshopEnvironment',
      metadata: { name, generation, ...(deleted ? { deletionTimestamp: '2026-12-06T07:59:00Z' } : {}) },
      spec: { portal: { name: 'labs' }, pool: { capacity: 4, initial: 1, reserved: 1 } },
      status: ready ? { conditions: [{ type: 'Ready', observedGeneration: generation, ...ready }] } : {},
    }) as unknown as WorkshopEnvironment;
  const session = (name: string, environmentName: string, phase: string, user?: string): WorkshopSession =>
    ({
      apiVersion: 'training.cdk8s-workshops.dev/v1alpha1',
      kind: 'WorkshopSession',
      metadata: { name },
      spec: { environment: environmentName, id: name, blueprintGeneration: 1 },
      status: { phase, ...(user ? { user } : {}) },
    }) as unknown as WorkshopSession;
  const ok = { status: 'True', reason: 'PoolReady', message: '1 of 1 reserve sessions Ready (capacity 4)' };
  const sessions = [session('a-1', 'labs-a', 'Ready'), session('a-2', 'labs-a', 'Active', 'ann'), session('a-3', 'labs-a', 'Terminating')];
  const sessionsOf = (name: string) => sessions.filter((s) => s.spec.environment === name);

  test('EnvironmentsReady when every listed environment is Ready on its generation; a line per environment with counts', () => {
    expect(portalReadiness(portal(['labs-a', 'labs-b']), [environment('labs-a', ok), environment('labs-b', ok)], sessionsOf)).toEqual({
      condition: { type: 'Ready', status: 'True', reason: 'EnvironmentsReady', message: '2 of 2 environments Ready', observedGeneration: 3 },
      environments: [
        { name: 'labs-a', ready: 'True', reason: 'PoolReady', reserves: 1, allocated: 1 },
        { name: 'labs-b', ready: 'True', reason: 'PoolReady', reserves: 0, allocated: 0 },
      ],
    });
    expect(portalReadiness(portal([]), [], sessionsOf).condition).toMatchObject({ status: 'True', message: 'the portal lists no workshops' });
  });

  test('not created or not reported on its generation: EnvironmentsPending, naming each', () => {
    const stale = { ...environment('labs-b', ok), metadata: { name: 'labs-b', generation: 2 } } as WorkshopEnvironment;
    expect(portalReadiness(portal(['labs-a', 'labs-b', 'labs-c']), [environment('labs-a', ok), stale], sessionsOf).condition).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'EnvironmentsPending',
      observedGeneration: 3,
      message: '1 of 3 environments Ready; labs-b NotReported: the runtime has not reported on generation 2 yet; labs-c NotCreated: not created yet',
    });
  });

  test('an environment that needs a person wins (BlueprintInvalid before RefillsPaused), the others follow in the message', () => {
    const filling = { status: 'False', reason: 'PoolFilling', message: '0 of 1 reserve sessions Ready' };
    const paused = { status: 'False', reason: 'RefillsPaused', message: 'sessions failed repeatedly; refills resume at 2026-12-06T08:00:05.000Z' };
    const invalid = { status: 'False', reason: 'BlueprintInvalid', message: 'the session blueprint does not compile: x' };
    expect(
      portalReadiness(portal(['labs-a', 'labs-b']), [environment('labs-a', filling), environment('labs-b', paused)], sessionsOf).condition,
    ).toMatchObject({
      status: 'False',
      reason: 'RefillsPaused',
      message:
        '0 of 2 environments Ready; labs-b RefillsPaused: sessions failed repeatedly; refills resume at 2026-12-06T08:00:05.000Z; ' +
        'labs-a PoolFilling: 0 of 1 reserve sessions Ready',
    });
    expect(
      portalReadiness(
        portal(['labs-a', 'labs-b', 'labs-c']),
        [environment('labs-a', filling), environment('labs-b', paused), environment('labs-c', invalid)],
        sessionsOf,
      ).condition.reason,
    ).toBe('BlueprintInvalid');
    expect(portalReadiness(portal(['labs-a']), [environment('labs-a', filling)], sessionsOf).condition.reason).toBe('PoolsFilling');
  });

  test('an environment removed from the portal still counts while it drains; long messages are cut', () => {
    const draining = { status: 'False', reason: 'Draining', message: "being removed: takes no new sessions; waits for 1 learner's session to end" };
    const result = portalReadiness(portal(['labs-a']), [environment('labs-a', ok), environment('labs-gone', draining, 1, true)], sessionsOf);
    expect(result.condition).toMatchObject({
      status: 'False',
      reason: 'Draining',
      message: `1 of 1 environments Ready; labs-gone Draining: ${draining.message}`,
    });
    expect(result.environments.map((l) => [l.name, l.ready, l.reason])).toEqual([
      ['labs-a', 'True', 'PoolReady'],
      ['labs-gone', 'False', 'Draining'],
    ]);
    const many = Array.from({ length: 40 }, (_, i) => `labs-${i}`);
    const message = portalReadiness(portal(many), [], sessionsOf).condition.message;
    expect(message.length).toBe(1000);
    expect(message.endsWith('…')).toBe(true);
  });
});

test('workshops validate knows the TrainingPortal CRD: a misspelt field of it is named', () => {
  const dist = synthExamples();
  const objects = dist.flatMap((f) => f.objects);
  expect(unknownFields(objects)).toEqual([]);
  const portal = objects.find((o) => o.kind === 'TrainingPortal')!;
  const misspelt = { ...portal, spec: { ...(portal.spec as object), enviroments: ['labs-x'] } };
  expect(unknownFields([...objects.filter((o) => o !== portal), misspelt]).map(describeUnknownField)).toEqual([
    expect.stringMatching(/^TrainingPortal labs: unknown field 'spec.enviroments' \(did you mean 'environments'\?/),
  ]);
});
