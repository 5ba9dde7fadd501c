/**
 * The reconciler, run by the leader replica: it keeps every environment's pool of ready sessions, takes sessions
 * through their phases (Creating → Starting → Ready, Active ⇄ Idle, Expired → Terminating → gone), enforces the
 * timers, recycles reserves when a blueprint changes, and cleans up. Everything it knows is in the caches, so a
 * restart (or a new leader) resumes where the last one stopped.
 *
 * The work is keyed (work-queue.ts): one key per session, one per environment and one for the portal as a whole.
 * Watch events queue the keys they concern; a session's timers (expiry, idle, orphaned, overdue, activation,
 * startup, retention) queue its key when they fall due; every `tickMs` every key is queued again as a safety net.
 * Sessions are worked on side by side (a key at most once at a time), environments and the portal one at a time
 * (their pool arithmetic must not interleave). A failing key backs off alone, and its client gives up after a
 * bounded time (the runtime's reconciler client), so one slow call delays neither other sessions nor their timers.
 */
import { randomInt } from 'node:crypto';

import { API_VERSION, type SessionPhase } from '../constructs/index.js';
import { generateFromPattern } from '../constructs/index.js';
import { applySession, copySecret } from './applier.js';
import { Drainer } from './drain.js';
import { reportEnvironmentReadiness } from './environment-conditions.js';
import { isRetryable, type KubeClient } from './kube-client.js';
import type { Logger } from './log.js';
import type { RuntimeMetrics } from './metrics.js';
import { Priority } from './pacer.js';
import { applyRequestObjects } from './request-objects.js';
import { routeServed } from './route-readiness.js';
import { type EndReason, isLive, isReserve, phaseOf, type WorkshopSession } from './session.js';
import { ConflictError, type SessionStore } from './session-store.js';
import { createInFreeSlot } from './slots.js';
import type { RuntimeState, WorkshopEnvironment } from './state.js';
import { WorkQueue, type WorkResult } from './work-queue.js';

export interface ReconcilerOptions {
  /** Sessions created at once. @default 10 */
  readonly creationConcurrency?: number;
  /** Reserves the reconciler starts creating per pass, so a refill does not flood the API server. @default 5 */
  readonly refillBatch?: number;
  /** An active session with no activity for this long becomes Idle. @default 60 */
  readonly idleAfterSeconds?: number;
  /** A session that does not reach Ready within this time fails. @default 600 */
  readonly startupTimeoutSeconds?: number;
  /** How long a Failed session is kept for inspection before it is deleted. @default 600 */
  readonly failedRetentionSeconds?: number;
  /** How often every key is queued again (a safety net: timers and watch events queue their keys themselves). @default 1000 */
  readonly tickMs?: number;
  /** Sessions worked on at once. @default 8 */
  readonly sessionWorkers?: number;
}

interface Backoff {
  failures: number;
  until: number;
}

export class Reconciler {
  private readonly options: Required<ReconcilerOptions>;
  private running = false;
  /** Aborted when this replica stops leading: creations under way stop between requests. */
  private leadership = new AbortController();
  private timer?: NodeJS.Timeout;
  /** Session keys (session names). */
  private readonly sessionQueue: WorkQueue;
  /** Environment keys (`environment/<name>`) and the portal's (`portal`), one at a time. */
  private readonly poolQueue: WorkQueue;
  private readonly applying = new Set<string>();
  private readonly queue: string[] = [];
  private readonly deleting = new Map<string, number>();
  private readonly backoff = new Map<string, Backoff>();
  /** Environments (name@generation) whose declared Secrets have been copied in. */
  private readonly copied = new Set<string>();
  private readonly drainer: Drainer;

  constructor(
    private readonly state: RuntimeState,
    private readonly store: SessionStore,
    private readonly client: KubeClient,
    private readonly metrics: RuntimeMetrics,
    private readonly log: Logger,
    options: ReconcilerOptions = {},
  ) {
    this.options = {
      creationConcurrency: options.creationConcurrency ?? 10,
      refillBatch: options.refillBatch ?? 5,
      idleAfterSeconds: options.idleAfterSeconds ?? 60,
      startupTimeoutSeconds: options.startupTimeoutSeconds ?? 600,
      failedRetentionSeconds: options.failedRetentionSeconds ?? 600,
      tickMs: options.tickMs ?? 1000,
      sessionWorkers: options.sessionWorkers ?? 8,
    };
    this.drainer = new Drainer(client, state, store, log);
    this.sessionQueue = new WorkQueue((name) => this.workSession(name), { workers: this.options.sessionWorkers, maxDelayMs: 30_000 });
    this.poolQueue = new WorkQueue((key) => this.workPool(key), { workers: 1, maxDelayMs: 30_000 });
  }

