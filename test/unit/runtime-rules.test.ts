import * as http from 'node:http';

import { jest } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';

import { extension, extensionRules, isRetryable, KubeClient, KubeError, Pacer, Priority, type WorkshopSession } from '../../src/runtime/index.js';

const pool = {
  capacity: 5,
  initial: 1,
  reserved: 1,
  expiresSeconds: 3600,
  overtimeSeconds: 900,
  deadlineSeconds: 5400,
  orphanedSeconds: 0,
  overdueSeconds: 0,
  refreshSeconds: 0,
};

function session(status: Partial<WorkshopSession['status']>): WorkshopSession {
  return {
    apiVersion: 'x',
    kind: 'WorkshopSession',
    metadata: { name: 's' },
    spec: { environment: 'e', workshop: 'w', portal: 'p', id: 's001', blueprintGeneration: 1 },
    status: { phase: 'Active', user: 'u', ...status },
  } as WorkshopSession;
}

describe("extension rules (Educates')", () => {
  const start = Date.parse('2026-01-01T10:00:00Z');
  const at = (minutes: number) => start + minutes * 60_000;
  const running = session({
    allocatedAt: new Date(start).toISOString(),
    expiresAt: new Date(at(60)).toISOString(),
    deadlineAt: new Date(at(90)).toISOString(),
  });

  test('threshold and duration', () => {
    expect(extensionRules(pool)).toEqual({ thresholdSeconds: 900, durationSeconds: 900 });
    expect(extensionRules({ ...pool, overtimeSeconds: 0 })).toEqual({ thresholdSeconds: 900, durationSeconds: 900 });
    expect(extensionRules({ ...pool, expiresSeconds: 600, overtimeSeconds: 60 })).toEqual({ thresholdSeconds: 300, durationSeconds: 300 });
  });

  test('allowed only in the last minutes, and never past the deadline', () => {
    expect(extension(running, pool, at(30))).toEqual({ refused: 'the session can be extended only in its last minutes' });
    expect(extension(running, pool, at(50))).toEqual({ expiresAt: new Date(at(75)).toISOString() });
    const late = session({ ...running.status, expiresAt: new Date(at(85)).toISOString() });
    expect(extension(late, pool, at(80))).toEqual({ expiresAt: new Date(at(90)).toISOString() });
    const atDeadline = session({ ...running.status, expiresAt: new Date(at(90)).toISOString() });
    expect(extension(atDeadline, pool, at(89))).toEqual({ refused: 'the session has reached its deadline' });
    expect(extension(session({ phase: 'Terminating' }), pool, at(50))).toEqual({ refused: 'the session is not running' });
    expect(extension(session({ expiresAt: undefined }), pool, at(50))).toEqual({ refused: 'the session does not expire' });
  });
});

