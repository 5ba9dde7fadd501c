/**
 * A WorkshopEnvironment deleted while a learner works in it drains (src/runtime/drain.ts), on the test control plane:
 * the runtime holds it with its finalizer, so the deletion only marks it; its reserves end at once, it makes no new
 * ones and takes no new learner, the learner keeps her session until it expires as it would have, and only then is
 * the environment gone, with nothing of its sessions left. Another environment of the same portal is untouched.
 * (With Argo CD, test/integration/argocd.test.ts shows the prune waiting for this before the namespace goes.)
 */
import { API_VERSION } from '../../src/constructs/index.js';
import { DRAIN_FINALIZER, releaseEnvironments } from '../../src/runtime/drain.js';
import { isLive, KubeClient, phaseOf, type SessionRuntime, type WorkshopSession } from '../../src/runtime/index.js';
import type { WorkshopEnvironment } from '../../src/runtime/state.js';
import { applyFixture, type Fixture, runtimeFor, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

let fixture: Fixture;
let runtime: SessionRuntime;

type Environment = WorkshopEnvironment & { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } };
const environment = (name: string) => client.get<Environment>(API_VERSION, 'WorkshopEnvironment', name);

beforeAll(async () => {
  fixture = synthPortal('drn', [
    { name: 'going', capacity: 4, reserved: 2, expires: seconds(12) },
    { name: 'staying', capacity: 2, reserved: 1 },
  ]);
  await applyFixture(client, fixture);
  runtime = runtimeFor(client, fixture, { limits: { maximum: 0, registered: 2, anonymous: 1 } });
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  // no runtime holds them now: the cluster is shared with other test files, which may delete environments
  await releaseEnvironments(client, 'drn');
  await client.close();
});

test("a deleted environment drains: reserves end at once, no new sessions, the learner's runs to its expiry, then it goes", async () => {
  const going = fixture.environment('going');
  const staying = fixture.environment('staying');
  const readyReserves = (name: string) => runtime.state.sessionsOf(name).filter((s) => isLive(s) && !s.status?.user && phaseOf(s) === 'Ready');
  await waitFor(
    'the pools filled and the environments held',
    async () =>
      readyReserves(going).length === 2 &&
      readyReserves(staying).length === 1 &&
      ((await environment(going))?.metadata.finalizers as string[] | undefined)?.includes(DRAIN_FINALIZER) &&
      ((await environment(staying))?.metadata.finalizers as string[] | undefined)?.includes(DRAIN_FINALIZER),
  );

  // every session the environment ever has from here on
  const seen = new Set(runtime.state.sessionsOf(going).map((s) => s.metadata.name));
  let mine = '';
  let ending: { reason?: string; at: number } | undefined;
  const record = (_type: string, session: WorkshopSession) => {
    if (session.spec?.environment === going) seen.add(session.metadata.name);
    if (session.metadata.name === mine && !ending && !isLive(session)) ending = { reason: session.status?.reason, at: Date.now() };
  };
  runtime.state.sessions.on('change', record);

  const held = await runtime.allocate({ environment: going, user: 'ann' });
  if (!('session' in held)) throw new Error(`no session for ann: ${held.message}`);
  mine = held.session.metadata.name;
  const expiresAt = Date.parse(held.session.status!.expiresAt!);
  await runtime.reportActivity(mine);
  // the refill behind ann's session comes before the deletion: a third reserve
  await waitFor('the pool refilled behind ann', () => readyReserves(going).length === 2);
  const reserves = readyReserves(going).map((s) => s.metadata.name);

  await client.delete(API_VERSION, 'WorkshopEnvironment', going);
  const draining = await waitFor('the environment Draining', async () => {
    const live = await environment(going);
    const ready = live?.status?.conditions?.find((c) => c.type === 'Ready');
    return live?.metadata.deletionTimestamp && ready?.reason === 'Draining' ? ready : undefined;
  });
  expect(draining).toMatchObject({
    status: 'False',
    message: expect.stringMatching(/^being removed: takes no new sessions; waits for 1 learner's session to end/),
  });

  // its reserves end at once; a new learner is refused; ann still has hers, and gets it again when she asks
  await waitFor('the reserves gone', async () =>
    (await Promise.all(reserves.map((name) => client.get(API_VERSION, 'WorkshopSession', name)))).every((s) => !s),
  );
  const refused = await runtime.allocate({ environment: going, user: 'bob' });
  expect(refused).toEqual({ refused: 'unknown-environment', message: `workshop environment '${going}' is being removed: it takes no new sessions` });
  const again = await runtime.allocate({ environment: going, user: 'ann' });
  expect('session' in again && again.session.metadata.name).toBe(mine);
  expect(isLive(runtime.session(mine)!)).toBe(true);
  expect(await environment(going)).toBeDefined();

  // ann's session ends when it expires, not before; then the environment goes, and nothing of its sessions is left
  await waitFor('the environment gone', async () => !(await environment(going)), 120_000);
  const ended = (await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession')).filter((s) => s.spec.environment === going);
  expect(ended).toEqual([]);
  for (const name of seen) expect(await client.get('v1', 'Namespace', name)).toBeUndefined();
  runtime.state.sessions.off('change', record);
  // no session was made for it after the deletion: the two reserves and ann's (and the one before, taken by ann)
  expect([...seen].sort()).toEqual([...new Set([...reserves, mine])].sort());
  // the learner's session ran to its expiry and ended for that reason
  expect(ending?.reason).toBe('Expired');
  expect(ending!.at).toBeGreaterThanOrEqual(expiresAt);

  // the other environment of the portal keeps its finalizer and its pool
  expect((await environment(staying))?.metadata.finalizers as string[] | undefined).toContain(DRAIN_FINALIZER);
  expect(readyReserves(staying)).toHaveLength(1);
}, 240_000);

test('without a runtime, releaseEnvironments lets a deletion through at once (a portal removed with its environments)', async () => {
  const staying = fixture.environment('staying');
  await runtime.stop();
  expect(await releaseEnvironments(client, 'drn')).toEqual([staying]);
  expect((await environment(staying))?.metadata.finalizers).toBeUndefined();
  await client.delete(API_VERSION, 'WorkshopEnvironment', staying);
  await waitFor('the environment gone', async () => !(await environment(staying)));
}, 60_000);
