/**
 * Educates' analytics webhook: every portal event is POSTed as JSON
 * `{portal{name,uid,generation,url}, event{name,timestamp,user,session,environment,workshop,data}}` to the
 * portal's webhook and to the session's own `analytics_url` (given with its REST request).
 *
 * Events derived from watches (sessions, environments, local accounts), which every replica has, are sent by the
 * leader only, so that two replicas never report one change twice:
 * - `Session/Created`, `Session/Pending` (given to a learner while still being made), `Session/Started` (the
 *   learner's and running), `Session/Extended`, `Session/Inactive` (Active → Idle), the end events
 *   (`Session/Terminate|Expired|Orphaned|Stopping`), `Session/Vanished` (deleted without the portal ending it:
 *   someone removed it by hand) and `Session/Deleted`;
 * - `Environment/Created`, `Environment/Terminate` (marked for deletion), `Environment/Deleted`;
 * - `User/Create` and `User/Delete` of local accounts (one Secret each, see auth/accounts.ts).
 * Events of a request (a dashboard's event, a new REST user, a new guest of an anonymous portal or the first sign-in
 * of an OpenID Connect identity: `User/Create`)
 * are sent by the replica that served it, which is one.
 * Delivery is in the background with bounded retries and a bounded queue: a slow or broken webhook never holds
 * up a learner.
 */
import { Labels, type Manifest } from '../constructs/index.js';
import { Informer, type Logger, phaseOf, type SessionRuntime, type WorkshopEnvironment, type WorkshopSession } from '../runtime/index.js';
import type { PortalInfo } from './views.js';

export interface AnalyticsEvent {
  readonly name: string;
  readonly user?: string | null;
  readonly session?: string | null;
  readonly environment?: string | null;
  readonly workshop?: string | null;
  readonly data?: Record<string, unknown>;
}

export interface AnalyticsOptions {
  /** The portal-wide webhook. @default - none */
  readonly webhookUrl?: string;
  /** Attempts per delivery. @default 4 */
  readonly attempts?: number;
  /** Delay before the first retry, doubled for each further one, in ms. @default 500 */
  readonly retryDelayMs?: number;
  /** Longest wait for one POST, in ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Most deliveries waiting; beyond that the oldest events are dropped (and logged). @default 1000 */
  readonly maxQueue?: number;
  /**
   * The portal's namespace and name, to watch its local accounts for `User/Create|Delete`.
   * @default - no account events (only REST-created users')
   */
  readonly accounts?: { readonly namespace: string; readonly portal: string };
}

/** Phases in which a session can be used. */
const RUNNING = new Set(['Ready', 'Active', 'Idle']);
/** Phases a session ends through when the portal ends it. */
const ENDING = new Set(['Expired', 'Terminating']);

/** The end reasons of a session and the event Educates names for them. */
const END_EVENTS: Record<string, string> = {
  TerminatedByUser: 'Session/Terminate',
  TerminatedByAdmin: 'Session/Terminate',
  Expired: 'Session/Expired',
  NotActivated: 'Session/Expired',
  Overdue: 'Session/Expired',
  StartupTimeout: 'Session/Expired',
  Orphaned: 'Session/Orphaned',
  Evicted: 'Session/Stopping',
  Recycled: 'Session/Stopping',
  Trimmed: 'Session/Stopping',
  Failed: 'Session/Stopping',
};

interface SeenSession {
  user?: string;
  phase: string;
  expiresAt?: string;
  extensions: number;
  analyticsUrl?: string;
  /** Session/Started was due (the learner's, running). */
  started: boolean;
  /** The portal ended it (Expired or Terminating seen). */
  ending: boolean;
  /** Session/Vanished was due. */
  vanished: boolean;
}

interface Delivery {
  readonly url: string;
  readonly body: string;
  attempt: number;
}