describe('Pacer', () => {
  /** Lets every promise callback that can run now run (the pacer hands out turns through promises). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  test("never runs more paced requests than its concurrency at once, learners' session work before background work", async () => {
    const pacer = new Pacer({ pacing: 'fixed', qps: 1000, burst: 1000, concurrency: 2 });
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    const job = (name: string) => () =>
      new Promise<void>((resolve) => {
        started.push(name);
        finish.set(name, resolve);
      });
    const runs = [
      pacer.run(Priority.BACKGROUND, job('b1')),
      pacer.run(Priority.BACKGROUND, job('b2')),
      pacer.run(Priority.BACKGROUND, job('b3')),
      pacer.run(Priority.BACKGROUND, job('b4')),
      pacer.run(Priority.LEARNER, job('learner')),
    ];
    const finished: string[] = [];
    const end = async (name: string) => {
      finish.get(name)!();
      finished.push(name);
      await settle();
    };
    await settle();
    expect(started).toEqual(['b1', 'b2']);
    // each finished job lets one more in (never more than 2 running): the learner's first, though it asked last
    await end('b1');
    expect({ started, running: started.length - finished.length }).toEqual({ started: ['b1', 'b2', 'learner'], running: 2 });
    await end('b2');
    expect({ started, running: started.length - finished.length }).toEqual({ started: ['b1', 'b2', 'learner', 'b3'], running: 2 });
    await end('learner');
    expect({ started, running: started.length - finished.length }).toEqual({ started: ['b1', 'b2', 'learner', 'b3', 'b4'], running: 2 });
    await end('b3');
    await end('b4');
    await Promise.all(runs);
  });

  test('fixed: keeps to its rate after the burst', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const pacer = new Pacer({ pacing: 'fixed', qps: 20, burst: 1, concurrency: 10 });
      const startedAt: number[] = [];
      const t0 = performance.now();
      const runs = Array.from({ length: 5 }, () => pacer.run(Priority.BACKGROUND, async () => void startedAt.push(performance.now() - t0)));
      // 1 at once (the burst), then one every 50 ms (20/s), on the fake clock
      await jest.advanceTimersByTimeAsync(49);
      expect(startedAt).toEqual([0]);
      await jest.advanceTimersByTimeAsync(1000);
      await Promise.all(runs);
      expect(startedAt).toEqual([0, 50, 100, 150, 200]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('KubeClient retries (against an in-process stub: error paths only)', () => {
  let server: http.Server;
  let answers: Array<(res: http.ServerResponse) => void>;
  let calls = 0;
  let client: KubeClient;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      calls++;
      (answers.shift() ?? ((r: http.ServerResponse) => r.end('{"ok":true}')))(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'stub', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'stub', user: 'u' }],
      currentContext: 'c',
    });
    client = new KubeClient(config, { retryForMs: 5_000 });
  });
  afterAll(async () => {
    await client.close();
    server.close();
  });
  beforeEach(() => {
    calls = 0;
  });

  test('retries 429 (honouring Retry-After), 503 and dropped connections, then succeeds', async () => {
    answers = [
      (res) => res.writeHead(429, { 'Retry-After': '0' }).end('{"reason":"TooManyRequests","message":"slow down"}'),
      (res) => res.writeHead(503).end('{"reason":"ServiceUnavailable","message":"etcd"}'),
      (res) => res.socket?.destroy(),
    ];
    await expect(client.request('GET', '/api/v1/namespaces')).resolves.toEqual({ ok: true });
    expect(calls).toBe(4);
  });

  test('does not retry what cannot succeed: 404, 422, and apply of a field the schema lacks', async () => {
    answers = [(res) => res.writeHead(404).end('{"reason":"NotFound","message":"nope"}')];
    await expect(client.request('GET', '/x')).rejects.toMatchObject({ status: 404, reason: 'NotFound' });
    answers = [
      (res) =>
        res
          .writeHead(500)
          .end('{"reason":"InternalError","message":"failed to create typed patch object: .spec.bogus: field not declared in schema"}'),
    ];
    await expect(client.request('PATCH', '/y')).rejects.toBeInstanceOf(KubeError);
    expect(calls).toBe(2);
    expect(isRetryable(new KubeError(422, 'Invalid', 'bad'))).toBe(false);
    expect(isRetryable(new KubeError(0, 'Timeout', 'slow'))).toBe(true);
  });
});

describe('request parameters generated from patterns', () => {
  test('classes, counts and literals', async () => {
    const { generateFromPattern } = await import('../../src/constructs/index.js');
    let i = 0;
    const cycle = (n: number) => i++ % n;
    expect(generateFromPattern('[A-C]{5}', cycle)).toBe('ABCAB');
    expect(generateFromPattern('id-\\d{3}', () => 7)).toBe('id-777');
    for (let k = 0; k < 50; k++) expect(generateFromPattern('[a-f0-9]{2,4}x', (n) => Math.floor(Math.random() * n))).toMatch(/^[a-f0-9]{2,4}x$/);
  });
});
