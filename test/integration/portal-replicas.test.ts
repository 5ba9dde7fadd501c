/**
 * Two portal replicas against the same cluster behave as one portal: a session allocated through one is the
 * learner's on the other, a sign-in on one is valid on the other, robots' tokens work on both, and the analytics
 * webhook gets each session event once (only the leader sends what it derives from the watch).
 */
import * as http from 'node:http';

import { jest } from '@jest/globals';

import { KubeClient, phaseOf } from '../../src/runtime/index.js';
import { applyFixture, type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { HttpClient, robotToken } from '../support/portal-http.js';
import { ADMIN, ROBOT, startTestPortal, type TestPortal } from '../support/portal-server.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let fixture: Fixture;
let a: TestPortal;
let b: TestPortal;
let webhook: http.Server;
const events: Array<{ event: { name: string; session: string | null } }> = [];

beforeAll(async () => {
  webhook = http.createServer((request, response) => {
    let data = '';
    request.on('data', (c) => (data += c));
    request.on('end', () => {
      events.push(JSON.parse(data));
      response.end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
  const analyticsWebhook = `http://127.0.0.1:${(webhook.address() as { port: number }).port}/`;
  fixture = synthPortal('prep', [{ name: 'w', capacity: 4, reserved: 1, expires: seconds(120) }]);
  await applyFixture(client, fixture);
  a = await startTestPortal(client, fixture, { analyticsWebhook }, { identity: 'replica-a' });
  b = await startTestPortal(client, fixture, { analyticsWebhook }, { identity: 'replica-b' });
  await waitFor('a leader', () => a.runtime.leader.isLeader || b.runtime.leader.isLeader);
  await waitFor('a ready reserve', () => b.runtime.state.sessionsOf(fixture.environment('w')).some((s) => phaseOf(s) === 'Ready' && !s.status?.user));
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await client.close();
  await new Promise((r) => webhook?.close(r));
});

test('a learner registered and started on replica A has the same session on replica B', async () => {
  const onA = new HttpClient(a.url);
  await onA.register('learner-ann', 'ann@example.com', 'a-long-password-ann');
  const started = await onA.submit(`/workshops/environment/${fixture.environment('w')}/`);
  expect(started.status).toBe(303);
  const name = /\/workshops\/session\/([^/]+)\//.exec(started.location!)![1];

  // the same browser (its cookies) on replica B
  const onB = new HttpClient(b.url);
  onA.copyCookiesTo(onB);
  await waitFor('B to see the allocation', () => b.runtime.session(name)?.status?.user === 'learner-ann');
  const page = await onB.get(`/workshops/session/${name}/`, { accept: 'text/html' });
  expect(page.status).toBe(200);
  expect(page.text).toContain('Your session is ready');
  // starting again on B finds the same session, not a second one
  const again = await onB.submit(`/workshops/environment/${fixture.environment('w')}/`);
  expect(again.location).toBe(`/workshops/session/${name}/?enter=1`);
  expect(b.runtime.state.sessionsOf(fixture.environment('w')).filter((s) => s.status?.user === 'learner-ann')).toHaveLength(1);
});

test("a Start served by A and the session page by B, before B's watch has the allocation, is the learner's page", async () => {
  const onA = new HttpClient(a.url);
  await onA.register('learner-bea', 'bea@example.com', 'a-long-password-bea');
  await waitFor('a ready reserve on B', () =>
    b.runtime.state.sessionsOf(fixture.environment('w')).some((s) => phaseOf(s) === 'Ready' && !s.status?.user),
  );
  // B's cache is held where it was before the Start (a watch a moment behind): the reserve without a learner, or
  // no session at all for one allocated on demand
  const cached = b.runtime.session.bind(b.runtime);
  const behind = jest.spyOn(b.runtime, 'session').mockImplementation((name) => {
    const session = cached(name);
    return session && { ...session, status: { ...session.status!, user: undefined } };
  });
  try {
    const started = await onA.submit(`/workshops/environment/${fixture.environment('w')}/`);
    expect(started.status).toBe(303);
    const name = /\/workshops\/session\/([^/]+)\//.exec(started.location!)![1];
    const onB = new HttpClient(b.url);
    onA.copyCookiesTo(onB);
    const page = await onB.get(`/workshops/session/${name}/`, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Not your session');
    const polled = await onB.get(`/workshops/session/${name}/progress/`, { accept: 'application/json' });
    expect(polled.status).toBe(200);
    behind.mockImplementation(() => undefined);
    expect((await onB.get(`/workshops/session/${name}/`, { accept: 'text/html' })).status).toBe(200);
    // someone else asking for it is still refused
    behind.mockRestore();
    const stranger = new HttpClient(b.url);
    await stranger.register('learner-cid', 'cid@example.com', 'a-long-password-cid');
    await waitFor('B to see the allocation', () => b.runtime.session(name)?.status?.user === 'learner-bea');
    const refused = await stranger.get(`/workshops/session/${name}/`, { accept: 'text/html' });
    expect(refused.status).toBe(403);
  } finally {
    behind.mockRestore();
  }
});

test("the admin's sign-in on A is valid on B, and a robot token from B works on A", async () => {
  const onA = new HttpClient(a.url);
  await onA.signIn(ADMIN.username, ADMIN.password);
  const onB = new HttpClient(b.url);
  onA.copyCookiesTo(onB);
  const admin = await onB.get('/admin/', { accept: 'text/html' });
  expect(admin.status).toBe(200);
  expect(admin.text).toContain('Administration');
  const token = await robotToken(b.url, ROBOT);
  const status = await fetch(`${a.url}/workshops/environment/${fixture.environment('w')}/status/`, { headers: { authorization: `Bearer ${token}` } });
  expect(status.status).toBe(200);
});

test('each session event reaches the webhook once, though both replicas watch the sessions', async () => {
  const robot = await robotToken(a.url, ROBOT);
  const answer = (await (
    await fetch(`${a.url}/workshops/environment/${fixture.environment('w')}/request/?index_url=https://x.example/&user=bob`, {
      headers: { authorization: `Bearer ${robot}` },
    })
  ).json()) as { name: string };
  await waitFor("Session/Started of bob's session", () => events.some((e) => e.event.name === 'Session/Started' && e.event.session === answer.name));
  // both replicas have seen the session running (each derives its events from the watch as the change arrives),
  // and neither has a delivery waiting or under way: a second Session/Started would have reached the webhook by now
  const running = (portal: TestPortal) => {
    const session = portal.runtime.session(answer.name);
    return Boolean(session?.status?.user) && ['Ready', 'Active', 'Idle'].includes(phaseOf(session!));
  };
  await waitFor('both replicas to have seen the session running', () => running(a) && running(b));
  await waitFor('both replicas to have delivered every event', () => a.portal.analytics.pending === 0 && b.portal.analytics.pending === 0);
  expect(events.filter((e) => e.event.name === 'Session/Started' && e.event.session === answer.name)).toHaveLength(1);
});
