/**
 * The session runtime of one portal: caches of its environments and sessions, the allocator any replica serves
 * learners with, and the reconciler the elected leader runs. It keeps no state of its own: everything it needs
 * is in the cluster, so a replica can be killed at any moment and another (or the same, restarted) carries on.
 */
import { hostname } from 'node:os';

import { MANAGED_BY, type SessionPhase } from '../constructs/index.js';
import { type AllocationRequest, type AllocationResult, Allocator } from './allocator.js';
import type { KubeClient } from './kube-client.js';
import { LeaderElection } from './leader.js';
import { createLogger, type Logger } from './log.js';
import { RuntimeMetrics } from './metrics.js';
import { Pacer, type PacerOptions, Priority } from './pacer.js';
import { Reconciler, type ReconcilerOptions } from './reconciler.js';
import { type EndReason, extension, phaseOf, type WorkshopSession } from './session.js';
import { ConflictError, SessionStore } from './session-store.js';
import type { SessionSecrets } from './session-variables.js';
import { type PortalLimits, RuntimeState } from './state.js';

export interface SessionRuntimeOptions extends ReconcilerOptions, PacerOptions {
  /** The portal whose environments this runtime serves. */
  readonly portal: string;
  /** The portal's namespace (its Lease and session secrets live there). */
  readonly portalNamespace: string;
  readonly limits: PortalLimits;
  /** This replica's name. @default - the host name */
  readonly identity?: string;
  /** @default 15 */
  readonly leaseDurationSeconds?: number;
  readonly logger?: Logger;
}

export class SessionRuntime {
  public readonly state: RuntimeState;
  public readonly metrics: RuntimeMetrics;
  public readonly allocator: Allocator;
  public readonly leader: LeaderElection;
  public readonly pacer: Pacer;
  private readonly store: SessionStore;
  private readonly reconciler: Reconciler;
  private readonly leaseClient: KubeClient;
  private readonly log: Logger;

  constructor(
    client: KubeClient,
    public readonly options: SessionRuntimeOptions,
  ) {
    this.log = options.logger ?? createLogger('runtime');
    this.metrics = new RuntimeMetrics(() => this.countSessions());
    this.pacer = new Pacer(options);
    const paced = client.withOptions({ pacer: this.pacer, onResponse: (verb, code) => this.metrics.apiRequests.inc({ verb, code: String(code) }) });
    this.state = new RuntimeState(paced, options.portal, options.limits);
    const onTransition = (session: WorkshopSession, from: SessionPhase | undefined, to: SessionPhase) => {
      this.log.info({ session: session.metadata.name, from, to, reason: session.status?.reason }, 'session phase');
    };
    this.store = new SessionStore(paced, options.portalNamespace, onTransition);
    // The reconciler's calls give up sooner than a learner's: its work queue retries the key with a backoff of its
    // own, so that one call failing for long holds neither the other sessions nor their timers.
    const bounded = paced.withOptions({
      pacer: this.pacer,
      retryForMs: 10_000,
      onResponse: (verb, code) => this.metrics.apiRequests.inc({ verb, code: String(code) }),
    });
    this.reconciler = new Reconciler(
      this.state,
      new SessionStore(bounded, options.portalNamespace, onTransition),
      bounded,
      this.metrics,
      this.log,
      options,
    );
    this.allocator = new Allocator(this.state, this.store, this.metrics, this.log, () => this.reconciler.wake());
    // The lease is renewed outside the pacer's queue, and a renewal gives up well within the lease.
    const leaseSeconds = options.leaseDurationSeconds ?? 15;
    const leaseClient = (this.leaseClient = client.withOptions({
      retryForMs: (leaseSeconds * 1000) / 4,
      onResponse: (verb, code) => this.metrics.apiRequests.inc({ verb, code: String(code) }),
    }));
    this.leader = new LeaderElection(leaseClient, {
      namespace: options.portalNamespace,
      name: `${MANAGED_BY}-${options.portal}-reconciler`,
      identity: options.identity ?? hostname(),
      leaseDurationSeconds: leaseSeconds,
    });
    this.leader.on('started', () => this.reconciler.start());
    this.leader.on('stopped', () => this.reconciler.stop());
    this.leader.on('error', (error: Error) => this.log.warn({ err: error.message }, 'leader election: could not renew the lease'));
    // watch events queue the reconciler's keys they concern
    this.state.sessions.on('change', (_type: string, session: WorkshopSession) =>
      this.reconciler.sessionChanged(session.metadata.name, session.spec?.environment),
    );
    this.state.namespaces.on('change', (_type: string, namespace: { metadata: { name: string } }) =>
      this.reconciler.sessionChanged(namespace.metadata.name),
    );
    this.state.environments.on('change', () => this.reconciler.wake());
    this.state.deployments.on('change', () => this.reconciler.deploymentChanged());
  }

  /** Fills the caches, then campaigns for leadership. */
  public async start(): Promise<void> {
    await this.state.start();
    this.leader.start();
    this.log.info({ portal: this.options.portal }, 'runtime started');
  }

  public async stop(): Promise<void> {
    this.reconciler.stop();
    await this.leader.stop();
    this.state.stop();
    await this.state.client.close();
    await this.leaseClient.close();
  }