  public start(): void {
    if (this.running) return;
    this.running = true;
    this.leadership = new AbortController();
    this.log.info('reconciler started (leading)');
    this.sessionQueue.start();
    this.poolQueue.start();
    const tick = () => {
      this.resync();
      this.timer = setTimeout(tick, this.options.tickMs);
    };
    tick();
  }

  public stop(): void {
    this.running = false;
    this.leadership.abort();
    clearTimeout(this.timer);
    this.timer = undefined;
    // keys and timers are forgotten: a new leader (this one again, perhaps) starts from the caches
    this.sessionQueue.stop();
    this.poolQueue.stop();
    this.log.info('reconciler stopped');
  }

  /** Asks for the pools to be looked at soon (after an allocation, a creation finished, an environment changed). */
  public wake(): void {
    if (!this.running) return;
    for (const environment of this.state.environments.list()) this.poolQueue.add(`environment/${environment.metadata.name}`);
    this.poolQueue.add('portal');
  }

  /** A session changed (a watch event, or a write of this process): its key, and its environment's pool. */
  public sessionChanged(name: string, environment?: string): void {
    if (!this.running) return;
    this.sessionQueue.add(name);
    if (environment) this.poolQueue.add(`environment/${environment}`);
    this.poolQueue.add('portal');
  }

  /** A Deployment of an environment namespace changed: the sessions that are starting look again. */
  public deploymentChanged(): void {
    if (!this.running) return;
    for (const session of this.state.sessions.list()) if (phaseOf(session) === 'Starting') this.sessionQueue.add(session.metadata.name);
  }

  /** Every key, queued again (deduplicated: keys already waiting are not added twice). */
  private resync(): void {
    this.wake();
    for (const session of this.state.sessions.list()) this.sessionQueue.add(session.metadata.name);
  }

  /**
   * One full pass, for tests and benchmarks that assert what did not happen ("after a pass, still no new
   * reserve"; "after a pass past its deadline, the session still runs"): every environment, the portal and every
   * session known now are queued (as the tick does), and the promise resolves once each of them has been worked on,
   * from start to end, after this call. Creations a pass starts go on in the background (their WorkshopSession
   * exists already). Rejects when this replica does not lead, or stops leading meanwhile.
   */
  public async pass(): Promise<void> {
    if (!this.running) throw new Error('no reconciler pass: this replica does not lead');
    const pools = [...this.state.environments.list().map((e) => `environment/${e.metadata.name}`), 'portal'];
    await Promise.all([
      ...pools.map((key) => this.poolQueue.addAndWait(key)),
      ...this.state.sessions.list().map((session) => this.sessionQueue.addAndWait(session.metadata.name)),
    ]);
  }

  /** Resolves once no key is waiting or being worked on (for benchmarks and tests). */
  public async whenIdle(): Promise<void> {
    await Promise.all([this.sessionQueue.whenIdle(), this.poolQueue.whenIdle()]);
  }

  private async workPool(key: string): Promise<WorkResult> {
    const now = Date.now();
    if (key === 'portal') {
      await this.state
        .watchOutsideDeployments()
        .catch((error: Error) =>
          this.log.warn({ err: error.message }, 'cannot watch the Deployments of an environment namespace yet; its sessions wait'),
        );
      await this.trimToPortalMaximum();
      this.pump();
      return;
    }
    const environment = this.state.environment(key.slice('environment/'.length));
    if (!environment) return;
    try {
      await this.reconcileEnvironment(environment, now);
    } catch (error) {
      if (error instanceof ConflictError) return { requeueAfterMs: 50 };
      this.log.warn({ environment: environment.metadata.name, err: (error as Error).message }, 'could not reconcile the environment; trying again');
      throw error;
    } finally {
      this.pump();
    }
  }

  private async workSession(name: string): Promise<WorkResult> {
    const session = this.state.sessions.get(name);
    if (!session) {
      this.deleting.delete(name);
      return;
    }
    const now = Date.now();
    await this.reconcileSession(session, now);
    this.pump();
    // the next timer of the session as it is now in the cache (a change queues the key anyway)
    const latest = this.state.sessions.get(name);
    const due = latest ? this.nextDue(latest, Date.now()) : undefined;
    return due === undefined ? undefined : { requeueAfterMs: Math.max(0, due - Date.now()) };
  }

