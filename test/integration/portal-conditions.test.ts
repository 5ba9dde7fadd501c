/**
 * The portal's own readiness in its TrainingPortal (src/runtime/portal-conditions.ts), on the test control plane, with
 * the runtime authenticated as the portal's own synthesized ServiceAccount: `Ready=True EnvironmentsReady` once its
 * pools are filled, with `observedGeneration` and a line per environment; nothing written while nothing changes; a
 * new generation listing an environment that does not exist is `EnvironmentsPending`, sessions that keep failing are
 * `RefillsPaused` (Degraded to Argo CD), each naming the environment; and the portal's ServiceAccount may read and
 * patch the status of its own TrainingPortal only: another portal's, its own spec, deleting, listing or creating one
 * are refused. (test/integration/argocd.test.ts shows Argo CD reading the same condition.)
 */
import { API_VERSION, type Manifest } from '../../src/constructs/index.js';
import { releaseEnvironments } from '../../src/runtime/drain.js';
import { createLogger, KubeClient, KubeError, type SessionRuntime } from '../../src/runtime/index.js';
import { type PortalConditions, reportPortalReadiness, type TrainingPortalObject } from '../../src/runtime/portal-conditions.js';
import { removeServiceAccountKubeconfigs, serviceAccountKubeconfig } from '../support/identities.js';
import { applyFixture, type Fixture, runtimeFor, synthPortal, waitFor } from '../support/portal-fixture.js';

const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let portalClient: KubeClient;
let fixture: Fixture;
let other: Fixture;
let runtime: SessionRuntime;
let reporter: PortalConditions;

const trainingPortal = (name: string) => admin.get<TrainingPortalObject>(API_VERSION, 'TrainingPortal', name);
const ready = (portal?: TrainingPortalObject) => portal?.status?.conditions?.find((c) => c.type === 'Ready');

async function refusal(what: Promise<unknown>): Promise<number> {
  try {
    await what;
  } catch (error) {
    if (error instanceof KubeError) return error.status;
    throw error;
  }
  return 200;
}

beforeAll(async () => {
  fixture = synthPortal('pcnd', [
    { name: 'one', capacity: 3, reserved: 1 },
    { name: 'two', capacity: 3, reserved: 1 },
  ]);
  other = synthPortal('pcnx', [{ name: 'solo', capacity: 1, reserved: 0, initial: 0 }]);
  await applyFixture(admin, fixture);
  await applyFixture(admin, other);
  portalClient = KubeClient.fromKubeconfig(await serviceAccountKubeconfig('pcnd-ui', 'training-portal'));
  runtime = runtimeFor(portalClient, fixture);
  reporter = reportPortalReadiness(runtime, createLogger('test', process.env.LOG_LEVEL ?? 'silent'), {
    minIntervalMs: 100,
    resyncMs: 300,
    countsIntervalMs: 1000,
    missingRetryMs: 300,
  });
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  await releaseEnvironments(admin, 'pcnd').catch(() => undefined);
  for (const name of ['pcnd', 'pcnx']) await admin.delete(API_VERSION, 'TrainingPortal', name).catch(() => undefined);
  removeServiceAccountKubeconfigs();
  await admin.close();
});

test('Ready=True EnvironmentsReady once every pool is filled, for the generation it saw, with a line per environment', async () => {
  const portal = await waitFor('the portal Ready', async () => {
    const live = await trainingPortal('pcnd');
    return ready(live)?.status === 'True' ? live : undefined;
  });
  expect(ready(portal)).toMatchObject({
    status: 'True',
    reason: 'EnvironmentsReady',
    message: '2 of 2 environments Ready',
    observedGeneration: portal!.metadata.generation,
  });
  expect(portal!.status!.observedGeneration).toBe(portal!.metadata.generation);
  expect(portal!.status!.environments!.map((l) => [l.name, l.ready, l.reason, l.reserves])).toEqual([
    ['pcnd-one', 'True', 'PoolReady', 1],
    ['pcnd-two', 'True', 'PoolReady', 1],
  ]);
  // the synthesized summary the condition is computed against
  expect(portal!.spec).toMatchObject({ namespace: 'pcnd-ui', environments: ['pcnd-one', 'pcnd-two'] });
  // the other portal has no runtime: nothing reports on it
  expect((await trainingPortal('pcnx'))?.status?.conditions).toBeUndefined();
});

test('written only on change: while nothing changes the portal reads its TrainingPortal but writes nothing', async () => {
  await waitFor('the portal Ready', async () => ready(await trainingPortal('pcnd'))?.status === 'True');
  const before = await trainingPortal('pcnd');
  const { reads, writes } = reporter;
  await waitFor('five more reads', () => reporter.reads >= reads + 5);
  expect(reporter.writes).toBe(writes);
  expect((await trainingPortal('pcnd'))!.metadata.resourceVersion).toBe(before!.metadata.resourceVersion);
});