  /** Whether the caches are filled (for readiness probes). */
  public get ready(): boolean {
    return this.state.sessions.hasSynced && this.state.environments.hasSynced;
  }

  /**
   * Resolves once the reconciler has worked through every environment, the portal and every session once after this
   * call (Reconciler.pass): for tests that assert that nothing happened. Rejects on a replica that does not lead.
   */
  public reconcilerPass(): Promise<void> {
    return this.reconciler.pass();
  }

  public allocate(request: AllocationRequest): Promise<AllocationResult> {
    return this.allocator.allocate(request);
  }

  public session(name: string): WorkshopSession | undefined {
    return this.state.sessions.get(name);
  }

  /**
   * The session as the API server has it now, for a request the watch cache cannot answer yet: with several portal
   * replicas, the one that allocated a session has it at once, the others only once their watch delivers it. The
   * cache learns the answer too.
   */
  public async freshSession(name: string): Promise<WorkshopSession | undefined> {
    const session = await this.store.read(name);
    if (session) this.state.sessions.observe(session);
    return session;
  }

  /**
   * Records that the learner used the session: the first time it becomes Active; an Idle session becomes Active
   * again. Frequent reports are written at most every 15 seconds.
   */
  public async reportActivity(name: string): Promise<WorkshopSession | undefined> {
    return this.retryOnConflict(name, async (session) => {
      const phase = phaseOf(session);
      const now = new Date().toISOString();
      if (!session.status?.user || !['Ready', 'Active', 'Idle'].includes(phase)) return session;
      if (phase === 'Active' && Date.now() - Date.parse(session.status.lastActivityAt ?? '0') < 15_000) return session;
      const set = { lastActivityAt: now, ...(session.status.activatedAt ? {} : { activatedAt: now }) };
      return phase === 'Active'
        ? this.store.update(session, set, Priority.INTERACTIVE)
        : this.store.transition(session, 'Active', { set, priority: Priority.INTERACTIVE });
    });
  }

  /**
   * Marks a session as opened by its learner (the REST API's activation link): it no longer ends for want of
   * activation or for being overdue. It becomes Active when its dashboard first reports activity.
   */
  public async activate(name: string): Promise<WorkshopSession | undefined> {
    return this.retryOnConflict(name, async (session) => {
      const status = session.status;
      if (!status?.user || ['Expired', 'Terminating', 'Failed'].includes(phaseOf(session))) return session;
      if (status.activatedAt && !status.activationTokenHash) return session;
      // the token is single use: it goes with the activation
      const { activationDeadline: _deadline, activationTokenHash: _hash, ...rest } = status;
      return this.store.replaceStatus(session, { ...rest, activatedAt: status.activatedAt ?? new Date().toISOString() }, Priority.INTERACTIVE);
    });
  }

  /** The session's generated secrets (its CONFIG_PASSWORD among them), created on first use. */
  public async secretsFor(name: string): Promise<SessionSecrets | undefined> {
    const session = this.state.sessions.get(name);
    return session ? this.store.secretsFor(session) : undefined;
  }

  /** Extends a session by its overtime if the rules allow it; returns why not otherwise. */
  public async extend(name: string): Promise<{ session: WorkshopSession } | { refused: string }> {
    let refused = '';
    const session = await this.retryOnConflict(name, async (current) => {
      const environment = this.state.environment(current.spec.environment);
      if (!environment) {
        refused = 'the workshop environment is gone';
        return current;
      }
      const result = extension(current, environment.spec.pool, Date.now());
      if ('refused' in result) {
        refused = result.refused;
        return current;
      }
      refused = '';
      return this.store.update(current, { expiresAt: result.expiresAt, extensions: (current.status?.extensions ?? 0) + 1 }, Priority.INTERACTIVE);
    });
    if (!session) return { refused: 'no such session' };
    return refused ? { refused } : { session };
  }

  /** Ends a session (by its learner or an admin). */
  public async terminate(name: string, reason: EndReason): Promise<WorkshopSession | undefined> {
    return this.retryOnConflict(name, async (session) => {
      if (['Terminating', 'Failed'].includes(phaseOf(session))) return session;
      return this.store.transition(session, 'Terminating', {
        reason,
        set: { terminatingAt: new Date().toISOString() },
        priority: Priority.INTERACTIVE,
      });
    });
  }

  private async retryOnConflict(name: string, change: (session: WorkshopSession) => Promise<WorkshopSession>): Promise<WorkshopSession | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const session =
        attempt === 0
          ? this.state.sessions.get(name)
          : await this.state.client.get<WorkshopSession>(this.state.sessions.apiVersion, 'WorkshopSession', name, undefined, Priority.INTERACTIVE);
      if (!session) return undefined;
      try {
        const updated = await change(session);
        this.state.sessions.observe(updated);
        this.reconciler.wake();
        return updated;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    throw new Error(`session ${name} kept changing; try again`);
  }

  private countSessions(): Array<{ environment: string; phase: SessionPhase; count: number }> {
    const counts = new Map<string, number>();
    for (const session of this.state.sessions.list()) {
      const key = `${session.spec.environment}\u0000${phaseOf(session)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts.entries()].map(([key, count]) => {
      const [environment, phase] = key.split('\u0000');
      return { environment, phase: phase as SessionPhase, count };
    });
  }
}
