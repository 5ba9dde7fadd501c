/**
 * Answers a learner's request for a session, on any replica: the learner's existing session if they have one;
 * else a Ready session from the pool, taken with an optimistic-concurrency update so that two replicas never give
 * one session to two learners; else a new session within the environment's capacity (the session's name is its
 * slot, so the API server itself refuses a session beyond capacity); else, at the portal's maximum, the oldest
 * reserve of another workshop is evicted to make room; else no session is available.
 */
import { isDraining } from './drain.js';
import type { Logger } from './log.js';
import type { RuntimeMetrics } from './metrics.js';
import { Priority } from './pacer.js';
import { isReadyReserve, isReserve, type SessionRequest, type WorkshopSession } from './session.js';
import { ConflictError, type SessionStore } from './session-store.js';
import { createInFreeSlot } from './slots.js';
import type { RuntimeState, WorkshopEnvironment } from './state.js';

export interface AllocationRequest {
  readonly environment: string;
  /** The learner's identity. */
  readonly user: string;
  readonly anonymous?: boolean;
  /**
   * For sessions requested through the API on a learner's behalf: the session ends unless it is opened within this
   * many seconds. @default - no activation needed
   */
  readonly activationSeconds?: number;
  /** What a REST client supplied with the request (parameters, the learner's details, return and webhook URLs). */
  readonly request?: SessionRequest;
  /** SHA-256 (hex) of the token that activates the session (with `activationSeconds`). */
  readonly activationTokenHash?: string;
}

export type Refusal = 'unknown-environment' | 'user-limit' | 'no-capacity';

export type AllocationResult =
  { readonly session: WorkshopSession; readonly source: 'existing' | 'pool' | 'created' } | { readonly refused: Refusal; readonly message: string };

export class Allocator {
  /**
   * Sessions that a request of this replica is taking from the pool or creating right now: concurrent requests
   * here skip them instead of all racing for the same reserve or slot (which made a burst of n requests cost
   * O(n²) conflicting API calls). Other replicas are still kept apart by the API server (conflicts, 409s).
   */
  private readonly claimed = new Set<string>();

  constructor(
    private readonly state: RuntimeState,
    private readonly store: SessionStore,
    private readonly metrics: RuntimeMetrics,
    private readonly log: Logger,
    /** Wakes the reconciler after a change it should act on at once. */
    private readonly wake: () => void,
  ) {}

  public async allocate(request: AllocationRequest): Promise<AllocationResult> {
    const started = performance.now();
    const result = await this.decide(request);
    if ('session' in result) {
      this.metrics.allocationSeconds.observe({ environment: request.environment, source: result.source }, (performance.now() - started) / 1000);
      this.log.info({ environment: request.environment, session: result.session.metadata.name, source: result.source }, 'session allocated');
    } else {
      this.log.info({ environment: request.environment, refused: result.refused }, 'no session allocated');
    }
    return result;
  }

  private async decide(request: AllocationRequest): Promise<AllocationResult> {
    const environment = this.state.environment(request.environment);
    if (!environment) return { refused: 'unknown-environment', message: `no workshop environment '${request.environment}' in this portal` };

    const mine = this.state.liveSessions().filter((s) => s.status?.user === request.user);
    const existing = mine.find((s) => s.spec.environment === request.environment);
    if (existing) return { session: await this.rearm(existing, request), source: 'existing' };
    // a learner keeps the session she has in an environment being removed (drain.ts), but gets no new one there
    if (isDraining(environment))
      return { refused: 'unknown-environment', message: `workshop environment '${request.environment}' is being removed: it takes no new sessions` };
    const cap = request.anonymous ? this.state.limits.anonymous : this.state.limits.registered;
    if (cap > 0 && mine.length >= cap) {
      return { refused: 'user-limit', message: `you already have ${mine.length} session(s), the most this portal allows at once` };
    }

    const fromPool = await this.takeFromPool(environment, request);
    if (fromPool) return { session: fromPool, source: 'pool' };
    const created = await this.createForUser(environment, request);
    if (created) return { session: created, source: 'created' };
    return {
      refused: 'no-capacity',
      message: `no session of '${environment.spec.workshop.title}' is available right now: try again in a few minutes`,
    };
  }

  private allocationFields(environment: WorkshopEnvironment, request: AllocationRequest, now: number) {
    const pool = environment.spec.pool;
    return {
      user: request.user,
      anonymous: request.anonymous ?? false,
      allocatedAt: new Date(now).toISOString(),
      ...(pool.expiresSeconds > 0
        ? {
            expiresAt: new Date(now + pool.expiresSeconds * 1000).toISOString(),
            deadlineAt: new Date(now + Math.max(pool.deadlineSeconds, pool.expiresSeconds) * 1000).toISOString(),
          }
        : {}),
      ...(request.activationSeconds ? { activationDeadline: new Date(now + request.activationSeconds * 1000).toISOString() } : {}),
      ...(request.request ? { request: request.request } : {}),
      ...(request.activationTokenHash ? { activationTokenHash: request.activationTokenHash } : {}),
    };
  }

