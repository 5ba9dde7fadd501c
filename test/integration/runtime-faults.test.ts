/**
 * The session runtime under faults, on the real control plane: the runtime process killed (SIGKILL) in the middle
 * of a burst of allocations, two replicas racing for the last reserved session, and an API server that fails,
 * throttles and drops connections. Each test checks what the cluster holds afterwards: every session converged,
 * one session per learner, no namespace without its session.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { API_VERSION, Labels, MANAGED_BY } from '../../src/constructs/index.js';
import { type AllocationResult, KubeClient, phaseOf, type SessionRuntime, type WorkshopSession } from '../../src/runtime/index.js';
import { type FaultProxy, seededRandom, startFaultProxy } from '../support/fault-proxy.js';
import { applyFixture, runtimeFor, synthPortal, waitFor } from '../support/portal-fixture.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const PREPARING = ['Requested', 'Allocating', 'Creating', 'Starting'];
/** Seed of the random choices (kill times, injected faults); set RUNTIME_FAULTS_SEED to try others. */
const SEED = Number(process.env.RUNTIME_FAULTS_SEED ?? 20_261_126);

/**
 * Not a wait for a condition: every use is part of the faults and the load this file injects (when a process is
 * killed, when simulated learners arrive, how long a learner whose request failed takes to ask again) or the poll
 * interval of a loop that has a deadline and names what it waited for. Assertions never follow a sleep.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Namespace {
  metadata: { name: string; uid?: string; deletionTimestamp?: string; ownerReferences?: Array<{ kind: string; name: string; uid: string }> };
}

/** The WorkshopSessions and session namespaces of one environment, as the API server has them. */
async function snapshot(environment: string) {
  const selector = `${Labels.ENVIRONMENT}=${environment}`;
  const sessions = await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession', { labelSelector: selector });
  const namespaces = await client.list<Namespace>('v1', 'Namespace', {
    labelSelector: `${Labels.COMPONENT}=session,${Labels.MANAGED_BY}=${MANAGED_BY},${selector}`,
  });
  return { sessions, namespaces };
}

/** What is wrong with an environment at rest: namespaces without their session, one learner with two sessions. */
function problems({ sessions, namespaces }: Awaited<ReturnType<typeof snapshot>>): string[] {
  const found: string[] = [];
  const byName = new Map(sessions.map((s) => [s.metadata.name, s]));
  for (const ns of namespaces) {
    const owner = ns.metadata.ownerReferences?.find((o) => o.kind === 'WorkshopSession');
    const session = byName.get(ns.metadata.name);
    if (!session) found.push(`namespace ${ns.metadata.name} has no WorkshopSession`);
    else if (!owner || owner.uid !== session.metadata.uid)
      found.push(`namespace ${ns.metadata.name} is owned by ${owner?.uid}, not by its session ${session.metadata.uid}`);
  }
  const users = new Map<string, string[]>();
  for (const s of sessions) {
    if (!s.status?.user || ['Terminating', 'Failed'].includes(phaseOf(s))) continue;
    users.set(s.status.user, [...(users.get(s.status.user) ?? []), s.metadata.name]);
  }
  for (const [user, names] of users) if (names.length > 1) found.push(`${user} has ${names.length} sessions: ${names.join(', ')}`);
  return found;
}

const describeSessions = (sessions: WorkshopSession[]) =>
  sessions
    .map((s) => `${s.metadata.name}:${phaseOf(s)}${s.status?.user ? `:${s.status.user}` : ''}${s.status?.reason ? `(${s.status.reason})` : ''}`)
    .sort()
    .join(' ');

// ------------------------------------------------------------------------------------------------ the process

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function call(port: number, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: false,
        timeout: 60_000,
        headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(data);
  });
}

/** `src/apps/runtime.ts` as a child process, restarted under a new pod name each time. */
class RuntimeProcess {
  public incarnation = -1;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  public readonly logPath: string;

  constructor(
    public readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.logPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-faults-')), 'runtime.log');
  }

  public get identity(): string {
    return `runtime-${this.incarnation}`;
  }

