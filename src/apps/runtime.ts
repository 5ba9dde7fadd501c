// Runs the session runtime of one portal with its HTTP surface (health, metrics, session operations).
// Configuration comes from the environment: PORTAL_NAME, PORTAL_NAMESPACE, PORTAL_CONFIG (the portal's
// portal.json, for its session limits), KUBECONFIG (else in-cluster), PORT, RUNTIME_QPS, RUNTIME_CONCURRENCY,
// RUNTIME_LEASE_SECONDS (the leader's lease, default 15), POD_NAME.
import * as fs from 'node:fs';

import { limitsOf } from '../portal/config.js';
import { runtimeApi } from '../portal/runtime-api.js';
import { createLogger, KubeClient, SessionRuntime } from '../runtime/index.js';
import { envReader } from './env.js';

const log = createLogger('runtime');
const { fail, runtimeTuning } = envReader(log);
const env = (name: string, fallback?: string) => process.env[name] ?? fallback ?? fail(`${name} must be set`);

const portal = env('PORTAL_NAME');
const config = process.env.PORTAL_CONFIG ? JSON.parse(fs.readFileSync(process.env.PORTAL_CONFIG, 'utf8')) : {};
const runtime = new SessionRuntime(KubeClient.fromKubeconfig(process.env.KUBECONFIG), {
  portal,
  portalNamespace: env('PORTAL_NAMESPACE', `${portal}-ui`),
  limits: limitsOf(config),
  identity: process.env.POD_NAME,
  ...runtimeTuning(),
  logger: log,
});
const api = runtimeApi(runtime);

async function main() {
  await runtime.start();
  const address = await api.listen({ host: process.env.HOST ?? '0.0.0.0', port: Number(process.env.PORT ?? 8080) });
  log.info({ address }, 'listening');
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    await api.close();
    await runtime.stop();
    process.exit(0);
  });
}
main().catch((error) => {
  log.error({ err: (error as Error).message }, 'could not start');
  process.exit(1);
});
