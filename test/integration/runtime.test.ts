/**
 * The session runtime on the real control plane: pools, allocation, capacity, caps, eviction, timers, blueprint
 * updates and clean termination, each observed through the WorkshopSession objects and the cluster itself.
 */
import { API_VERSION, Labels, RequestParameter, workshopPodNames } from '../../src/constructs/index.js';
import { runtimeApi } from '../../src/portal/runtime-api.js';
import { KubeClient, phaseOf, type SessionRuntime, type WorkshopSession } from '../../src/runtime/index.js';
import { applyFixture, type Fixture, runtimeFor, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

const WORKSHOPS = [
  {
    name: 'pool',
    capacity: 6,
    initial: 3,
    reserved: 2,
    secrets: [{ namespace: 'default', name: 'rt-shared-token' }],
    parameters: [RequestParameter.fixed('GREETING', 'hello'), RequestParameter.generated('PASSWORD', '[A-Z0-9]{10}')],
  },
  { name: 'ondemand', capacity: 2, initial: 0, reserved: 0 },
  { name: 'expiry', capacity: 3, reserved: 1, expires: seconds(6), overtime: seconds(5), deadline: seconds(9) },
  { name: 'idle', capacity: 3, reserved: 1, orphaned: seconds(3) },
  { name: 'overdue', capacity: 3, reserved: 1, overdue: seconds(2) },
  { name: 'update', capacity: 4, reserved: 2 },
];

let fixture: Fixture;
let runtime: SessionRuntime;

const sessionsOf = (workshop: string) => runtime.state.sessionsOf(fixture.environment(workshop));
const livePhases = (workshop: string) =>
  sessionsOf(workshop)
    .filter((s) => !['Terminating', 'Failed'].includes(phaseOf(s)))
    .map(phaseOf)
    .sort();

async function allocate(workshop: string, user: string) {
  const result = await runtime.allocate({ environment: fixture.environment(workshop), user });
  if (!('session' in result)) throw new Error(`no session for ${user}: ${result.refused}`);
  return result;
}

async function ready(name: string): Promise<WorkshopSession> {
  return waitFor(`${name} Ready`, () => {
    const s = runtime.session(name);
    return s && ['Ready', 'Active'].includes(phaseOf(s)) && s.status?.readyAt ? s : undefined;
  });
}

async function gone(name: string) {
  await waitFor(
    `${name} to be deleted`,
    async () => !(await client.get(API_VERSION, 'WorkshopSession', name)) && !(await client.get('v1', 'Namespace', name)),
    90_000,
  );
}

beforeAll(async () => {
  await client.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'rt-shared-token', namespace: 'default' },
    type: 'Opaque',
    stringData: { token: 's3cret' },
  });
  fixture = synthPortal('rt', WORKSHOPS, { registered: 3 });
  await applyFixture(client, fixture);
  runtime = runtimeFor(client, fixture, { limits: { maximum: 0, registered: 3, anonymous: 1 } });
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  await client.close();
});