  /** When a session's next timer falls due (ms since the epoch), or undefined when it has none. */
  private nextDue(session: WorkshopSession, now: number): number | undefined {
    const environment = this.state.environment(session.spec.environment);
    const pool = environment?.spec.pool;
    const status = session.status;
    const at = (time?: string) => (time ? Date.parse(time) : NaN);
    const times: number[] = [];
    const created = at(String(session.metadata.creationTimestamp));
    switch (phaseOf(session)) {
      case 'Requested':
      case 'Allocating':
        times.push(created + 10_001);
        break;
      case 'Starting':
        // Deployments in the session's own namespaces are read, not watched: once a second
        times.push(now + 1000, created + this.options.startupTimeoutSeconds * 1000 + 1);
        break;
      case 'Ready':
      case 'Active':
      case 'Idle':
        if (!status?.user || !pool) break;
        times.push(at(status.expiresAt));
        if (phaseOf(session) === 'Ready' && !status.activatedAt) {
          times.push(at(status.activationDeadline));
          const openable = Math.max(at(status.readyAt) || 0, at(status.allocatedAt) || 0);
          if (pool.overdueSeconds > 0 && openable) times.push(openable + pool.overdueSeconds * 1000 + 1);
        }
        if (phaseOf(session) === 'Active') times.push(at(status.lastActivityAt) + this.options.idleAfterSeconds * 1000 + 1);
        if (phaseOf(session) === 'Idle' && pool.orphanedSeconds > 0) times.push(at(status.lastActivityAt) + pool.orphanedSeconds * 1000 + 1);
        break;
      case 'Terminating':
        // its namespace is deleted again if it has not gone after a while
        times.push(now + 15_001);
        break;
      case 'Failed':
        times.push(at(status?.history?.at(-1)?.time) + this.options.failedRetentionSeconds * 1000 + 1);
        break;
      default:
        break;
    }
    const future = times.filter((t) => Number.isFinite(t));
    return future.length ? Math.min(...future) : undefined;
  }

  private async reconcileEnvironment(environment: WorkshopEnvironment, now: number): Promise<void> {
    const name = environment.metadata.name;
    const pool = environment.spec.pool;
    await reportEnvironmentReadiness(this.client, this.state, environment, this.backoff.get(name)?.until, now);
    // held by a finalizer; once deleted it makes nothing and waits for its learners' sessions to end (drain.ts)
    if (await this.drainer.reconcile(environment, (s, reason, message) => this.end(s, reason, message))) return;
    const generation = Number(environment.metadata.generation ?? 0);
    const sessions = this.state.sessionsOf(name);
    const live = sessions.filter(isLive);

    // A changed blueprint: reserves nobody has are recycled; allocated sessions finish on the old one.
    for (const session of live.filter((s) => isReserve(s) && s.spec.blueprintGeneration < generation)) {
      await this.end(session, 'Recycled');
    }
    // Refresh: reserves older than the refresh age are replaced by fresh ones.
    if (pool.refreshSeconds > 0) {
      for (const session of live.filter((s) => isReserve(s) && now - Date.parse(String(s.metadata.creationTimestamp)) > pool.refreshSeconds * 1000)) {
        await this.end(session, 'Recycled');
      }
    }

    // The Secrets the workshop copies into its environment, once per generation (the sessions copy from there).
    const copyKey = `${name}@${generation}`;
    if (!this.copied.has(copyKey)) {
      try {
        for (const ref of environment.spec.environment?.secrets ?? []) await copySecret(this.client, ref, name);
        this.copied.add(copyKey);
      } catch (error) {
        this.log.warn({ environment: name, err: (error as Error).message }, "could not copy the environment's secrets; its sessions wait");
        return;
      }
    }

    const current = this.state.sessionsOf(name).filter(isLive);
    // Capacity lowered: unallocated reserves above it go first.
    if (current.length > pool.capacity) {
      const excess = current.filter(isReserve).slice(0, current.length - pool.capacity);
      for (const session of excess) await this.end(session, 'Trimmed');
    }

    const initialized = environment.status?.initialized === true;
    // `initial: 0`: nothing until the first learner asks; then the reserve is kept topped up.
    if (!initialized && pool.initial === 0 && sessions.length === 0) return;
    const available = current.filter((s) => isReserve(s) && s.spec.blueprintGeneration === generation).length;
    const target = initialized ? pool.reserved : Math.max(pool.initial, pool.reserved);
    let room = pool.capacity - current.length;
    if (this.state.limits.maximum > 0) {
      // A reserve evicted for a learner leaves room that is the learner's, not a refill's: it counts until gone.
      const evicting = this.state.sessions.list().filter((s) => s.status?.reason === 'Evicted').length;
      room = Math.min(room, this.state.limits.maximum - this.state.liveSessions().length - evicting);
    }
    let wanted = Math.min(target - available, room, this.options.refillBatch);
    const paused = this.backoff.get(name);
    if (paused && paused.until > now) return;
    // A learner's request goes before a refill: while learners' sessions wait to be created, refill nothing.
    if (this.queue.some((s) => this.state.sessions.get(s)?.status?.user)) wanted = 0;

    let created = 0;
    for (; created < wanted; created++) {
      if (!(await createInFreeSlot(this.state, this.store, environment, { phase: 'Creating' }))) break;
    }
    const done = available + created >= target || created >= room;
    if (!initialized && done) {
      try {
        const updated = await this.client.request<WorkshopEnvironment>(
          'PATCH',
          `${this.client.pathFor(API_VERSION, 'WorkshopEnvironment', name)}/status`,
          {
            body: { status: { phase: 'Running', initialized: true } },
            contentType: 'application/merge-patch+json',
          },
        );
        this.state.environments.observe(updated);
      } catch (error) {
        this.log.warn({ environment: name, err: (error as Error).message }, 'could not record the environment as initialized');
      }
    }
  }