  /**
   * A new REST request for a learner's existing REST-requested session re-arms it (as Educates does): the new
   * activation token replaces the old one, and if it was never opened its activation time starts again.
   */
  private async rearm(session: WorkshopSession, request: AllocationRequest): Promise<WorkshopSession> {
    if (!request.activationTokenHash || !session.status?.request) return session;
    // a conflict (the leader or the dashboard wrote meanwhile) is tried again on a fresh copy: giving up would hand
    // out a link whose token the session does not know
    let current = session;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) {
        const fresh = await this.store.read(session.metadata.name);
        if (!fresh || fresh.metadata.uid !== session.metadata.uid || !fresh.status?.request) break;
        current = fresh;
      }
      try {
        const rearmed = await this.store.update(
          current,
          {
            activationTokenHash: request.activationTokenHash,
            ...(request.activationSeconds && !current.status?.activatedAt
              ? { activationDeadline: new Date(Date.now() + request.activationSeconds * 1000).toISOString() }
              : {}),
          },
          Priority.INTERACTIVE,
        );
        this.state.sessions.observe(rearmed);
        return rearmed;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    throw new Error(`session ${session.metadata.name} kept changing while its activation was re-armed; try again`);
  }

  private async takeFromPool(environment: WorkshopEnvironment, request: AllocationRequest): Promise<WorkshopSession | undefined> {
    const generation = Number(environment.metadata.generation ?? 0);
    for (let round = 0; round < 3; round++) {
      const candidates = this.state
        .sessionsOf(environment.metadata.name)
        .filter((s) => isReadyReserve(s) && s.spec.blueprintGeneration === generation)
        .sort(
          (a, b) =>
            String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
            a.metadata.name.localeCompare(b.metadata.name),
        );
      if (!candidates.length) return undefined;
      // Start at a different place per request so that concurrent requests on several replicas rarely collide.
      const offset = Math.floor(Math.random() * Math.min(candidates.length, 8));
      for (let i = 0; i < candidates.length; i++) {
        // the cached copy, which may be newer than this round's list (taken meanwhile by another request)
        const candidate = this.state.sessions.get(candidates[(offset + i) % candidates.length].metadata.name);
        if (!candidate || !isReadyReserve(candidate) || this.claimed.has(candidate.metadata.name)) continue;
        this.claimed.add(candidate.metadata.name);
        try {
          const taken = await this.store.transition(candidate, 'Ready', {
            via: ['Requested', 'Allocating'],
            reason: 'Allocated',
            set: this.allocationFields(environment, request, Date.now()),
            priority: Priority.INTERACTIVE,
          });
          this.state.sessions.observe(taken);
          this.wake();
          return taken;
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          // another replica took it first: the next one
        } finally {
          this.claimed.delete(candidate.metadata.name);
        }
      }
    }
    return undefined;
  }

  private async createForUser(environment: WorkshopEnvironment, request: AllocationRequest): Promise<WorkshopSession | undefined> {
    const limits = this.state.limits;
    if (limits.maximum > 0 && this.state.liveSessions().length >= limits.maximum && !(await this.evictOneReserve(environment.metadata.name)))
      return undefined;
    const session = await createInFreeSlot(
      this.state,
      this.store,
      environment,
      { phase: 'Creating', requestedAt: new Date().toISOString(), ...this.allocationFields(environment, request, Date.now()) },
      { priority: Priority.INTERACTIVE, via: ['Requested', 'Allocating'], claims: this.claimed },
    );
    if (session) this.wake();
    return session;
  }

  /** Ends the oldest unallocated reserve of another workshop, to make room under the portal maximum. */
  private async evictOneReserve(except: string): Promise<boolean> {
    const reserves = this.state
      .liveSessions()
      .filter((s) => isReserve(s) && s.spec.environment !== except)
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    for (const reserve of reserves) {
      try {
        const evicted = await this.store.transition(reserve, 'Terminating', {
          reason: 'Evicted',
          set: { terminatingAt: new Date().toISOString() },
          priority: Priority.INTERACTIVE,
        });
        this.state.sessions.observe(evicted);
        this.metrics.terminations.inc({ environment: reserve.spec.environment, reason: 'Evicted' });
        return true;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    return false;
  }
}