test('a new generation listing a missing environment is EnvironmentsPending; failing sessions are RefillsPaused; each heals', async () => {
  // the portal's spec now lists an environment nobody created
  await admin.request('PATCH', admin.pathFor(API_VERSION, 'TrainingPortal', 'pcnd'), {
    body: { spec: { environments: ['pcnd-one', 'pcnd-two', 'pcnd-three'] } },
    contentType: 'application/merge-patch+json',
  });
  const pending = await waitFor('EnvironmentsPending for the new generation', async () => {
    const live = await trainingPortal('pcnd');
    const condition = ready(live);
    return condition?.reason === 'EnvironmentsPending' && condition.observedGeneration === live!.metadata.generation ? condition : undefined;
  });
  expect(pending).toMatchObject({ status: 'False', message: '2 of 3 environments Ready; pcnd-three NotCreated: not created yet' });
  await admin.request('PATCH', admin.pathFor(API_VERSION, 'TrainingPortal', 'pcnd'), {
    body: { spec: { environments: ['pcnd-one', 'pcnd-two'] } },
    contentType: 'application/merge-patch+json',
  });
  await waitFor('Ready again', async () => ready(await trainingPortal('pcnd'))?.status === 'True');

  // every new session of pcnd-two now fails: the API server refuses a ConfigMap key its blueprint has
  const two = (await admin.get<Manifest & { spec: { session: { objects: Manifest[] } } }>(API_VERSION, 'WorkshopEnvironment', 'pcnd-two'))!;
  const good = two.spec.session.objects;
  const namespace = good.find((o) => o.kind === 'Namespace')!.metadata.name;
  const bad = [...good, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'broken', namespace }, data: { 'not a key!': 'x' } }];
  const setObjects = (objects: unknown[]) =>
    admin.request('PATCH', admin.pathFor(API_VERSION, 'WorkshopEnvironment', 'pcnd-two'), {
      body: { spec: { session: { objects } } },
      contentType: 'application/merge-patch+json',
    });
  await setObjects(bad);
  const paused = await waitFor(
    'RefillsPaused',
    async () => {
      const condition = ready(await trainingPortal('pcnd'));
      return condition?.reason === 'RefillsPaused' ? condition : undefined;
    },
    120_000,
  );
  expect(paused.status).toBe('False');
  expect(paused.message).toMatch(/^1 of 2 environments Ready; pcnd-two RefillsPaused: sessions failed repeatedly; refills resume at /);
  await setObjects(good);
  await waitFor('Ready after the fix', async () => ready(await trainingPortal('pcnd'))?.status === 'True', 120_000);
});

test("the portal's ServiceAccount reads and patches the status of its own TrainingPortal only", async () => {
  const path = (name: string) => portalClient.pathFor(API_VERSION, 'TrainingPortal', name);
  const patch = (url: string, body: unknown) => portalClient.request('PATCH', url, { body, contentType: 'application/merge-patch+json' });
  // its own: read, and its status written (the tests above saw it write)
  expect(await refusal(portalClient.get(API_VERSION, 'TrainingPortal', 'pcnd'))).toBe(200);
  // another portal's: neither read nor written, not even its status
  expect(await refusal(portalClient.request('GET', path('pcnx')))).toBe(403);
  expect(await refusal(patch(`${path('pcnx')}/status`, { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Forged' }] } }))).toBe(403);
  expect(await refusal(patch(path('pcnx'), { spec: { environments: [] } }))).toBe(403);
  // its own spec, deletion, a new one, the list: refused
  expect(await refusal(patch(path('pcnd'), { spec: { environments: [] } }))).toBe(403);
  expect(await refusal(portalClient.request('DELETE', path('pcnd')))).toBe(403);
  expect(await refusal(portalClient.request('GET', portalClient.collectionPath(API_VERSION, 'TrainingPortal')))).toBe(403);
  expect(
    await refusal(
      portalClient.request('POST', portalClient.collectionPath(API_VERSION, 'TrainingPortal'), {
        body: { apiVersion: API_VERSION, kind: 'TrainingPortal', metadata: { name: 'pcnd-forged' }, spec: { namespace: 'x', environments: [] } },
      }),
    ),
  ).toBe(403);
  expect((await trainingPortal('pcnx'))?.status?.conditions).toBeUndefined();
  expect(await trainingPortal('pcnd-forged')).toBeUndefined();
});