  /** Above the portal's maximum (after it was lowered, or a race between replicas): the oldest reserves go. */
  private async trimToPortalMaximum(): Promise<void> {
    const maximum = this.state.limits.maximum;
    if (maximum <= 0) return;
    const live = this.state.liveSessions();
    if (live.length <= maximum) return;
    const reserves = live.filter(isReserve).sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    for (const session of reserves.slice(0, live.length - maximum)) await this.end(session, 'Trimmed');
  }

  private async reconcileSession(session: WorkshopSession, now: number): Promise<void> {
    const environment = this.state.environment(session.spec.environment);
    const phase = phaseOf(session);
    const status = session.status ?? { phase };
    const pool = environment?.spec.pool;
    const age = (time?: string) => (time ? now - Date.parse(time) : 0);
    const created = String(session.metadata.creationTimestamp);
    try {
      if (!environment && !['Terminating', 'Failed'].includes(phase)) {
        await this.end(session, 'Recycled', 'its workshop environment was removed');
        return;
      }
      switch (phase) {
        case 'Requested':
        case 'Allocating':
          // A replica stopped between creating the session and recording its phase: carry on. (Until then the
          // replica that created it is still writing; the grace period keeps the two from colliding.)
          if (age(created) > 10_000) await this.store.transition(session, 'Creating');
          return;
        case 'Creating':
          if (!this.applying.has(session.metadata.name) && !this.queue.includes(session.metadata.name)) this.queue.push(session.metadata.name);
          this.pump();
          return;
        case 'Starting':
          await this.state.checkSessionDeployments(session, environment!, now);
          // Ready once its Deployments are Available and the ingress serves its host (route-readiness.ts)
          if (
            this.state.deploymentsAvailable(session, environment!) &&
            routeServed(`${session.metadata.name}.${environment!.spec.portal.ingressDomain}`)
          ) {
            this.state.forgetSessionChecks(session.metadata.name);
            const readyAt = new Date(now).toISOString();
            const set: Record<string, string> = {
              readyAt,
              url: `${environment!.spec.portal.ingressProtocol}://${session.metadata.name}.${environment!.spec.portal.ingressDomain}`,
            };
            if (status.user && pool!.expiresSeconds > 0) {
              // an on-demand session's time starts when it is ready, not when it was asked for
              set.expiresAt = new Date(now + pool!.expiresSeconds * 1000).toISOString();
              set.deadlineAt = new Date(now + Math.max(pool!.deadlineSeconds, pool!.expiresSeconds) * 1000).toISOString();
            }
            // a learner waits for this one: ahead of refills in the paced lane
            const ready = await this.store.transition(session, 'Ready', { set, priority: status.user ? Priority.LEARNER : Priority.BACKGROUND });
            this.state.sessions.observe(ready);
            this.metrics.timeToReadySeconds.observe({ environment: session.spec.environment }, age(created) / 1000);
            this.backoff.delete(session.spec.environment);
          } else if (age(created) > this.options.startupTimeoutSeconds * 1000) {
            this.state.forgetSessionChecks(session.metadata.name);
            await this.fail(session, 'StartupTimeout', `not Ready within ${this.options.startupTimeoutSeconds}s`);
          }
          return;
        case 'Ready':
        case 'Active':
        case 'Idle':
          if (!status.user) return;
          if (status.expiresAt && age(status.expiresAt) >= 0) {
            const expired = await this.store.transition(session, 'Expired', { reason: 'Expired' });
            await this.end(expired, 'Expired');
            return;
          }
          if (!status.requestApplied) {
            await this.applyRequest(session, environment!);
            return;
          }
          if (phase === 'Ready' && !status.activatedAt) {
            if (status.activationDeadline && age(status.activationDeadline) >= 0) return void (await this.end(session, 'NotActivated'));
            // overdue counts from when the learner could first open it: allocation of a ready session, or readiness
            const openable = Math.max(Date.parse(status.readyAt ?? '') || 0, Date.parse(status.allocatedAt ?? '') || 0);
            if (pool!.overdueSeconds > 0 && openable && now - openable > pool!.overdueSeconds * 1000)
              return void (await this.end(session, 'Overdue'));
            return;
          }
          if (phase === 'Active' && age(status.lastActivityAt) > this.options.idleAfterSeconds * 1000) {
            this.state.sessions.observe(await this.store.transition(session, 'Idle'));
            return;
          }
          if (phase === 'Idle' && pool!.orphanedSeconds > 0 && age(status.lastActivityAt) > pool!.orphanedSeconds * 1000) {
            await this.end(session, 'Orphaned');
          }
          return;
        case 'Expired':
          await this.end(session, (status.reason as EndReason) ?? 'Expired');
          return;
        case 'Terminating':
          await this.cleanUp(session, true, now);
          return;
        case 'Failed':
          await this.cleanUp(session, age(status.history?.at(-1)?.time) > this.options.failedRetentionSeconds * 1000, now);
          return;
        default:
          return;
      }
    } catch (error) {
      // a lost race: the cache is behind, and its watch event queues the key again; look again soon anyway
      if (error instanceof ConflictError) {
        this.sessionQueue.addAfter(session.metadata.name, 50);
        return;
      }
      this.log.warn({ session: session.metadata.name, phase, err: (error as Error).message }, 'could not reconcile session');
      throw error;
    }
  }

