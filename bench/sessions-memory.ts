/**
 * Child process of bench/sessions.bench.ts (memory figure): measures the resident set of a process that runs one
 * SessionRuntime whose caches hold the WorkshopSession objects the parent created. Started as
 * `node --expose-gc --import tsx bench/sessions-memory.ts` with KUBECONFIG, BENCH_PORTAL and BENCH_EXPECT set; prints
 * one JSON line (the last line of stdout) with the figures.
 *
 * Everything this process needs is imported statically, so the baseline (taken after a forced GC, before the
 * runtime is created) already includes node, tsx and every module the runtime loads; the difference to the
 * second reading is the runtime itself: its four informers' caches, the reconciler, the pacer, metrics, sockets.
 */
import { createLogger, KubeClient, SessionRuntime } from '../src/runtime/index.js';

interface Reading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (!gc) return;
  // twice: the first full GC can leave garbage that only a second one frees (weak references, finalizers)
  gc();
  gc();
}

function read(): Reading {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const kubeconfig = process.env.KUBECONFIG;
  const portal = process.env.BENCH_PORTAL;
  const expected = Number(process.env.BENCH_EXPECT);
  if (!kubeconfig || !portal || !(expected > 0)) throw new Error('KUBECONFIG, BENCH_PORTAL and BENCH_EXPECT must be set');

  // let the module graph settle (lazy compilation of what was imported), then the baseline
  await sleep(200);
  collect();
  const baseline = read();

  const client = KubeClient.fromKubeconfig(kubeconfig);
  const runtime = new SessionRuntime(client, {
    portal,
    portalNamespace: `${portal}-ui`,
    limits: { maximum: 0, registered: 0, anonymous: 0 },
    identity: 'bench-memory',
    logger: createLogger('bench-memory', 'silent'),
  });
  const started = performance.now();
  await runtime.start();
  const syncedMs = performance.now() - started;
  const cached = runtime.state.sessions.list().length;

  // Run as the leader for a few reconciler ticks (1 s each) so that the figure is that of a working replica, not
  // just of filled caches: every pass walks all sessions. Peak RSS is sampled meanwhile.
  const deadline = Date.now() + 20_000;
  while (!runtime.leader.isLeader && Date.now() < deadline) await sleep(100);
  const leader = runtime.leader.isLeader;
  let peakRss = read().rss;
  for (let i = 0; i < 40; i++) {
    await sleep(100);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const before = read();
  collect();
  const after = read();
  const stillCached = runtime.state.sessions.list().length;
  await runtime.stop();
  await client.close();
  console.log(
    JSON.stringify({ gcExposed: !!gc, expected, cached, stillCached, leader, syncedMs, baseline, beforeGc: before, afterGc: after, peakRss }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
