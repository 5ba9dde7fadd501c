/**
 * Time to a working session on the real node: `npm run bench:start` (tsx; root; one real node per machine).
 *
 * Starts (through test/support/real-cluster.ts) the real node in a private cluster, a loopback registry with the
 * project's images and Traefik, applies dist/ as real-journey.test.ts does (hello-terminal's dashboards on the real
 * node, every pool emptied so that each session is made on demand), then for 1 learner and for 20 at once, with a cold
 * image cache (the dashboard image removed from the node's containerd, so the first pod pulls it) and a warm one:
 * asks the portal's REST API (as its robot) for a session per learner and measures until the session's dashboard
 * answers /healthz in its pod through Traefik. Prints the figures; no targets.
 */
import * as path from 'node:path';

import { run, workshops } from '../test/support/cli.js';
import { distObjects, type RealCluster, realDist, startRealCluster } from '../test/support/real-cluster.js';
import { eventually } from '../test/support/real-node.js';

const DOMAIN = 'workshops.127-0-0-1.test';
const PORTAL_HOST = `labs-ui.${DOMAIN}`;
const ENVIRONMENT = 'labs-hello-terminal';
const CONTENT = 'cdk8s-workshops/hello-terminal-files:1.0.0';

type Json = Record<string, any>;
let cluster: RealCluster;

async function robotToken(): Promise<string> {
  const secret = (await cluster.getJson('-n', 'labs-ui', 'get', 'secret', 'training-portal-credentials')).data as Record<string, string>;
  const v = (key: string) => Buffer.from(secret[key], 'base64').toString();
  const answer = await cluster.viaIngress(PORTAL_HOST, '/oauth2/token/', {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${v('robot-client-id')}:${v('robot-client-secret')}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', username: v('robot-username'), password: v('robot-password') }).toString(),
  });
  const token = answer.status === 200 ? (JSON.parse(answer.body) as Json).access_token : undefined;
  if (!token) throw new Error(`robot token: ${answer.status} ${answer.body}`);
  return token;
}

/** Removes the dashboard image from the node's containerd (its content is collected with it): the next pod pulls. */
async function coldCache(): Promise<void> {
  const ref = `${cluster.registry.host}/cdk8s-workshops/session-dashboard:0.1.0`;
  const r = await run('ctr', [
    '--address',
    path.join(cluster.node.stateDir, 'node', 'containerd', 'containerd.sock'),
    '--namespace',
    'k8s.io',
    'images',
    'rm',
    '--sync',
    ref,
  ]);
  if (r.code !== 0 && !/not found/.test(r.stderr)) throw new Error(`ctr images rm ${ref}: ${r.stderr.trim()}`);
}

/** Asks for `count` sessions at once; seconds until each one's dashboard answers /healthz through Traefik. */
async function round(label: string, count: number, token: string): Promise<number[]> {
  const started = Date.now();
  const times = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const asked = await cluster.viaIngress(
        PORTAL_HOST,
        `/workshops/environment/${ENVIRONMENT}/request/?index_url=${encodeURIComponent('https://lms.example.com/')}&user=${label}-${i}`,
        { method: 'POST', headers: { authorization: `Bearer ${token}` } },
      );
      if (asked.status !== 200) throw new Error(`request for ${label}-${i}: ${asked.status} ${asked.body}`);
      const name = (JSON.parse(asked.body) as Json).name as string;
      await eventually(
        `the dashboard of ${name} to answer`,
        async () => (await cluster.viaIngress(`${name}.${DOMAIN}`, '/healthz')).status === 200,
        15 * 60_000,
      );
      return (Date.now() - started) / 1000;
    }),
  );
  return times.sort((a, b) => a - b);
}

/** The environment's WorkshopSessions as the API server has them now. */
async function environmentSessions(): Promise<Json[]> {
  const list = await cluster.getJson(
    'get',
    'workshopsessions.training.cdk8s-workshops.dev',
    '-l',
    `training.cdk8s-workshops.dev/environment.name=${ENVIRONMENT}`,
  );
  return list.items as Json[];
}

/** Creating → Ready of each session of the environment (its status history), sorted. */
async function secondsToReady(): Promise<number[]> {
  return (await environmentSessions())
    .map((s) => {
      const at = (phase: string) => Date.parse(s.status.history.find((h: Json) => h.phase === phase).time);
      return (at('Ready') - at('Creating')) / 1000;
    })
    .sort((a, b) => a - b);
}

