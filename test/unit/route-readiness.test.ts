/**
 * The runtime's "route is served" signal (src/runtime/route-readiness.ts) against a real HTTP server on loopback
 * playing the ingress: 404 before it knows the host, 503 while the host has no ready endpoint, the dashboard's
 * redirect once it routes.
 */
import * as http from 'node:http';
import * as net from 'node:net';

import { RouteReadiness } from '../../src/runtime/route-readiness.js';
import { waitFor } from '../support/wait.js';

let server: http.Server;
let port: number;
const answers = new Map<string, number>();
const seenHosts: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seenHosts.push(String(req.headers.host));
    res.writeHead(answers.get(String(req.headers.host)) ?? 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a host is served once the ingress answers it with anything but 404, 502, 503 or 504', async () => {
  const readiness = new RouteReadiness({ address: `127.0.0.1:${port}`, intervalMs: 0 });
  const host = 's001.workshops.example.test';
  for (const status of [404, 503, 502, 504]) {
    answers.set(host, status);
    expect(await readiness.probe(host)).toEqual({ served: false, seen: `HTTP ${status}` });
  }
  answers.set(host, 302);
  expect(await readiness.probe(host)).toEqual({ served: true, seen: 'HTTP 302' });
  expect(seenHosts).toContain(host);
});

test('served() never waits: false until a background probe saw the route, then true', async () => {
  const readiness = new RouteReadiness({ address: `127.0.0.1:${port}`, intervalMs: 0 });
  const host = 's002.workshops.example.test';
  answers.set(host, 503);
  expect(readiness.served(host)).toBe(false);
  await waitFor('a background probe to see HTTP 503', () => readiness.lastSeen(host) === 'HTTP 503', { timeoutMs: 5000, everyMs: 10 });
  expect(readiness.served(host)).toBe(false);
  answers.set(host, 302);
  await waitFor('a background probe to see the route served', () => readiness.served(host), { timeoutMs: 5000, everyMs: 10 });
  expect(readiness.lastSeen(host)).toBe('HTTP 302');
});

test('an ingress that cannot be reached is not a served route', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const readiness = new RouteReadiness({ address: `127.0.0.1:${closedPort}` });
  const outcome = await readiness.probe('s003.workshops.example.test');
  expect(outcome.served).toBe(false);
  expect(outcome.seen).toMatch(/ECONNREFUSED/);
});

test('INGRESS_PROBE_ADDRESS: unset is no probe; a bad value names the setting, the value and what is allowed', () => {
  expect(RouteReadiness.fromEnv({})).toBeUndefined();
  expect(RouteReadiness.fromEnv({ INGRESS_PROBE_ADDRESS: ' ' })).toBeUndefined();
  expect(RouteReadiness.fromEnv({ INGRESS_PROBE_ADDRESS: 'traefik.kube-system:80' })).toBeInstanceOf(RouteReadiness);
  for (const bad of ['traefik.kube-system', 'http://traefik:80', 'traefik:0', 'traefik:70000']) {
    expect(() => RouteReadiness.fromEnv({ INGRESS_PROBE_ADDRESS: bad })).toThrow(`INGRESS_PROBE_ADDRESS '${bad}' is not host:port`);
  }
});
