/**
 * Reads and writes WorkshopSession objects. Every change of a session's status is an optimistic-concurrency
 * update (it carries the resourceVersion it was computed from), so two runtime replicas can never both win the
 * same change: the second gets a conflict and must look again.
 */
import { isDeepStrictEqual } from 'node:util';

import { API_VERSION, Labels, MANAGED_BY, type SessionPhase } from '../constructs/index.js';
import { type KubeClient, KubeError } from './kube-client.js';
import { Priority } from './pacer.js';
import { phaseOf, type SessionStatus, type WorkshopSession, type WorkshopSessionSpec } from './session.js';
import { generateSessionSecrets, type SessionSecrets } from './session-variables.js';

/** Thrown when a status update lost a race; the caller re-reads and decides again. */
export class ConflictError extends Error {
  constructor(public readonly sessionName: string) {
    super(`session ${sessionName} changed meanwhile`);
    this.name = 'ConflictError';
  }
}

export interface TransitionOptions {
  readonly reason?: string;
  readonly message?: string;
  /** Other status fields to set in the same update. */
  readonly set?: Partial<SessionStatus>;
  /** Phases passed through on the way, recorded in the history at the same time (e.g. Requested, Allocating). */
  readonly via?: SessionPhase[];
  readonly priority?: Priority;
}

export class SessionStore {
  constructor(
    private readonly client: KubeClient,
    /** The portal's namespace, where session secrets are kept. */
    private readonly portalNamespace: string,
    private readonly onTransition?: (session: WorkshopSession, from: SessionPhase | undefined, to: SessionPhase) => void,
  ) {}

  /**
   * Creates a WorkshopSession named `<environment>-<id>`; the name is the slot, so the API server refuses a second
   * session with the same id (KubeError 409).
   */
  public async create(
    spec: WorkshopSessionSpec,
    labels: Record<string, string>,
    status: SessionStatus,
    priority = Priority.BACKGROUND,
    via: SessionPhase[] = [],
  ): Promise<WorkshopSession> {
    const name = `${spec.environment}-${spec.id}`;
    const created = await this.client.request<WorkshopSession>('POST', this.client.pathFor(API_VERSION, 'WorkshopSession'), {
      body: {
        apiVersion: API_VERSION,
        kind: 'WorkshopSession',
        metadata: {
          name,
          labels: {
            ...labels,
            [Labels.MANAGED_BY]: MANAGED_BY,
            [Labels.COMPONENT]: 'session',
            [Labels.ENVIRONMENT]: spec.environment,
            [Labels.SESSION]: name,
          },
        },
        spec,
      },
      priority,
    });
    const time = now();
    const history = [...via.map((phase) => ({ phase, time })), { phase: status.phase, time, ...(status.reason ? { reason: status.reason } : {}) }];
    const withStatus = await this.writeStatus(created, { ...status, history }, priority);
    this.onTransition?.(withStatus, undefined, status.phase);
    void this.event(withStatus, [...via, status.phase], status.reason);
    return withStatus;
  }

  /** Moves a session to `phase` (recording the change with its time and reason); throws ConflictError on a race. */
  public async transition(session: WorkshopSession, phase: SessionPhase, options: TransitionOptions = {}): Promise<WorkshopSession> {
    const from = session.status?.phase;
    const history = [...(session.status?.history ?? [])];
    for (const step of options.via ?? []) history.push({ phase: step, time: now() });
    if (from !== phase || options.reason || options.via?.length)
      history.push({ phase, time: now(), ...(options.reason ? { reason: options.reason } : {}) });
    const status: SessionStatus = {
      ...(session.status ?? { phase }),
      ...options.set,
      phase,
      history: history.slice(-30),
    };
    if (options.reason !== undefined) status.reason = options.reason;
    if (options.message !== undefined) status.message = options.message;
    const updated = await this.writeStatus(session, status, options.priority ?? Priority.BACKGROUND);
    if (from !== phase || options.via?.length) {
      this.onTransition?.(updated, from, phase);
      void this.event(updated, [...(options.via ?? []), phase], options.reason, options.message);
    }
    return updated;
  }

  /** Changes status fields without a phase change (activity, extensions). */
  public update(session: WorkshopSession, set: Partial<SessionStatus>, priority = Priority.BACKGROUND): Promise<WorkshopSession> {
    return this.writeStatus(session, { ...(session.status ?? { phase: phaseOf(session) }), ...set }, priority);
  }

  /** Writes a whole new status without a phase change (to drop fields, which `update` cannot). */
  public replaceStatus(session: WorkshopSession, status: SessionStatus, priority = Priority.BACKGROUND): Promise<WorkshopSession> {
    return this.writeStatus(session, status, priority);
  }

