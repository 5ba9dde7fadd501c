/**
 * Child process of bench/sessions.bench.ts (timer figure): runs one SessionRuntime, leading, against the API server
 * (through the parent's fault proxy) until it is sent SIGTERM. Written against the runtime's public API only, so
 * that the parent can run it on the runtime of an earlier commit too (transpiled beside that commit's src/), to
 * measure before and after. Started as `node bench/sessions-timers.js` with KUBECONFIG and BENCH_PORTAL set;
 * prints `leading` once it leads.
 */
import { createLogger, KubeClient, SessionRuntime } from '../src/runtime/index.js';

async function main(): Promise<void> {
  const kubeconfig = process.env.KUBECONFIG;
  const portal = process.env.BENCH_PORTAL;
  if (!kubeconfig || !portal) throw new Error('KUBECONFIG and BENCH_PORTAL must be set');
  const runtime = new SessionRuntime(KubeClient.fromKubeconfig(kubeconfig), {
    portal,
    portalNamespace: `${portal}-ui`,
    limits: { maximum: 0, registered: 0, anonymous: 0 },
    // production timers
    tickMs: 1000,
    leaseDurationSeconds: 15,
    identity: 'bench-timers',
    logger: createLogger('bench-timers', 'silent'),
  });
  runtime.leader.once('started', () => console.log('leading'));
  await runtime.start();
  process.once('SIGTERM', () => {
    void Promise.race([runtime.stop(), new Promise((resolve) => setTimeout(resolve, 5_000))]).finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