export class Analytics {
  private readonly queue: Delivery[] = [];
  private sending = 0;
  private readonly seen = new Map<string, SeenSession>();
  private readonly listener = (type: string, session: WorkshopSession) => this.observe(type, session);
  private readonly environmentListener = (type: string, environment: WorkshopEnvironment) => this.observeEnvironment(type, environment);
  private readonly terminatingEnvironments = new Set<string>();
  private accounts?: Informer;
  private stopped = false;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly portal: () => PortalInfo,
    private readonly log: Logger,
    private readonly options: AnalyticsOptions = {},
  ) {}

  /** Starts deriving session events from the watch. Sessions already known are taken as they are (no replay). */
  public start(): void {
    for (const session of this.runtime.state.sessions.list()) this.remember(session, undefined);
    this.runtime.state.sessions.on('change', this.listener);
    for (const environment of this.runtime.state.environments.list()) {
      if (environment.metadata.deletionTimestamp) this.terminatingEnvironments.add(environment.metadata.name);
    }
    this.runtime.state.environments.on('change', this.environmentListener);
    if (this.options.accounts) void this.watchAccounts(this.options.accounts);
  }

  public stop(): void {
    this.stopped = true;
    this.runtime.state.sessions.off('change', this.listener);
    this.runtime.state.environments.off('change', this.environmentListener);
    this.accounts?.stop();
  }

  /** Events waiting or being delivered. */
  public get pending(): number {
    return this.queue.length + this.sending;
  }

  /** Sends an event to the portal's webhook and, if given, a session's own webhook. */
  public emit(event: AnalyticsEvent, sessionWebhook?: string): void {
    const urls = [this.options.webhookUrl, sessionWebhook].filter((u): u is string => Boolean(u));
    if (!urls.length || this.stopped) return;
    const { name, uid, generation, url } = this.portal();
    const body = JSON.stringify({
      portal: { name, uid, generation, url },
      event: {
        name: event.name,
        timestamp: new Date().toISOString(),
        user: event.user ?? null,
        session: event.session ?? null,
        environment: event.environment ?? null,
        workshop: event.workshop ?? null,
        data: event.data ?? {},
      },
    });
    for (const target of new Set(urls)) this.enqueue({ url: target, body, attempt: 0 });
  }

  /** Sends an event about a session (its user, environment, workshop and webhook filled in). */
  public emitForSession(name: string, session: WorkshopSession, data: Record<string, unknown> = {}): void {
    this.emit(
      {
        name,
        user: session.status?.user,
        session: session.metadata.name,
        environment: session.spec.environment,
        workshop: session.spec.workshop,
        data,
      },
      session.status?.request?.analyticsUrl,
    );
  }

  private remember(session: WorkshopSession, before: SeenSession | undefined): SeenSession {
    const phase = phaseOf(session);
    const user = session.status?.user;
    const entry: SeenSession = {
      user,
      phase,
      expiresAt: session.status?.expiresAt,
      extensions: session.status?.extensions ?? 0,
      analyticsUrl: session.status?.request?.analyticsUrl,
      started: Boolean(before?.started || (user && RUNNING.has(phase))),
      ending: Boolean(before?.ending || ENDING.has(phase)),
      vanished: Boolean(before?.vanished),
    };
    this.seen.set(session.metadata.name, entry);
    return entry;
  }

  private observe(type: string, session: WorkshopSession): void {
    const before = this.seen.get(session.metadata.name);
    if (type === 'DELETED') {
      this.seen.delete(session.metadata.name);
      if (!before?.ending && !before?.vanished && !ENDING.has(phaseOf(session)))
        this.leaderEmits('Session/Vanished', session, { phase: phaseOf(session) });
      if (session.status?.user) this.leaderEmits('Session/Deleted', session);
      return;
    }
    const now = this.remember(session, before);
    // marked for deletion while the portal had not ended it: removed from outside (kubectl delete, a namespace gone)
    if (session.metadata.deletionTimestamp && !now.ending && !now.vanished) {
      now.vanished = true;
      this.leaderEmits('Session/Vanished', session, { phase: now.phase });
    }
    if (!before) {
      this.leaderEmits('Session/Created', session);
      if (now.user && !now.started) this.leaderEmits('Session/Pending', session, { phase: now.phase });
      if (now.started) this.leaderEmits('Session/Started', session);
      return;
    }
    if (!before.user && now.user && !now.started) this.leaderEmits('Session/Pending', session, { phase: now.phase });
    if (!before.started && now.started) this.leaderEmits('Session/Started', session);
    if (now.extensions > before.extensions) this.leaderEmits('Session/Extended', session, { expires: now.expiresAt });
    if (before.phase !== now.phase && now.phase === 'Idle') this.leaderEmits('Session/Inactive', session);
    if (before.phase !== now.phase && now.phase === 'Terminating') {
      const reason = session.status?.reason ?? '';
      this.leaderEmits(END_EVENTS[reason] ?? 'Session/Stopping', session, { reason });
    }
  }

  private observeEnvironment(type: string, environment: WorkshopEnvironment): void {
    const name = environment.metadata.name;
    const event = (eventName: string) => {
      if (this.runtime.leader.isLeader) this.emit({ name: eventName, environment: name, workshop: environment.spec?.workshop?.name ?? null });
    };
    if (type === 'ADDED') event('Environment/Created');
    if (type !== 'DELETED' && environment.metadata.deletionTimestamp && !this.terminatingEnvironments.has(name)) {
      this.terminatingEnvironments.add(name);
      event('Environment/Terminate');
    }
    if (type === 'DELETED') {
      this.terminatingEnvironments.delete(name);
      event('Environment/Deleted');
    }
  }

  /** Local accounts: listed first (no replay of the ones there), then each new or deleted one is an event. */
  private async watchAccounts(accounts: { namespace: string; portal: string }): Promise<void> {
    const informer = new Informer(this.runtime.state.client, 'v1', 'Secret', {
      namespace: accounts.namespace,
      labelSelector: `${Labels.PORTAL}=${accounts.portal},${Labels.COMPONENT}=portal-account`,
    });
    this.accounts = informer;
    try {
      await informer.start();
    } catch (error) {
      this.log.warn({ message: (error as Error).message }, "cannot watch the portal's accounts: no User/Create|Delete events for them");
      informer.stop();
      return;
    }
    if (this.stopped) return informer.stop();
    informer.on('change', (type: string, secret: Manifest & { data?: Record<string, string> }) => {
      if ((type !== 'ADDED' && type !== 'DELETED') || !this.runtime.leader.isLeader) return;
      const user = Buffer.from(secret.data?.username ?? '', 'base64').toString('utf8') || null;
      this.emit({ name: type === 'ADDED' ? 'User/Create' : 'User/Delete', user });
    });
  }

  private leaderEmits(name: string, session: WorkshopSession, data: Record<string, unknown> = {}): void {
    if (this.runtime.leader.isLeader) this.emitForSession(name, session, data);
  }

  private enqueue(delivery: Delivery): void {
    const max = this.options.maxQueue ?? 1000;
    if (this.queue.length >= max) {
      const dropped = this.queue.shift()!;
      this.log.warn({ url: redact(dropped.url) }, 'analytics queue full: dropped the oldest event');
    }
    this.queue.push(delivery);
    this.pump();
  }

  /** At most four deliveries at once; each retried with backoff, then given up (and logged). */
  private pump(): void {
    while (this.sending < 4 && this.queue.length && !this.stopped) {
      const delivery = this.queue.shift()!;
      this.sending++;
      void this.deliver(delivery).finally(() => {
        this.sending--;
        this.pump();
      });
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    for (; delivery.attempt < attempts && !this.stopped; delivery.attempt++) {
      try {
        const response = await fetch(delivery.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: delivery.body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        await response.arrayBuffer().catch(() => undefined);
        // a client error will not go away by sending the same event again
        if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 429)) return;
      } catch {
        // unreachable or timed out: try again
      }
      // no wait after the last attempt: it would only hold one of the four delivery slots
      if (delivery.attempt + 1 < attempts)
        await new Promise((resolve) => setTimeout(resolve, (this.options.retryDelayMs ?? 500) * 2 ** delivery.attempt));
    }
    if (!this.stopped) this.log.warn({ url: redact(delivery.url), attempts }, 'analytics webhook did not take an event; dropped it');
  }
}

/** A webhook URL without credentials or query (which may carry a token), for logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}