  public start(): void {
    this.incarnation++;
    const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `---- ${this.identity} ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/apps/runtime.ts'], {
      cwd: ROOT,
      env: { ...inherited, ...this.env, PORT: String(this.port), HOST: '127.0.0.1', POD_NAME: this.identity },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  public get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  public async ready(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.identity} exited (${this.child?.exitCode ?? this.child?.signalCode}); see ${this.logPath}`);
      const answer = await call(this.port, 'GET', '/readyz').catch(() => undefined);
      if (answer?.status === 200) return;
      await sleep(100);
    }
    throw new Error(`${this.identity} not ready within 60s; see ${this.logPath}`);
  }

  public async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await this.exited;
  }
}

// ------------------------------------------------------------------------------------------------ the tests

afterAll(async () => {
  await client.close();
});

describe('the runtime under faults', () => {
  const processes: RuntimeProcess[] = [];
  const runtimes: SessionRuntime[] = [];
  let proxy: FaultProxy | undefined;

  afterAll(async () => {
    for (const p of processes) await p.kill('SIGTERM');
    for (const r of runtimes) await r.stop().catch(() => undefined);
    await proxy?.close();
  });

  test('killed (SIGKILL) three times during a burst of 25 allocations, the runtime converges: one session per learner, every session Ready, no orphan namespace', async () => {
    const fixture = synthPortal('ftcrash', [{ name: 'ftburst', capacity: 30, reserved: 2 }]);
    await applyFixture(client, fixture);
    const environment = fixture.environment('ftburst');
    const runtime = new RuntimeProcess(await freePort(), {
      KUBECONFIG: process.env.KUBECONFIG!,
      PORTAL_NAME: fixture.portal,
      PORTAL_NAMESPACE: `${fixture.portal}-ui`,
      LOG_LEVEL: process.env.RUNTIME_LOG_LEVEL ?? 'warn',
      RUNTIME_LEASE_SECONDS: '3',
    });
    processes.push(runtime);
    const killAt = seededRandom(SEED);
    const context = `seed ${SEED}, runtime log ${runtime.logPath}`;

    runtime.start();
    await runtime.ready();

    // learners: a request that fails because the process died is sent again (to the restarted process); a refusal
    // for capacity (sessions stranded by a kill take slots until they are Ready reserves) is asked again later
    const answers = new Map<string, { session: string; source: string; tries: number }>();
    const learner = async (user: string, index: number) => {
      // they arrive over 1.75 s, so that the first kill (at most 1.5 s in) finds some of them still to come
      await sleep(index * 70);
      const deadline = Date.now() + 150_000;
      let last = '';
      for (let tries = 1; Date.now() < deadline; tries++) {
        let answer: { status: number; body: any } | undefined;
        try {
          answer = await call(runtime.port, 'POST', '/runtime/allocate', { environment, user });
        } catch (error) {
          last = (error as Error).message;
          await sleep(100 + Math.random() * 200);
          continue;
        }
        if (answer.status === 200) {
          answers.set(user, { session: answer.body.session.name, source: answer.body.source, tries });
          return;
        }
        last = `${answer.status} ${JSON.stringify(answer.body)}`;
        if (answer.status !== 503 && answer.status !== 500) throw new Error(`${user}: unexpected answer ${last} (${context})`);
        await sleep(500);
      }
      throw new Error(`${user} got no session: ${last} (${context})`);
    };
    const users = Array.from({ length: 25 }, (_, i) => `learner-${String(i + 1).padStart(2, '0')}`);
    const burst = Promise.all(users.map(learner));

    const lease = `${MANAGED_BY}-${fixture.portal}-reconciler`;
    const kills: Array<{ identity: string; afterMs: number; preparing: number; sessions: number }> = [];
    for (let kill = 0; kill < 3; kill++) {
      // the first kill lands in the burst itself; the next ones once the restarted process leads, while it creates
      if (kill > 0) {
        await waitFor(
          `${runtime.identity} to lead`,
          async () => {
            const held = await client.get<{ spec: { holderIdentity?: string } }>('coordination.k8s.io/v1', 'Lease', lease, `${fixture.portal}-ui`);
            return held?.spec.holderIdentity === runtime.identity;
          },
          30_000,
        );
      }
      const afterMs = Math.round(100 + killAt() * 1400);
      await sleep(afterMs);
      await runtime.kill();
      const { sessions } = await snapshot(environment);
      kills.push({
        identity: runtime.identity,
        afterMs,
        preparing: sessions.filter((s) => PREPARING.includes(phaseOf(s))).length,
        sessions: sessions.length,
      });
      runtime.start();
      await runtime.ready();
    }
    await burst;

    // converged, with the last process running: nothing stuck half-made
    const settled = await waitFor(
      'every session Ready or Failed',
      async () => {
        const state = await snapshot(environment);
        const stuck = state.sessions.filter((s) => !['Ready', 'Failed'].includes(phaseOf(s)));
        return stuck.length === 0 ? state : undefined;
      },
      120_000,
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}; sessions: ${describeSessions((await snapshot(environment)).sessions)} (${context})`);
    });
    const { sessions, namespaces } = settled;
    const summary = `${describeSessions(sessions)}; kills: ${JSON.stringify(kills)} (${context})`;

    // the kills were not vacuous: they left sessions half-made, and learners had to ask again
    const tries = [...answers.values()].reduce((n, a) => n + a.tries, 0);
    expect({ preparingAtKills: kills.reduce((n, k) => n + k.preparing, 0) > 0, resent: tries > users.length, summary }).toEqual({
      preparingAtKills: true,
      resent: true,
      summary,
    });
    for (const session of sessions.filter((s) => phaseOf(s) === 'Failed'))
      expect({ name: session.metadata.name, reason: session.status?.reason }).toEqual({ name: session.metadata.name, reason: expect.any(String) });
    // every learner got an answer, and holds exactly the one session they were answered with
    expect(answers.size).toBe(users.length);
    for (const user of users) {
      const theirs = sessions.filter((s) => s.status?.user === user).map((s) => `${s.metadata.name}:${phaseOf(s)}`);
      expect({ user, theirs, summary }).toEqual({ user, theirs: [`${answers.get(user)!.session}:Ready`], summary });
    }
    expect({ problems: problems(settled), summary }).toEqual({ problems: [], summary });
    // every Ready session has its namespace
    const namespaced = new Set(namespaces.map((n) => n.metadata.name));
    expect({
      withoutNamespace: sessions.filter((s) => phaseOf(s) === 'Ready' && !namespaced.has(s.metadata.name)).map((s) => s.metadata.name),
      summary,
    }).toEqual({ withoutNamespace: [], summary });
    expect(sessions.length).toBeLessThanOrEqual(30);
    const sources: Record<string, number> = {};
    for (const a of answers.values()) sources[a.source] = (sources[a.source] ?? 0) + 1;
    console.info(
      `crash during a burst: kills ${JSON.stringify(kills)}; answers by source ${JSON.stringify(sources)}; ` +
        `requests ${tries}; ${sessions.length} sessions (${context})`,
    );

    await runtime.kill('SIGTERM');
    fs.rmSync(path.dirname(runtime.logPath), { recursive: true, force: true });
  });

  test('two replicas racing for the last reserved session: exactly one learner gets it, the other is refused', async () => {
    const fixture = synthPortal('ftrace', [{ name: 'ftlast', capacity: 1, reserved: 1 }]);
    await applyFixture(client, fixture);
    const environment = fixture.environment('ftlast');
    const a = runtimeFor(KubeClient.fromKubeconfig(process.env.KUBECONFIG), fixture, { identity: 'replica-a' });
    const b = runtimeFor(KubeClient.fromKubeconfig(process.env.KUBECONFIG), fixture, { identity: 'replica-b' });
    runtimes.push(a, b);
    await Promise.all([a.start(), b.start()]);

    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      // both replicas see the same Ready reserve, at the same resourceVersion
      const reserve = await waitFor(
        `round ${round}: a Ready reserve both replicas see`,
        () => {
          const [sa, sb] = [a, b].map((r) => r.state.sessionsOf(environment).find((s) => phaseOf(s) === 'Ready' && !s.status?.user));
          return sa && sb && sa.metadata.resourceVersion === sb.metadata.resourceVersion ? sa : undefined;
        },
        90_000,
      );
      const contenders = [
        { runtime: a, user: `alice-${round}` },
        { runtime: b, user: `bob-${round}` },
      ];
      if (round % 2) contenders.reverse();
      const results: AllocationResult[] = await Promise.all(contenders.map((c) => c.runtime.allocate({ environment, user: c.user })));

      const outcome = results.map((r) => ('session' in r ? r.source : r.refused));
      outcomes.push(contenders.map((c, i) => `${c.user}: ${outcome[i]}`).join(', '));
      expect(outcome.slice().sort()).toEqual(['no-capacity', 'pool']);
      const winner = contenders[outcome.indexOf('pool')];
      const loser = contenders[outcome.indexOf('no-capacity')];
      const won = (results[outcome.indexOf('pool')] as { session: WorkshopSession }).session;
      expect(won.metadata.uid).toBe(reserve.metadata.uid);
      const stored = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', reserve.metadata.name);
      expect(stored!.metadata.uid).toBe(reserve.metadata.uid);
      expect(stored!.status).toMatchObject({ phase: 'Ready', user: winner.user, reason: 'Allocated' });
      // asking again changes nothing: the winner has it, the loser is still refused (on either replica)
      expect(await loser.runtime.allocate({ environment, user: winner.user })).toMatchObject({
        source: 'existing',
        session: { metadata: { uid: reserve.metadata.uid } },
      });
      expect(await winner.runtime.allocate({ environment, user: loser.user })).toMatchObject({ refused: 'no-capacity' });
      expect((await snapshot(environment)).sessions.map((s) => s.metadata.uid)).toEqual([reserve.metadata.uid]);

      // the winner ends it; the slot frees and the pool makes the next reserve
      await winner.runtime.terminate(reserve.metadata.name, 'TerminatedByUser');
      await waitFor(
        `round ${round}: ${reserve.metadata.name} gone`,
        async () => {
          const { sessions, namespaces } = await snapshot(environment);
          return (
            !sessions.some((s) => s.metadata.uid === reserve.metadata.uid) &&
            !namespaces.some((n) => n.metadata.ownerReferences?.some((o) => o.uid === reserve.metadata.uid))
          );
        },
        90_000,
      );
    }
    console.info(`race for the last reserve: ${outcomes.join('; ')}`);
  });

  test('through a flaky API server (500s, 429s, dropped connections and watches), the runtime converges', async () => {
    // Besides the random ~5%, two faults are placed where they hurt most, so that the test does not depend on luck
    // to meet them: the answers of the first two session status writes of the allocations are lost (the writes
    // land; the retry conflicts with them), and the answers of two lease renewals are lost (the retry conflicts,
    // the replica stops leading, and takes the lease again two seconds later).
    const targeted = { statusAnswers: 0, leaseAnswers: 0 };
    proxy = await startFaultProxy({
      seed: SEED,
      choose: ({ method, path: p }) => {
        if (method !== 'PUT') return undefined;
        if (targeted.statusAnswers > 0 && /\/workshopsessions\/[^/]+\/status$/.test(p)) {
          targeted.statusAnswers--;
          return 'dropAfter';
        }
        if (targeted.leaseAnswers > 0 && p.includes('/leases/')) {
          targeted.leaseAnswers--;
          return 'dropAfter';
        }
        return undefined;
      },
    });
    const fixture = synthPortal('ftproxy', [{ name: 'ftflaky', capacity: 10, initial: 4, reserved: 2 }]);
    await applyFixture(client, fixture);
    const environment = fixture.environment('ftflaky');
    const runtime = runtimeFor(KubeClient.fromKubeconfig(proxy.kubeconfigPath), fixture, { identity: 'flaky' });
    runtimes.push(runtime);
    const context = () =>
      `seed ${SEED}, faults ${JSON.stringify(proxy!.faults)} (${proxy!.chosen.count} targeted), requests ${JSON.stringify(proxy!.requests)}`;
    // a watch event that arrives just as the lease is lost (as one does on a busy replica) finds the reconciler awake
    const leadership: string[] = [];
    runtime.leader.prependListener('stopped', () => {
      leadership.push('stopped');
      runtime.state.sessions.emit('change', 'MODIFIED', runtime.state.sessions.list()[0]);
    });
    runtime.leader.on('started', () => leadership.push('started'));
    await runtime.start();

    const readyReserves = (sessions: WorkshopSession[]) => sessions.filter((s) => phaseOf(s) === 'Ready' && !s.status?.user);
    await waitFor('4 Ready reserves', async () => readyReserves((await snapshot(environment)).sessions).length >= 4, 90_000);

    // six learners at once; a learner whose request failed asks again
    Object.assign(targeted, { statusAnswers: 2, leaseAnswers: 2 });
    const users = Array.from({ length: 6 }, (_, i) => `flaky-${i + 1}`);
    const answered = new Map<string, WorkshopSession>();
    const errors: string[] = [];
    await Promise.all(
      users.map(async (user) => {
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            const result = await runtime.allocate({ environment, user });
            if (!('session' in result)) throw new Error(`${user} refused: ${result.refused}`);
            answered.set(user, result.session);
            return;
          } catch (error) {
            errors.push(`${user}: ${(error as Error).message}`);
            await sleep(300);
          }
        }
      }),
    );
    expect({ answered: [...answered.keys()].sort(), errors, context: context() }).toEqual({
      answered: users,
      errors: expect.any(Array),
      context: context(),
    });

    // two of them end their sessions
    const ended = users.slice(0, 2).map((user) => answered.get(user)!);
    for (const session of ended) {
      await waitFor(
        `${session.metadata.name} ending`,
        async () => {
          const result = await runtime.terminate(session.metadata.name, 'TerminatedByUser');
          return result && phaseOf(result) === 'Terminating';
        },
        30_000,
      );
    }

    const settled = await waitFor(
      'the environment to settle',
      async () => {
        const state = await snapshot(environment);
        const { sessions, namespaces } = state;
        const endedGone = ended.every(
          (e) =>
            !sessions.some((s) => s.metadata.uid === e.metadata.uid) &&
            !namespaces.some((n) => n.metadata.ownerReferences?.some((o) => o.uid === e.metadata.uid)),
        );
        const allSettled = sessions.every((s) => ['Ready', 'Failed'].includes(phaseOf(s)));
        return endedGone && allSettled && readyReserves(sessions).length >= 2 ? state : undefined;
      },
      120_000,
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}; sessions: ${describeSessions((await snapshot(environment)).sessions)}; ${context()}`);
    });
    const summary = `${describeSessions(settled.sessions)}; ${context()}`;
    expect({
      failed: settled.sessions.filter((s) => phaseOf(s) === 'Failed').map((s) => `${s.metadata.name}: ${s.status?.message}`),
      summary,
    }).toEqual({ failed: [], summary });
    for (const user of users) {
      const theirs = settled.sessions.filter((s) => s.status?.user === user).map((s) => `${s.metadata.name}:${phaseOf(s)}`);
      const expected = users.indexOf(user) < 2 ? [] : [`${answered.get(user)!.metadata.name}:Ready`];
      expect({ user, theirs, summary }).toEqual({ user, theirs: expected, summary });
    }
    expect({ problems: problems(settled), summary }).toEqual({ problems: [], summary });
    expect(settled.sessions.length).toBeLessThanOrEqual(10);

    // the proxy really did get in the way, in every way it can, and leadership was lost and regained
    expect(targeted).toEqual({ statusAnswers: 0, leaseAnswers: 0 });
    expect({ lost: leadership.includes('stopped'), leading: leadership.at(-1) }).toEqual({ lost: true, leading: 'started' });
    // every kind the proxy draws at random (those only a test picks are not drawn)
    for (const kind of (Object.keys(proxy.faults) as Array<keyof FaultProxy['faults']>).filter((k) => k !== 'watchGone' && k !== 'watchGarbage')) {
      expect({ kind, injected: proxy.faults[kind] > 0, context: context() }).toEqual({ kind, injected: true, context: context() });
    }
    console.info(`flaky API server: ${summary}; allocation errors seen by learners: ${errors.length}; leadership: ${leadership.join(' ')}`);
  });
});
