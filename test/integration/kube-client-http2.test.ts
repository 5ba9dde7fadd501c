/**
 * The runtime's client against the real API server: a burst of requests travels on a few HTTP/2 connections (at
 * most 8, spread by load: one connection's frames wait on each other at the server), shared by every client of one
 * kubeconfig, instead of one new TCP+TLS connection per request in flight (the allocation latency of a class of
 * learners who all click Start at once); requests one at a time stay on one. The connections are counted by a TCP relay in front
 * of the API server (the client's kubeconfig points at it; TLS is still end to end). DISABLE_HTTP2 falls back to
 * HTTP/1.1, as client-go's does.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { KubeClient } from '../../src/runtime/index.js';

const api = new URL(KubeClient.fromKubeconfig(process.env.KUBECONFIG).server);
let relay: net.Server;
let accepted = 0;
let kubeconfig: string;
let dir: string;
const open = new Set<net.Socket>();

beforeAll(async () => {
  relay = net.createServer((socket) => {
    accepted++;
    const upstream = net.connect(Number(api.port), api.hostname);
    open.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const port = (relay.address() as net.AddressInfo).port;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-http2-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  const original = fs.readFileSync(process.env.KUBECONFIG!, 'utf8');
  expect(original).toContain(`server: ${api.origin}`);
  fs.writeFileSync(kubeconfig, original.replace(`server: ${api.origin}`, `server: https://127.0.0.1:${port}`));
});

afterAll(async () => {
  for (const socket of open) socket.destroy();
  await new Promise((resolve) => relay.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

const burst = (client: KubeClient) => Promise.all(Array.from({ length: 50 }, () => client.get('v1', 'Namespace', 'default')));

test('one at a time: one connection; 100 at once, from two clients of one kubeconfig: 8 connections, kept', async () => {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  const other = client.withOptions({ retryForMs: 10_000 });
  try {
    accepted = 0;
    for (let i = 0; i < 10; i++) expect((await other.get('v1', 'Namespace', 'default'))?.metadata.name).toBe('default');
    expect(accepted).toBe(1);
    const answers = await Promise.all([burst(client), burst(other)]);
    expect(answers.flat().every((ns) => ns?.metadata.name === 'default')).toBe(true);
    expect(accepted).toBe(8);
    // the next burst finds them open
    await Promise.all([burst(client), burst(other)]);
    expect(accepted).toBe(8);
    // answers keep their shape: a missing object is undefined, a refused write names the API server's reason
    expect(await client.get('v1', 'Namespace', 'no-such-namespace-here')).toBeUndefined();
    await expect(client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: {} } })).rejects.toMatchObject(
      {
        status: 422,
        reason: 'Invalid',
      },
    );
    expect(accepted).toBe(8);
  } finally {
    await client.close();
    await other.close();
  }
});

test('DISABLE_HTTP2: HTTP/1.1, a connection per request in flight', async () => {
  process.env.DISABLE_HTTP2 = '1';
  const client = KubeClient.fromKubeconfig(kubeconfig);
  delete process.env.DISABLE_HTTP2;
  try {
    accepted = 0;
    await burst(client);
    expect(accepted).toBeGreaterThan(1);
  } finally {
    await client.close();
  }
});
