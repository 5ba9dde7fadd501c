/**
 * The portal maximum on the real control plane: reserves count towards it, a learner's request at the maximum
 * evicts the oldest reserve of another workshop, and with nothing to evict the answer is "no capacity". Also the
 * refresh timer, which replaces reserves older than its age.
 */
import { KubeClient, phaseOf, type SessionRuntime } from '../../src/runtime/index.js';
import { applyFixture, type Fixture, runtimeFor, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let fixture: Fixture;
let runtime: SessionRuntime;

const live = (workshop?: string) => runtime.state.liveSessions().filter((s) => !workshop || s.spec.environment === fixture.environment(workshop));

beforeAll(async () => {
  fixture = synthPortal(
    'lim',
    [
      { name: 'alpha', capacity: 3, reserved: 2 },
      { name: 'beta', capacity: 3, reserved: 1 },
      { name: 'fresh', capacity: 2, reserved: 1, refresh: seconds(4) },
    ],
    { maximum: 4 },
  );
  await applyFixture(client, fixture);
  runtime = runtimeFor(client, fixture, { limits: { maximum: 4, registered: 0, anonymous: 0 } });
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  await client.close();
});

test('reserves fill the portal only up to its maximum', async () => {
  await waitFor('4 ready sessions', () => live().filter((s) => phaseOf(s) === 'Ready').length === 4);
  // a full pass of the reconciler with every pool short of its reserves: still 4
  await runtime.reconcilerPass();
  expect(live().length).toBe(4);
});

test("at the maximum, a learner's request evicts the oldest reserve of another workshop", async () => {
  // take every reserve of beta, so that the next beta learner needs a new session
  const betaReserves = live('beta').filter((s) => !s.status?.user);
  for (let i = 0; i < betaReserves.length; i++) {
    const taken = await runtime.allocate({ environment: fixture.environment('beta'), user: `taker-${i}` });
    expect('session' in taken && taken.source).toBe('pool');
  }
  const others = live().filter((s) => !s.status?.user && s.spec.environment !== fixture.environment('beta'));
  const oldest = others.sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)))[0];
  const result = await runtime.allocate({ environment: fixture.environment('beta'), user: 'newcomer' });
  expect('session' in result && result.source).toBe('created');
  const evicted = runtime.session(oldest.metadata.name);
  // the oldest reserve, unless the refresh timer recycled it just before (then the next oldest went)
  const evictedOthers = runtime.state.sessions
    .list()
    .filter((s) => s.status?.reason === 'Evicted' && s.spec.environment !== fixture.environment('beta'));
  expect(
    !evicted ||
      evicted.metadata.uid !== oldest.metadata.uid ||
      evicted.status?.reason === 'Evicted' ||
      (evicted.status?.reason === 'Recycled' && evictedOthers.length === 1),
  ).toBe(true);
  const terminations = await (await runtime.metrics.registry.getSingleMetric('workshops_session_terminations_total')!.get()).values;
  expect(terminations.some((v) => v.labels.reason === 'Evicted' && v.value >= 1)).toBe(true);
  expect(live().length).toBeLessThanOrEqual(4);
});

test('with only allocated sessions at the maximum, a request is refused', async () => {
  // allocate until nothing unallocated is left anywhere
  for (let i = 0; i < 6 && live().some((s) => !s.status?.user); i++) {
    const reserve = live().find((s) => !s.status?.user)!;
    await runtime.allocate({ environment: reserve.spec.environment, user: `filler-${i}` });
  }
  await waitFor('no reserves left', () => live().every((s) => s.status?.user));
  const refused = await runtime.allocate({ environment: fixture.environment('alpha'), user: 'late' });
  expect(refused).toMatchObject({ refused: 'no-capacity' });
});

test('refresh replaces reserves older than its age', async () => {
  // free room under the maximum: end everything, so the fresh environment keeps a reserve
  for (const s of live()) await runtime.terminate(s.metadata.name, 'TerminatedByAdmin');
  const first = await waitFor('a fresh reserve', () => live('fresh').find((s) => !s.status?.user && phaseOf(s) === 'Ready'), 60_000);
  const replaced = await waitFor(
    'the reserve recycled',
    () => {
      const s = runtime.session(first.metadata.name);
      return !s || s.metadata.uid !== first.metadata.uid || s.status?.reason === 'Recycled' ? true : undefined;
    },
    30_000,
  );
  expect(replaced).toBe(true);
  await waitFor('a new reserve', () => live('fresh').some((s) => !s.status?.user && s.metadata.uid !== first.metadata.uid));
});
