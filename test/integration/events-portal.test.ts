/**
 * Educates' portal-side analytics events with two portal replicas watching the same cluster: each event reaches the
 * webhook (a receiver on loopback) exactly once, whichever replica served the request or saw the change.
 *
 * "Exactly once" is checked without waiting a fixed time: both replicas must have seen the change in their caches
 * (their analytics handle a change as their cache takes it) and both replicas' webhook queues must be empty; only
 * then is the count read.
 */
import * as http from 'node:http';

import { API_VERSION, Labels } from '../../src/constructs/index.js';
import { KubeClient, phaseOf } from '../../src/runtime/index.js';
import { applyFixture, type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { HttpClient, robotToken } from '../support/portal-http.js';
import { ROBOT, startTestPortal, type TestPortal } from '../support/portal-server.js';

interface Received {
  event: {
    name: string;
    user: string | null;
    session: string | null;
    environment: string | null;
    workshop: string | null;
    data: Record<string, unknown>;
  };
}

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const PORTAL = 'evt';
let fixture: Fixture;
let a: TestPortal;
let b: TestPortal;
let webhook: http.Server;
const received: Received[] = [];

/** Where the current test's events start (session names are reused once a session is gone). */
let from = 0;
beforeEach(() => {
  from = received.length;
});
const named = (name: string, match: (e: Received['event']) => boolean = () => true) =>
  received.slice(from).filter((r) => r.event.name === name && match(r.event));

/** Both replicas have taken the change (`seen` on each) and sent everything they had to send. */
async function settled(what: string, seen: (portal: TestPortal) => boolean): Promise<void> {
  await waitFor(`both replicas to see ${what} and send what they send`, () => [a, b].every((p) => seen(p) && p.portal.analytics.pending === 0));
}

beforeAll(async () => {
  webhook = http.createServer((request, response) => {
    let data = '';
    request.on('data', (c) => (data += c));
    request.on('end', () => {
      received.push(JSON.parse(data));
      response.end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
  const analyticsWebhook = `http://127.0.0.1:${(webhook.address() as { port: number }).port}/`;
  // no reserve: a requested session is the learner's while it is still being made (Session/Pending)
  fixture = synthPortal(PORTAL, [{ name: 'w', capacity: 4, reserved: 0, initial: 0, expires: seconds(300) }]);
  await applyFixture(client, fixture);
  // Active → Idle after 2 s without activity (the fixture runtime's idleAfterSeconds)
  a = await startTestPortal(client, fixture, { analyticsWebhook }, { identity: 'events-a' });
  b = await startTestPortal(client, fixture, { analyticsWebhook }, { identity: 'events-b' });
  await waitFor('a leader', () => a.runtime.leader.isLeader || b.runtime.leader.isLeader);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  for (const env of [fixture?.environment('w'), `${PORTAL}-late`]) {
    if (env) await client.delete(API_VERSION, 'WorkshopEnvironment', env).catch(() => undefined);
  }
  await client.close();
  await new Promise((r) => webhook?.close(r));
});

test("a session's life: Pending, Started, Inactive, a dashboard event, Vanished and Deleted, each once", async () => {
  const robot = await robotToken(a.url, ROBOT);
  const response = await fetch(`${a.url}/workshops/environment/${fixture.environment('w')}/request/?index_url=https://x.example/&user=carol`, {
    headers: { authorization: `Bearer ${robot}` },
  });
  expect(response.status).toBe(200);
  const { name } = (await response.json()) as { name: string };
  const ofSession = (e: Received['event']) => e.session === name;

  // made for carol: Pending (hers, not running yet), then Started once it runs
  await waitFor('the session to run', () => a.runtime.session(name) && ['Ready', 'Active'].includes(phaseOf(a.runtime.session(name)!)));
  await settled('the session running', (p) => ['Ready', 'Active'].includes(phaseOf(p.runtime.session(name) ?? ({ status: {} } as never))));
  expect(named('Session/Created', ofSession)).toHaveLength(1);
  expect(named('Session/Pending', ofSession)).toHaveLength(1);
  expect(named('Session/Started', ofSession)).toHaveLength(1);
  const pending = named('Session/Pending', ofSession)[0].event;
  expect(pending).toMatchObject({ user: 'carol', environment: fixture.environment('w'), workshop: 'w' });
  expect(received.indexOf(named('Session/Pending', ofSession)[0])).toBeLessThan(received.indexOf(named('Session/Started', ofSession)[0]));

  // the learner works (Active), then stops: Idle is Session/Inactive
  await a.runtime.reportActivity(name);
  await waitFor('the session to go idle', () => phaseOf(a.runtime.session(name)!) === 'Idle', 30_000);
  await settled('the session idle', (p) => phaseOf(p.runtime.session(name)!) === 'Idle');
  expect(named('Session/Inactive', ofSession)).toHaveLength(1);

  // the dashboard forwards its own event through replica B with the session's config password
  const secrets = await a.runtime.secretsFor(name);
  const basic = `Basic ${Buffer.from(`${name}:${secrets!.config_password}`).toString('base64')}`;
  const forwarded = await fetch(`${b.url}/workshops/session/${name}/event/`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/json' },
    body: JSON.stringify({ event: { name: 'Workshop/View', data: { page: 'setup' } } }),
  });
  expect(forwarded.status).toBe(200);
  await settled('the dashboard event', () => named('Workshop/View', ofSession).length > 0);
  expect(named('Workshop/View', ofSession)).toHaveLength(1);
  expect(named('Workshop/View', ofSession)[0].event).toMatchObject({ user: 'carol', data: { page: 'setup' } });

  // removed by hand, not ended by the portal: Session/Vanished, then Session/Deleted, once each
  await client.delete(API_VERSION, 'WorkshopSession', name);
  await waitFor('the session to be gone', () => !a.runtime.session(name) && !b.runtime.session(name), 60_000);
  await settled('the session gone', (p) => !p.runtime.session(name));
  expect(named('Session/Vanished', ofSession)).toHaveLength(1);
  expect(named('Session/Deleted', ofSession)).toHaveLength(1);
  // the portal did not end it: no end event
  expect(
    received.slice(from).filter((r) => ofSession(r.event) && ['Session/Terminate', 'Session/Expired', 'Session/Stopping'].includes(r.event.name)),
  ).toEqual([]);
});

test('a session the portal ends does not vanish', async () => {
  const robot = await robotToken(a.url, ROBOT);
  const { name } = (await (
    await fetch(`${a.url}/workshops/environment/${fixture.environment('w')}/request/?index_url=https://x.example/&user=dave`, {
      headers: { authorization: `Bearer ${robot}` },
    })
  ).json()) as { name: string };
  await waitFor('the session to run', () => a.runtime.session(name) && ['Ready', 'Active'].includes(phaseOf(a.runtime.session(name)!)));
  const ended = await fetch(`${a.url}/workshops/session/${name}/terminate/`, { headers: { authorization: `Bearer ${robot}` } });
  expect(ended.status).toBe(200);
  await waitFor('the session to be gone', () => !a.runtime.session(name) && !b.runtime.session(name), 90_000);
  await settled('the session gone', (p) => !p.runtime.session(name));
  const ofSession = (e: Received['event']) => e.session === name;
  expect(named('Session/Terminate', ofSession)).toHaveLength(1);
  expect(named('Session/Deleted', ofSession)).toHaveLength(1);
  expect(named('Session/Vanished', ofSession)).toEqual([]);
});

test('local accounts: User/Create when one registers (on A), User/Delete when the account goes, once each', async () => {
  const onA = new HttpClient(a.url);
  const registered = await onA.request('POST', '/accounts/register/', {
    body: {
      _csrf: await onA.csrf('/accounts/register/'),
      username: 'learner-erin',
      email: 'erin@example.com',
      password: 'a-long-password-erin',
      confirm: 'a-long-password-erin',
    },
    headers: { accept: 'text/html' },
  });
  expect([302, 303]).toContain(registered.status);
  const [account] = await client.list('v1', 'Secret', { namespace: `${PORTAL}-ui`, labelSelector: `${Labels.COMPONENT}=portal-account` });
  expect(account).toBeDefined();
  await settled('the account', () => named('User/Create', (e) => e.user === 'learner-erin').length > 0);
  expect(named('User/Create', (e) => e.user === 'learner-erin')).toHaveLength(1);

  await client.delete('v1', 'Secret', account.metadata.name, `${PORTAL}-ui`);
  await settled('the account gone', () => named('User/Delete', (e) => e.user === 'learner-erin').length > 0);
  expect(named('User/Delete', (e) => e.user === 'learner-erin')).toHaveLength(1);
});

test('environments: Environment/Created when one appears, Environment/Deleted when it goes, once each', async () => {
  const later = synthPortal(PORTAL, [
    { name: 'w', capacity: 4, reserved: 0, initial: 0, expires: seconds(300) },
    { name: 'late', capacity: 1, reserved: 0, initial: 0 },
  ]);
  const env = later.environment('late');
  const file = later.files.flatMap((f) => f.objects).find((o) => o.kind === 'WorkshopEnvironment' && o.metadata.name === env);
  expect(file).toBeDefined();
  await client.apply(file!);
  await settled('the new environment', (p) => Boolean(p.runtime.state.environments.get(env)));
  expect(named('Environment/Created', (e) => e.environment === env)).toEqual([
    expect.objectContaining({ event: expect.objectContaining({ workshop: 'late' }) }),
  ]);

  await client.delete(API_VERSION, 'WorkshopEnvironment', env);
  await waitFor('the environment to be gone', () => !a.runtime.state.environments.get(env) && !b.runtime.state.environments.get(env), 90_000);
  await settled('the environment gone', (p) => !p.runtime.state.environments.get(env));
  expect(named('Environment/Deleted', (e) => e.environment === env)).toHaveLength(1);
  expect(named('Environment/Terminate', (e) => e.environment === env).length).toBeLessThanOrEqual(1);
});

test('guests of an anonymous portal: User/Create once for each new guest, as for a registered account', async () => {
  // a third replica of the same portal, whose learners need no account (registration: anonymous)
  const g = await startTestPortal(
    client,
    fixture,
    {
      analyticsWebhook: `http://127.0.0.1:${(webhook.address() as { port: number }).port}/`,
      config: { name: PORTAL, title: 'Test Workshops', registration: 'anonymous', catalogVisibility: 'private' },
    },
    { identity: 'events-guests' },
  );
  try {
    const guest = (e: Received['event']) => /^anon@evt:[0-9a-f-]{36}$/.test(e.user ?? '');
    const first = new HttpClient(g.url);
    expect((await first.get('/workshops/catalog/', { accept: 'text/html' })).status).toBe(200);
    // the same browser again is the same guest: no second event
    expect((await first.get('/workshops/catalog/', { accept: 'text/html' })).status).toBe(200);
    await waitFor("the guest's event to be sent", () => g.portal.analytics.pending === 0 && named('User/Create', guest).length > 0);
    expect(named('User/Create', guest)).toHaveLength(1);

    const second = new HttpClient(g.url);
    expect((await second.get('/workshops/catalog/', { accept: 'text/html' })).status).toBe(200);
    await waitFor("the second guest's event to be sent", () => g.portal.analytics.pending === 0 && named('User/Create', guest).length > 1);
    const users = named('User/Create', guest).map((r) => r.event.user);
    expect(users).toHaveLength(2);
    expect(new Set(users).size).toBe(2);
    // an API client without a cookie is not a guest: nothing is made for it
    expect((await fetch(`${g.url}/workshops/catalog/`, { headers: { accept: 'application/json' } })).status).toBe(401);
    expect(g.portal.analytics.pending).toBe(0);
    expect(named('User/Create', guest)).toHaveLength(2);
  } finally {
    await g.stop();
  }
});