/** Asks for `count` sessions at once and waits until all are Ready (kwok: no process answers in the pods). */
async function kwokRound(label: string, count: number, token: string): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const asked = await cluster.viaIngress(
        PORTAL_HOST,
        `/workshops/environment/${ENVIRONMENT}/request/?index_url=${encodeURIComponent('https://lms.example.com/')}&user=${label}-${i}`,
        { method: 'POST', headers: { authorization: `Bearer ${token}` } },
      );
      if (asked.status !== 200) throw new Error(`request for ${label}-${i}: ${asked.status} ${asked.body}`);
    }),
  );
  await eventually(
    `${count} sessions to be Ready`,
    async () => {
      const sessions = await environmentSessions();
      return sessions.length === count && sessions.every((s) => s.status?.history?.some((h: Json) => h.phase === 'Ready'));
    },
    10 * 60_000,
  );
}

/** Ends every session of the environment (deleting the WorkshopSessions; GC takes what they own) and waits for the pods to go. */
async function endAll(): Promise<void> {
  await cluster.k(
    'delete',
    'workshopsessions.training.cdk8s-workshops.dev',
    '-l',
    `training.cdk8s-workshops.dev/environment.name=${ENVIRONMENT}`,
    '--wait=false',
  );
  await eventually(
    "the sessions' pods to be gone",
    async () => JSON.parse(await cluster.k('-n', ENVIRONMENT, 'get', 'pods', '-o', 'json')).items.length === 0,
    10 * 60_000,
  );
  // and their namespaces: the portal reuses session names, and a name whose namespace is still being deleted fails
  // the new session (409 AlreadyExists "object is being deleted")
  await eventually(
    'the session namespaces to be gone',
    async () =>
      JSON.parse(await cluster.k('get', 'namespaces', '-l', 'training.cdk8s-workshops.dev/component=session', '-o', 'json')).items.length === 0,
    10 * 60_000,
  );
}

async function main() {
  cluster = await startRealCluster();
  try {
    const published = await workshops(['publish', 'examples/hello-terminal', '--image', `${cluster.registry.host}/${CONTENT}`]);
    if (published.code !== 0) throw new Error(`workshops publish: ${published.stderr}`);
    const objects = realDist(distObjects(), {
      registry: cluster.registry.host,
      activeEnvironments: [],
      content: { [ENVIRONMENT]: `${cluster.podRegistry}/${CONTENT}` },
    });
    await cluster.applyDist(objects);
    await cluster.k('-n', 'labs-ui', 'rollout', 'status', 'deployment/training-portal', '--timeout=600s');
    const token = await eventually('the robot token', () => robotToken().catch(() => undefined), 120_000);

    const results: Array<[string, number[]]> = [];
    const ready: Array<[string, number[]]> = [];
    for (const [count, cache] of [
      [1, 'cold'],
      [1, 'warm'],
      [20, 'cold'],
      [20, 'warm'],
    ] as const) {
      if (cache === 'cold') await coldCache();
      const label = `b${count}${cache}`;
      const times = await round(label, count, token);
      results.push([`${count} learner(s), ${cache} image cache`, times]);
      ready.push([`real node, ${count} learner(s), ${cache} cache`, await secondsToReady()]);
      console.error(`${label}: ${times.map((t) => t.toFixed(1)).join(' ')}`);
      await endAll();
    }
    // the same sessions with their pods on the kwok nodes (Ready without a process)
    const kwokOnly = realDist(distObjects(), {
      registry: cluster.registry.host,
      activeEnvironments: [],
      content: { [ENVIRONMENT]: `${cluster.podRegistry}/${CONTENT}` },
      realNode: false,
    }).filter((o) => o.kind === 'WorkshopEnvironment' && o.metadata.name === ENVIRONMENT);
    await cluster.apply(kwokOnly);
    for (const count of [1, 20]) {
      await kwokRound(`k${count}`, count, token);
      ready.push([`kwok nodes, ${count} learner(s)`, await secondsToReady()]);
      await endAll();
    }
    const pct = (t: number[], p: number) => t[Math.min(t.length - 1, Math.ceil((p / 100) * t.length) - 1)];
    console.log('\nStart (REST request) → dashboard answering /healthz in its pod, through Traefik (s):');
    for (const [what, t] of results)
      console.log(`  ${what.padEnd(34)} first ${t[0].toFixed(1)}  p50 ${pct(t, 50).toFixed(1)}  last ${t[t.length - 1].toFixed(1)}`);
    console.log('WorkshopSession Creating → Ready (s), real node beside kwok-only:');
    for (const [what, t] of ready)
      console.log(`  ${what.padEnd(34)} first ${t[0].toFixed(1)}  p50 ${pct(t, 50).toFixed(1)}  last ${t[t.length - 1].toFixed(1)}`);
    console.log(`  preparation: ${JSON.stringify(cluster.timings)}`);
  } finally {
    await cluster.release();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