describe('pools', () => {
  test('the pool fills to initial, every session reaching Ready through Creating and Starting', async () => {
    await waitFor('3 ready reserves', () => livePhases('pool').join() === 'Ready,Ready,Ready');
    const session = sessionsOf('pool')[0];
    expect(session.status!.history!.map((h) => h.phase)).toEqual(['Creating', 'Starting', 'Ready']);
    const ns = await client.get('v1', 'Namespace', session.metadata.name);
    expect(ns!.metadata.ownerReferences![0]).toMatchObject({ kind: 'WorkshopSession', name: session.metadata.name, uid: session.metadata.uid });
    // an event records each phase change (written in the background, after the change itself: waited for)
    const reasons = async () =>
      (
        await client.request<{ items: Array<{ reason: string }> }>('GET', '/api/v1/namespaces/default/events', {
          query: { fieldSelector: `involvedObject.name=${session.metadata.name}` },
        })
      ).items
        .map((e) => e.reason)
        .sort();
    await waitFor('an Event for each of the three phases', async () => (await reasons()).length >= 3, 30_000);
    expect(await reasons()).toEqual(['Creating', 'Ready', 'Starting']);
  });

  test('allocation takes a Ready reserve, and the pool tops up to reserved only once allocations eat into initial', async () => {
    const first = await allocate('pool', 'alice');
    expect(first.source).toBe('pool');
    expect(first.session.status).toMatchObject({ phase: 'Ready', user: 'alice', reason: 'Allocated' });
    expect(first.session.status!.history!.slice(-3).map((h) => h.phase)).toEqual(['Requested', 'Allocating', 'Ready']);
    // 2 reserves left = reserved: after a full pass of the reconciler, nothing new
    await runtime.reconcilerPass();
    expect(sessionsOf('pool').length).toBe(3);
    await allocate('pool', 'bob');
    await waitFor('the pool back at 2 reserves', () => sessionsOf('pool').filter((s) => !s.status?.user && phaseOf(s) === 'Ready').length === 2);
    expect(sessionsOf('pool').length).toBe(4);
  });

  test("the workshop's secrets are copied into the environment and every session; a learner's request lands in the session", async () => {
    const session = sessionsOf('pool').find((s) => s.status?.user === 'alice')!;
    const decode = (secret?: { data?: Record<string, string> }, key = 'token') => Buffer.from(secret?.data?.[key] ?? '', 'base64').toString();
    expect(decode(await client.get('v1', 'Secret', 'rt-shared-token', fixture.environment('pool')))).toBe('s3cret');
    expect(decode(await client.get('v1', 'Secret', 'rt-shared-token', session.metadata.name))).toBe('s3cret');
    const request = await waitFor('the request secret', () =>
      client.get<{ data?: Record<string, string> }>('v1', 'Secret', 'workshop-request', session.metadata.name),
    );
    expect(decode(request, 'username')).toBe('alice');
    expect(decode(request, 'GREETING')).toBe('hello');
    expect(decode(request, 'PASSWORD')).toMatch(/^[A-Z0-9]{10}$/);
    // reserves nobody has yet carry no request
    const reserve = sessionsOf('pool').find((s) => !s.status?.user && phaseOf(s) === 'Ready')!;
    expect(await client.get('v1', 'Secret', 'workshop-request', reserve.metadata.name)).toBeUndefined();
  });

  test('a learner who already has a session gets it back', async () => {
    const again = await allocate('pool', 'alice');
    expect(again.source).toBe('existing');
    expect(again.session.status!.user).toBe('alice');
  });

  test('with no reserves, a session is created on demand, and capacity is a hard limit', async () => {
    expect(sessionsOf('ondemand')).toEqual([]);
    const first = await allocate('ondemand', 'carol');
    expect(first.source).toBe('created');
    expect(first.session.status!.history!.map((h) => h.phase)).toEqual(['Requested', 'Allocating', 'Creating']);
    const readyFirst = await ready(first.session.metadata.name);
    expect(readyFirst.status!.history!.map((h) => h.phase)).toEqual(['Requested', 'Allocating', 'Creating', 'Starting', 'Ready']);
    await allocate('ondemand', 'dave');
    const third = await runtime.allocate({ environment: fixture.environment('ondemand'), user: 'erin' });
    expect(third).toEqual({
      refused: 'no-capacity',
      message: "no session of 'Workshop ondemand' is available right now: try again in a few minutes",
    });
  });

  test('per-user caps: a registered learner holds at most 3 sessions, an anonymous one 1', async () => {
    await allocate('idle', 'carol');
    await allocate('update', 'carol');
    const fourth = await runtime.allocate({ environment: fixture.environment('overdue'), user: 'carol' });
    expect(fourth).toEqual({ refused: 'user-limit', message: 'you already have 3 session(s), the most this portal allows at once' });
    const anonymous = await runtime.allocate({ environment: fixture.environment('update'), user: 'anon-1', anonymous: true });
    expect('session' in anonymous).toBe(true);
    const second = await runtime.allocate({ environment: fixture.environment('pool'), user: 'anon-1', anonymous: true });
    expect(second).toMatchObject({ refused: 'user-limit' });
  });
});

