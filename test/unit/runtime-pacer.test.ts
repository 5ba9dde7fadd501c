/**
 * The pacer's lanes and its adaptive limit. The lanes are shown with jobs the test holds open; the adaptive limit
 * against an in-process API server stand-in with a capacity (the error path: it answers 429 with Retry-After, as
 * API Priority and Fairness does, when its queue is full), through the real KubeClient.
 */
import * as http from 'node:http';

import { KubeConfig } from '@kubernetes/client-node';

import { KubeClient, Pacer, type PacerOptions, Priority } from '../../src/runtime/index.js';

/** A job that runs until the test lets it finish. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => done, finish };
}

test("a learner's request does not wait for the rate budget nor behind background work", async () => {
  // one token, spent by the first background request; the next would wait a whole second for the next token
  const pacer = new Pacer({ pacing: 'fixed', qps: 1, burst: 1, concurrency: 1 });
  const order: string[] = [];
  const first = held();
  const background = [
    pacer.run(Priority.BACKGROUND, first.work).then(() => order.push('background 1')),
    pacer.run(Priority.BACKGROUND, async () => void order.push('background 2')),
  ];
  await pacer.run(Priority.INTERACTIVE, async () => void order.push('learner'));
  expect(order).toEqual(['learner']);
  expect(pacer.waiting).toBe(1);
  first.finish();
  await Promise.all(background);
  expect(order).toEqual(['learner', 'background 1', 'background 2']);
});

test("background work keeps to a few in flight while learners' requests are, a learner's session creation does not", async () => {
  const pacer = new Pacer({ initialConcurrency: 16, concurrency: 32 });
  const learner = held();
  const interactive = pacer.run(Priority.INTERACTIVE, learner.work);
  const started = { background: 0, creation: 0 };
  const jobs = Array.from({ length: 10 }, () => held());
  const background = jobs.map((job) =>
    pacer.run(Priority.BACKGROUND, () => {
      started.background++;
      return job.work();
    }),
  );
  const creations = Array.from({ length: 6 }, () =>
    pacer.run(Priority.LEARNER, async () => {
      started.creation++;
    }),
  );
  await Promise.all(creations);
  expect(started).toEqual({ background: 4, creation: 6 });
  // the learner has her answer: the refills go on at the full limit
  learner.finish();
  await interactive;
  expect(started.background).toBe(10);
  jobs.forEach((job) => job.finish());
  await Promise.all(background);
});

test("the learners' lane has its own bound", async () => {
  const pacer = new Pacer({ interactiveConcurrency: 2 });
  const jobs = [held(), held(), held()];
  let started = 0;
  const runs = jobs.map((job) =>
    pacer.run(Priority.INTERACTIVE, () => {
      started++;
      return job.work();
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  expect(started).toBe(2);
  jobs[0].finish();
  await runs[0];
  expect(started).toBe(3);
  jobs[1].finish();
  jobs[2].finish();
  await Promise.all(runs);
});

/**
 * An API server stand-in: `workers` requests are served at once (each takes `serviceMs`), up to `queue` more wait,
 * any beyond that is refused with 429 and Retry-After: 1 (as APF refuses when a priority level's queues are full).
 */
async function server(capacity: { workers: number; queue: number }, serviceMs = 4) {
  let busy = 0;
  const waiting: Array<() => void> = [];
  const counts = { served: 0, throttled: 0 };
  const serve = (res: http.ServerResponse) => {
    busy++;
    // the stand-in's service time (the load under test), not a wait of the test
    setTimeout(() => {
      busy--;
      counts.served++;
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Kubernetes-PF-PriorityLevel-UID': 'pl-1' }).end('{}');
      const next = waiting.shift();
      if (next) next();
    }, serviceMs);
  };
  const http1 = http.createServer((req, res) => {
    req.resume();
    if (busy < capacity.workers) return serve(res);
    if (waiting.length < capacity.queue) return void waiting.push(() => serve(res));
    counts.throttled++;
    res
      .writeHead(429, { 'Retry-After': '1', 'X-Kubernetes-PF-PriorityLevel-UID': 'pl-1' })
      .end('{"kind":"Status","reason":"TooManyRequests","message":"too many requests, please try again later"}');
  });
  await new Promise<void>((resolve) => http1.listen(0, '127.0.0.1', resolve));
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'stub', server: `http://127.0.0.1:${(http1.address() as { port: number }).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'stub', user: 'u' }],
    currentContext: 'c',
  });
  return { config, counts, capacity, close: () => new Promise((resolve) => http1.close(resolve)) };
}

async function burst(client: KubeClient, requests: number) {
  await Promise.all(Array.from({ length: requests }, () => client.request('GET', '/api/v1/namespaces', { priority: Priority.BACKGROUND })));
}

describe('adaptive pacing', () => {
  const run = async (options: PacerOptions, requests = 600, shared = true, serviceMs?: number) => {
    const stub = await server({ workers: 6, queue: 12 }, serviceMs);
    const pacer = new Pacer({ concurrency: 64, ...options });
    const client = new KubeClient(stub.config, { pacer, retryForMs: 120_000 });
    try {
      await burst(client, requests);
      const first = { ...stub.counts, limit: pacer.concurrencyLimit };
      if (!shared) return { first };
      // the server is shared now: another client takes most of it
      stub.capacity.workers = 2;
      stub.capacity.queue = 4;
      const before = { ...stub.counts };
      await burst(client, 300);
      const second = {
        served: stub.counts.served - before.served,
        throttled: stub.counts.throttled - before.throttled,
        limit: pacer.concurrencyLimit,
      };
      return { first, second };
    } finally {
      await client.close();
      await stub.close();
    }
  };

  test('finds the capacity without a storm of 429s, and backs off when the server is shared', async () => {
    const adaptive = await run({ pacing: 'adaptive' });
    if (!adaptive.second) throw new Error('no second phase');
    // near the server's capacity (6 served + 12 queued) but not beyond it for long: few refusals
    expect(adaptive.first.served).toBe(600);
    expect(adaptive.first.throttled).toBeLessThanOrEqual(12);
    expect(adaptive.first.limit).toBeGreaterThanOrEqual(4);
    expect(adaptive.first.limit).toBeLessThanOrEqual(24);
    // the capacity fell to 2 + 4: the limit follows it down
    expect(adaptive.second.throttled).toBeLessThanOrEqual(12);
    expect(adaptive.second.limit).toBeLessThanOrEqual(6);
  });

  test('(for contrast) a fixed pacer above the capacity meets a 429 storm', async () => {
    // a slower server (40 ms a request) so that the 32 requests in flight overlap however busy this machine is: at
    // 4 ms, a loaded machine sent them so far apart that the server kept up with them
    const fixed = await run({ pacing: 'fixed', qps: 10_000, concurrency: 32 }, 150, false, 40);
    expect(fixed.first.throttled).toBeGreaterThan(50);
  });
});