  /**
   * Puts the learner's request into the session namespace as the Secret `workshop-request`: the workshop's request
   * parameters (fixed, or generated from their patterns) and the learner's name, for per-session objects and the
   * dashboard to read.
   */
  private async applyRequest(session: WorkshopSession, environment: WorkshopEnvironment): Promise<void> {
    const values: Record<string, string> = { username: session.status!.user! };
    // a REST client's values win over the declared defaults, for the declared parameters only (as in Educates)
    const supplied = session.status!.request?.parameters ?? {};
    for (const parameter of environment.spec.request?.parameters ?? []) {
      values[parameter.name] = Object.hasOwn(supplied, parameter.name)
        ? supplied[parameter.name]
        : parameter.generate
          ? generateFromPattern(parameter.generate.pattern, (n) => randomInt(n))
          : (parameter.value ?? '');
    }
    await this.client.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'workshop-request', namespace: session.metadata.name, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-workshops' } },
        type: 'Opaque',
        stringData: values,
      },
      { priority: Priority.INTERACTIVE },
    );
    // the environment's request.objects, with this request's parameters (Educates' WorkshopAllocation)
    await applyRequestObjects(this.client, session, environment, values, { secrets: () => this.store.secretsFor(session) });
    this.state.sessions.observe(await this.store.update(session, { requestApplied: true }));
  }

  /** Moves a session to Terminating with a reason (any phase but the ending ones). */
  private async end(session: WorkshopSession, reason: EndReason, message?: string): Promise<void> {
    const phase = phaseOf(session);
    if (phase === 'Terminating' || phase === 'Failed') return;
    const ended = await this.store.transition(session, 'Terminating', { reason, message, set: { terminatingAt: new Date().toISOString() } });
    this.state.sessions.observe(ended);
    this.metrics.terminations.inc({ environment: session.spec.environment, reason });
    this.log.info({ session: session.metadata.name, reason }, 'session ending');
  }

  private async fail(session: WorkshopSession, reason: string, message: string): Promise<void> {
    const failed = await this.store.transition(session, 'Failed', { reason, message });
    this.state.sessions.observe(failed);
    this.metrics.failures.inc({ environment: session.spec.environment, reason });
    this.log.warn({ session: session.metadata.name, reason, message }, 'session failed');
    const known = this.backoff.get(session.spec.environment) ?? { failures: 0, until: 0 };
    known.failures++;
    // Repeated failures pause the environment's refills (doubling up to five minutes) instead of hammering the API.
    known.until = Date.now() + Math.min(300_000, 5_000 * 2 ** (known.failures - 1));
    this.backoff.set(session.spec.environment, known);
  }

  /**
   * Deletes the session's namespace and its Deployments outside it (the workshop pod, in the environment
   * namespace); once the namespace is gone, the WorkshopSession too (when `removeSession`), and with it, by
   * ownership, the rest of what it had in the environment namespace.
   */
  private async cleanUp(session: WorkshopSession, removeSession: boolean, now: number): Promise<void> {
    const name = session.metadata.name;
    const namespace = this.state.namespaces.get(name);
    if (namespace) {
      const last = this.deleting.get(name) ?? 0;
      if (!namespace.metadata.deletionTimestamp && now - last > 15_000) {
        this.deleting.set(name, now);
        await this.client.delete('v1', 'Namespace', name);
        // a Failed session is kept a while for inspection, but its workshop pod stops now, as its namespace does
        for (const deployment of this.state.deploymentsOutside(session))
          await this.client.delete('apps/v1', 'Deployment', deployment.name, deployment.namespace);
      }
      return;
    }
    if (this.applying.has(name)) return;
    if (removeSession) {
      this.deleting.delete(name);
      await this.store.delete(session);
    }
  }

  /** Starts creations from the queue up to the concurrency bound, learners' sessions first. */
  private pump(): void {
    this.queue.sort((a, b) => rank(this.state.sessions.get(a)) - rank(this.state.sessions.get(b)));
    while (this.running && this.applying.size < this.options.creationConcurrency && this.queue.length) {
      const name = this.queue.shift()!;
      const session = this.state.sessions.get(name);
      if (!session || phaseOf(session) !== 'Creating') continue;
      this.applying.add(name);
      void this.create(session).finally(() => {
        this.applying.delete(name);
        this.sessionChanged(name, session.spec.environment);
        this.pump();
      });
    }
  }

  private async create(session: WorkshopSession): Promise<void> {
    const environment = this.state.environment(session.spec.environment);
    if (!environment) return;
    // a learner waits for this session: paced, but ahead of refills (her own requests have the interactive lane)
    const priority = session.status?.user ? Priority.LEARNER : Priority.BACKGROUND;
    const signal = this.leadership.signal;
    try {
      const secrets = await this.store.secretsFor(session);
      const client = this.client;
      await applySession(
        client,
        this.state.blueprint(environment).blueprint,
        {
          environmentName: environment.metadata.name,
          sessionId: session.spec.id,
          workshopSessionUid: String(session.metadata.uid),
          ingressDomain: environment.spec.portal.ingressDomain,
          ingressProtocol: environment.spec.portal.ingressProtocol,
        },
        secrets,
        { priority, signal },
      );
      const latest = this.state.sessions.get(session.metadata.name) ?? session;
      if (phaseOf(latest) !== 'Creating') return;
      this.state.sessions.observe(await this.store.transition(latest, 'Starting', { priority }));
    } catch (error) {
      // this replica stopped leading meanwhile (perhaps to lead again): the leader of now carries on
      if (signal.aborted) return;
      const latest = this.state.sessions.get(session.metadata.name);
      if (!latest || phaseOf(latest) !== 'Creating') return;
      if (error instanceof ConflictError) return;
      if (isRetryable(error)) {
        this.log.warn({ session: session.metadata.name, err: (error as Error).message }, 'creating the session failed for now; trying again');
        return;
      }
      try {
        await this.fail(latest, 'Failed', (error as Error).message.slice(0, 1000));
      } catch {
        // the next pass sees it still Creating and tries again
      }
    }
  }
}

function rank(session?: WorkshopSession): number {
  if (!session) return 3;
  return session.status?.user ? 0 : 1;
}

export type { SessionPhase };
