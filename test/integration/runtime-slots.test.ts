/**
 * Two small races of the runtime, on the real control plane: a new session must not take the slot of a session
 * whose namespace is still Terminating, and re-arming an activation token must survive a conflicting write.
 */
import { API_VERSION, Labels, MANAGED_BY } from '../../src/constructs/index.js';
import { KubeClient, phaseOf, type SessionRuntime, type WorkshopSession } from '../../src/runtime/index.js';
import { applyFixture, runtimeFor, synthPortal, waitFor } from '../support/portal-fixture.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const fixture = synthPortal('slots', [
  { name: 'w', capacity: 3, reserved: 0, initial: 0 },
  { name: 'rest', capacity: 2, reserved: 0, initial: 0 },
]);
const HOLD = 'test.cdk8s-workshops.dev/hold';
let runtime: SessionRuntime;

beforeAll(async () => {
  await applyFixture(client, fixture);
  runtime = runtimeFor(client, fixture);
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  const held = `${fixture.environment('w')}-s001`;
  await client
    .request('PATCH', `/api/v1/namespaces/${held}`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' })
    .catch(() => undefined);
  await client.close();
});

test('a slot whose namespace is still Terminating is skipped', async () => {
  const environment = fixture.environment('w');
  const slot = `${environment}-s001`;
  // what a session that just ended leaves: its namespace, held in Terminating by a finalizer
  await client.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: slot,
      finalizers: [HOLD],
      labels: { [Labels.COMPONENT]: 'session', [Labels.MANAGED_BY]: MANAGED_BY, [Labels.ENVIRONMENT]: environment, [Labels.SESSION]: slot },
    },
  });
  await client.delete('v1', 'Namespace', slot);
  await waitFor("the namespace Terminating in the runtime's cache", () => runtime.state.namespaces.get(slot)?.metadata.deletionTimestamp);

  const result = await runtime.allocate({ environment, user: 'ada' });
  if (!('session' in result)) throw new Error(`not allocated: ${result.message}`);
  expect(result.session.metadata.name).toBe(`${environment}-s002`);
  await waitFor('the session Ready', () => {
    const session = runtime.session(result.session.metadata.name);
    return session && phaseOf(session) === 'Ready' && session.status?.readyAt;
  });
});

test('re-arming an activation token retries a conflict instead of handing out a link that does not work', async () => {
  const environment = fixture.environment('rest');
  const first = await runtime.allocate({
    environment,
    user: 'grace',
    request: { email: 'grace@example.test' },
    activationSeconds: 600,
    activationTokenHash: 'a'.repeat(64),
  });
  if (!('session' in first)) throw new Error(`not allocated: ${first.message}`);
  const name = first.session.metadata.name;
  await waitFor('the first token in the cache', () => runtime.session(name)?.status?.activationTokenHash === 'a'.repeat(64));

  // the runtime's copy goes stale: its watch stops, and someone else writes the session meanwhile
  runtime.state.sessions.stop();
  const stored = (await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name))!;
  await client.request('PUT', `${client.pathFor(API_VERSION, 'WorkshopSession', name)}/status`, {
    body: { ...stored, status: { ...stored.status, message: 'written by another replica' } },
  });

  const again = await runtime.allocate({
    environment,
    user: 'grace',
    request: { email: 'grace@example.test' },
    activationSeconds: 600,
    activationTokenHash: 'b'.repeat(64),
  });
  if (!('session' in again)) throw new Error(`not allocated: ${again.message}`);
  expect(again.source).toBe('existing');
  expect(again.session.status?.activationTokenHash).toBe('b'.repeat(64));
  const now = (await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name))!;
  expect({ hash: now.status?.activationTokenHash, message: now.status?.message }).toEqual({
    hash: 'b'.repeat(64),
    message: 'written by another replica',
  });
});