describe('timers', () => {
  test('a session expires, after one extension within its deadline; a second extension is refused', async () => {
    const { session } = await allocate('expiry', 'frank');
    const name = session.metadata.name;
    const extended = await runtime.extend(name);
    expect('session' in extended).toBe(true);
    const deadline = Date.parse(session.status!.deadlineAt!);
    expect(Date.parse((extended as { session: WorkshopSession }).session.status!.expiresAt!)).toBe(deadline);
    expect(await runtime.extend(name)).toEqual({ refused: 'the session has reached its deadline' });
    const ended = await waitFor(
      'expiry',
      () => {
        const s = runtime.session(name);
        return s && phaseOf(s) === 'Terminating' ? s : undefined;
      },
      20_000,
    );
    expect(ended.status!.reason).toBe('Expired');
    // not before its (extended) expiry: as the runtime recorded it, not as this test's clock saw it
    const expired = ended.status!.history!.find((h) => h.phase === 'Expired');
    expect(Date.parse(expired!.time)).toBeGreaterThanOrEqual(deadline);
    await gone(name);
  });

  test('activity makes a session Active; without it, it turns Idle, and is culled as Orphaned', async () => {
    const { session } = await allocate('idle', 'grace');
    const name = session.metadata.name;
    const active = await runtime.reportActivity(name);
    expect(phaseOf(active!)).toBe('Active');
    await waitFor('Idle', () => phaseOf(runtime.session(name)!) === 'Idle', 10_000);
    // activity brings it back
    expect(phaseOf((await runtime.reportActivity(name))!)).toBe('Active');
    const culled = await waitFor(
      'orphaned',
      () => {
        const s = runtime.session(name);
        return s && phaseOf(s) === 'Terminating' ? s : undefined;
      },
      20_000,
    );
    expect(culled.status!.reason).toBe('Orphaned');
    expect(culled.status!.history!.map((h) => h.phase)).toEqual(expect.arrayContaining(['Active', 'Idle', 'Active', 'Idle', 'Terminating']));
  });

  test('a session never opened is ended as Overdue', async () => {
    const { session } = await allocate('overdue', 'heidi');
    const ended = await waitFor(
      'overdue',
      () => {
        const s = runtime.session(session.metadata.name);
        return s && phaseOf(s) === 'Terminating' ? s : undefined;
      },
      20_000,
    );
    expect(ended.status!.reason).toBe('Overdue');
    // overdue (2 s) counts from when the learner could first open it, as the runtime recorded the times
    const openable = Math.max(Date.parse(ended.status!.readyAt!), Date.parse(ended.status!.allocatedAt!));
    const endedAt = Date.parse(ended.status!.history!.find((h) => h.phase === 'Terminating')!.time);
    expect(endedAt - openable).toBeGreaterThanOrEqual(2000);
  });
});

describe('activation', () => {
  test('a session allocated through the API ends as NotActivated unless it is opened in time', async () => {
    const result = await runtime.allocate({ environment: fixture.environment('expiry'), user: 'judy', activationSeconds: 1 });
    if (!('session' in result)) throw new Error(result.refused);
    const ended = await waitFor(
      'not activated',
      () => {
        const s = runtime.session(result.session.metadata.name);
        return s && phaseOf(s) === 'Terminating' ? s : undefined;
      },
      20_000,
    );
    expect(ended.status!.reason).toBe('NotActivated');
  });

  test('opened in time, it becomes Active and stays', async () => {
    const result = await runtime.allocate({ environment: fixture.environment('idle'), user: 'kim', activationSeconds: 2 });
    if (!('session' in result)) throw new Error(result.refused);
    const active = await runtime.reportActivity(result.session.metadata.name);
    expect(active!.status).toMatchObject({ phase: 'Active', user: 'kim' });
    expect(active!.status!.activatedAt).toBeDefined();
    // past the activation deadline, a full pass of the reconciler leaves it running
    const deadline = Date.parse(result.session.status!.activationDeadline!);
    await waitFor('the activation deadline to pass', () => Date.now() > deadline, 10_000);
    await runtime.reconcilerPass();
    // (Active, or Idle after the fixture's 2 s without activity: either way running)
    expect(['Active', 'Idle']).toContain(phaseOf(runtime.session(result.session.metadata.name)!));
  });
});