  /** Reads a session as the API server has it now (not the cache); undefined when it is gone. */
  public read(name: string): Promise<WorkshopSession | undefined> {
    return this.client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name, undefined, Priority.INTERACTIVE);
  }

  /** Deletes the WorkshopSession (its namespace and secrets go with it by ownership). */
  public async delete(session: WorkshopSession): Promise<void> {
    await this.client.delete(API_VERSION, 'WorkshopSession', session.metadata.name);
  }

  /**
   * The session's generated secrets: created on first use (one request), read back after a restart. A Secret
   * left by an earlier session in the same slot (owned by another WorkshopSession, not yet collected) is replaced.
   */
  public async secretsFor(session: WorkshopSession, attempt = 0): Promise<SessionSecrets> {
    const name = `session-${session.metadata.name}`;
    const secrets = generateSessionSecrets();
    try {
      await this.client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace: this.portalNamespace,
          labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.SESSION]: session.metadata.name },
          ownerReferences: [{ apiVersion: API_VERSION, kind: 'WorkshopSession', name: session.metadata.name, uid: session.metadata.uid }],
        },
        type: 'Opaque',
        data: { secrets: Buffer.from(JSON.stringify(secrets)).toString('base64') },
      });
      return secrets;
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 409) || attempt >= 3) throw error;
    }
    const existing = await this.client.get<{ metadata: { ownerReferences?: Array<{ uid?: string }> }; data?: Record<string, string> }>(
      'v1',
      'Secret',
      name,
      this.portalNamespace,
    );
    if (existing?.data?.secrets && existing.metadata.ownerReferences?.some((owner) => owner.uid === session.metadata.uid)) {
      return JSON.parse(Buffer.from(existing.data.secrets, 'base64').toString('utf8')) as SessionSecrets;
    }
    if (existing) await this.client.delete('v1', 'Secret', name, this.portalNamespace);
    return this.secretsFor(session, attempt + 1);
  }

  private async writeStatus(session: WorkshopSession, status: SessionStatus, priority: Priority): Promise<WorkshopSession> {
    try {
      return await this.client.request<WorkshopSession>(
        'PUT',
        `${this.client.pathFor(API_VERSION, 'WorkshopSession', session.metadata.name)}/status`,
        {
          body: { ...session, status },
          priority,
        },
      );
    } catch (error) {
      if (error instanceof KubeError && error.status === 409) {
        // The client retries a write whose answer was lost (a dropped connection, a 5xx) with the same
        // resourceVersion, and that retry conflicts with the write itself: if the stored status is exactly the one
        // written, the write landed. (Reporting it as a lost race would make the allocator hand the learner a
        // second session.)
        // The history is append-only and every write adds to it or changes nothing else than fields a later write
        // may change again (the leader records the request right after an allocation), so the mark of a landed
        // write is its last history entry, or, for writes that add none, the whole status.
        const current = await this.client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', session.metadata.name).catch(() => undefined);
        const mark = status.history?.length && status.history.length > (session.status?.history?.length ?? 0) ? status.history.at(-1) : undefined;
        // Two replicas may write the same entry in the same millisecond: the learner written must match too.
        const landed =
          current &&
          current.metadata.uid === session.metadata.uid &&
          (mark
            ? current.status?.user === status.user &&
              (current.status?.history ?? []).some((entry) => isDeepStrictEqual(entry, JSON.parse(JSON.stringify(mark))))
            : isDeepStrictEqual(current.status, JSON.parse(JSON.stringify(status))));
        if (landed) return current;
      }
      if (error instanceof KubeError && (error.status === 409 || error.status === 404)) throw new ConflictError(session.metadata.name);
      throw error;
    }
  }

  /**
   * Records a phase change as a Kubernetes Event on the WorkshopSession (best effort, at background priority):
   * one Event per status write, naming every phase it passed through (`Requested → Allocating → Ready`), so that
   * an allocation costs the API server one Event rather than three.
   */
  private async event(session: WorkshopSession, phases: SessionPhase[], reason?: string, message?: string): Promise<void> {
    const time = now();
    const phase = phases[phases.length - 1];
    const path = phases.join(' → ');
    try {
      await this.client.request('POST', '/api/v1/namespaces/default/events', {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${session.metadata.name}.`, namespace: 'default' },
          involvedObject: { apiVersion: API_VERSION, kind: 'WorkshopSession', name: session.metadata.name, uid: session.metadata.uid },
          reason: phase,
          message: [path, reason, message].filter(Boolean).join(': '),
          type: phase === 'Failed' ? 'Warning' : 'Normal',
          source: { component: MANAGED_BY },
          reportingComponent: MANAGED_BY,
          firstTimestamp: time,
          lastTimestamp: time,
          count: 1,
        },
        // after every other request of the paced lane: timers and cleanup go first
        priority: Priority.LOW,
      });
    } catch {
      // an event is a courtesy; the status already holds the change
    }
  }
}

function now(): string {
  return new Date().toISOString();
}