describe('HTTP surface', () => {
  test('metrics, readiness, and JSON errors that name the problem', async () => {
    const api = runtimeApi(runtime);
    const base = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      const post = (url: string, body?: unknown) =>
        fetch(base + url, {
          method: 'POST',
          ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
        });
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/workshops_sessions\{environment="rt-pool",phase="Ready"\} [1-9]/);
      expect(metrics).toMatch(/workshops_allocation_seconds_count\{environment="rt-pool",source="pool"\} [1-9]/);
      expect(metrics).toMatch(/workshops_session_ready_seconds_count\{environment="rt-pool"\} [1-9]/);
      expect(metrics).toMatch(/workshops_api_requests_total\{verb="PUT",code="200"\} [1-9]/);
      expect(metrics).toMatch(/workshops_session_terminations_total\{environment="rt-expiry",reason="Expired"\} 1/);
      const bad = await post('/runtime/allocate', { environment: 'rt-pool' });
      expect([bad.status, await bad.json()]).toEqual([400, { error: 'bad-request', message: "body must have required property 'user'" }]);
      const unknown = await post('/runtime/allocate', { environment: 'rt-nope', user: 'x' });
      expect([unknown.status, ((await unknown.json()) as { error: string }).error]).toEqual([404, 'unknown-environment']);
      expect((await post('/runtime/sessions/rt-nope-s001/extend')).status).toBe(404);
    } finally {
      await api.close();
    }
  });
});

describe('updates and termination', () => {
  test('a changed blueprint recycles reserves; the allocated session continues on the old one', async () => {
    await waitFor('2 update reserves', () => sessionsOf('update').filter((s) => !s.status?.user && phaseOf(s) === 'Ready').length === 2);
    const mine = sessionsOf('update').find((s) => s.status?.user === 'carol')!;
    // by uid: a recycled session's slot (its name) is soon taken by a new one
    const oldReserves = sessionsOf('update')
      .filter((s) => !s.status?.user)
      .map((s) => ({ name: s.metadata.name, uid: s.metadata.uid }));
    const before = Number((await client.get(API_VERSION, 'WorkshopEnvironment', fixture.environment('update')))!.metadata.generation);
    await applyFixture(client, synthPortal('rt', WORKSHOPS, { registered: 3 }, 'v2'));
    const after = Number((await client.get(API_VERSION, 'WorkshopEnvironment', fixture.environment('update')))!.metadata.generation);
    expect(after).toBeGreaterThan(before);
    const fresh = await waitFor(
      'new reserves on the new blueprint',
      () => {
        const found = sessionsOf('update').filter((s) => !s.status?.user && phaseOf(s) === 'Ready' && s.spec.blueprintGeneration === after);
        return found.length === 2 ? found : undefined;
      },
      60_000,
    );
    for (const { name, uid } of oldReserves) {
      const old = runtime.session(name);
      // recycled: ending with that reason, or already gone (and its slot perhaps reused by a new reserve)
      if (old && old.metadata.uid === uid) expect(old.status).toMatchObject({ phase: 'Terminating', reason: 'Recycled' });
      else expect(old?.spec.blueprintGeneration ?? after).toBe(after);
    }
    const still = runtime.session(mine.metadata.name)!;
    expect(['Ready', 'Active', 'Idle']).toContain(phaseOf(still));
    expect(still.spec.blueprintGeneration).toBe(before);
    // the workshop pod lives in the environment namespace, named after its session
    const envNames = async (session: string) =>
      (await client.get<{ spec: { template: { spec: { containers: Array<{ env: Array<{ name: string }> }> } } } }>(
        'apps/v1',
        'Deployment',
        workshopPodNames(session).deployment,
        fixture.environment('update'),
      ))!.spec.template.spec.containers[0].env.map((e) => e.name);
    expect(await envNames(fresh[0].metadata.name)).toContain('VARIANT');
    expect(await envNames(mine.metadata.name)).not.toContain('VARIANT');
  });

  test('terminating a session leaves nothing of it behind', async () => {
    const { session } = await allocate('pool', 'ivan');
    const name = session.metadata.name;
    await ready(name);
    const ended = await runtime.terminate(name, 'TerminatedByUser');
    expect(ended!.status).toMatchObject({ phase: 'Terminating', reason: 'TerminatedByUser' });
    await gone(name);
    const selector = `${Labels.SESSION}=${name}`;
    // what lay in the environment namespace (the workshop pod) is collected once its WorkshopSession is gone
    for (const [apiVersion, kind] of [
      ['v1', 'Secret'],
      ['v1', 'Pod'],
      ['apps/v1', 'Deployment'],
      ['v1', 'ConfigMap'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['v1', 'ServiceAccount'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
    ]) {
      await waitFor(`no ${kind} of ${name} left`, async () => (await client.list(apiVersion, kind, { labelSelector: selector })).length === 0);
    }
    expect(await client.get('v1', 'Secret', `session-${name}`, 'rt-ui')).toBeUndefined();
  });
});
