/**
 * The portal's own readiness, in the `status` of its TrainingPortal (synthesized by the TrainingPortal construct,
 * named after the portal), for kubectl and Argo CD's health check (constructs/argocd.ts) to read:
 *
 * - `conditions[Ready]`: `True`, reason `EnvironmentsReady`, when every environment the portal serves
 *   (`spec.environments`) reports `Ready=True` for its current generation (environment-conditions.ts). Otherwise
 *   `False`, with the reason that needs attention first and a message naming each environment that is not Ready:
 *   `BlueprintInvalid` or `RefillsPaused` (an environment needs a person: Degraded in Argo CD), `EnvironmentsPending`
 *   (an environment is not created yet, or the runtime has not reported on its current generation),
 *   `PoolsFilling` (reserve sessions are being made), `Draining` (a removed environment waits for its learners);
 *   `observedGeneration` is the TrainingPortal's generation it was computed for;
 * - `environments[]`: per environment its readiness and reason, its Ready reserve sessions and its learners' sessions.
 *
 * Written by the reconciler's leader only, through the pacer, and only when something changed: a change of the
 * condition or of an environment's readiness is written at once (at most once per `minIntervalMs`, changes in
 * between are coalesced by the work queue), a change of the session counts alone at most once per
 * `countsIntervalMs`. The portal reads its TrainingPortal (never lists or watches: it may get and patch that one
 * object only) when its environments or sessions change, and every `resyncMs` to see a new generation.
 * `reportPortalReadiness(runtime)` wires it to a SessionRuntime (the portal process does, src/apps/portal.ts).
 */
import { API_VERSION, type Manifest } from '../constructs/index.js';
import type { KubeClient } from './kube-client.js';
import type { Logger } from './log.js';
import { Priority } from './pacer.js';
import type { SessionRuntime } from './runtime.js';
import { isLive, isReserve, phaseOf, type WorkshopSession } from './session.js';
import type { RuntimeState, WorkshopEnvironment } from './state.js';
import { WorkQueue, type WorkResult } from './work-queue.js';

export type PortalReason = 'EnvironmentsReady' | 'BlueprintInvalid' | 'RefillsPaused' | 'EnvironmentsPending' | 'PoolsFilling' | 'Draining';

export interface PortalCondition {
  type: 'Ready';
  status: 'True' | 'False';
  reason: PortalReason;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

/** One environment, as the portal's status lists it. */
export interface EnvironmentLine {
  name: string;
  ready: 'True' | 'False' | 'Unknown';
  /** The environment's own reason, or `NotCreated` / `NotReported`. */
  reason: string;
  /** Reserve sessions Ready on the current blueprint. */
  reserves: number;
  /** Learners' sessions that are live. */
  allocated: number;
}

export interface TrainingPortalObject extends Manifest {
  spec: { namespace: string; environments: string[]; [key: string]: unknown };
  status?: { observedGeneration?: number; conditions?: PortalCondition[]; environments?: EnvironmentLine[] };
}

type EnvironmentCondition = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };

/** The longest message written: a condition is read by people, not parsed. */
const MAX_MESSAGE = 1000;
/** Environment reasons that need a person (Degraded), in the order they are named as the portal's reason. */
const DEGRADED: readonly PortalReason[] = ['BlueprintInvalid', 'RefillsPaused'];

/** The Ready condition (without its transition time) and the environment lines of a portal (pure). */
export function portalReadiness(
  portal: TrainingPortalObject,
  environments: readonly WorkshopEnvironment[],
  sessionsOf: (environment: string) => readonly WorkshopSession[],
): { condition: Omit<PortalCondition, 'lastTransitionTime'>; environments: EnvironmentLine[] } {
  const generation = Number(portal.metadata.generation ?? 0);
  const byName = new Map(environments.map((e) => [e.metadata.name, e]));
  const expected = [...(portal.spec.environments ?? [])];
  // environments removed from the portal that still drain are part of it until they are gone
  const draining = environments
    .filter((e) => e.metadata.deletionTimestamp && !expected.includes(e.metadata.name))
    .map((e) => e.metadata.name)
    .sort();
  const lines: EnvironmentLine[] = [];
  const problems: Array<{ line: EnvironmentLine; message: string }> = [];
  for (const name of [...expected, ...draining]) {
    const environment = byName.get(name);
    const sessions = environment ? sessionsOf(name).filter(isLive) : [];
    const current = Number(environment?.metadata.generation ?? 0);
    const line: EnvironmentLine = {
      name,
      ready: 'Unknown',
      reason: 'NotCreated',
      reserves: sessions.filter((s) => isReserve(s) && s.spec.blueprintGeneration === current && phaseOf(s) === 'Ready').length,
      allocated: sessions.filter((s) => !isReserve(s)).length,
    };
    lines.push(line);
    if (!environment) {
      problems.push({ line, message: 'not created yet' });
      continue;
    }
    const ready = ((environment.status as { conditions?: EnvironmentCondition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
    if (!ready || (ready.observedGeneration ?? 0) < current) {
      line.reason = 'NotReported';
      problems.push({ line, message: `the runtime has not reported on generation ${current} yet` });
      continue;
    }
    line.ready = ready.status === 'True' ? 'True' : 'False';
    line.reason = ready.reason ?? '';
    if (line.ready !== 'True') problems.push({ line, message: ready.message ?? '' });
  }
  const base = { type: 'Ready' as const, observedGeneration: generation };
  const readyCount = lines.filter((l) => l.ready === 'True').length;
  if (!problems.length) {
    const message = expected.length ? `${readyCount} of ${expected.length} environments Ready` : 'the portal lists no workshops';
    return { condition: { ...base, status: 'True', reason: 'EnvironmentsReady', message }, environments: lines };
  }
  const has = (...reasons: string[]) => problems.some((p) => reasons.includes(p.line.reason));
  const reason: PortalReason =
    DEGRADED.find((r) => has(r)) ??
    (has('NotCreated', 'NotReported') ? 'EnvironmentsPending' : has('Draining') && !has('PoolFilling') ? 'Draining' : 'PoolsFilling');
  // the environments behind the reason first, then the others
  const ordered = [...problems.filter((p) => reasonOf(p.line) === reason), ...problems.filter((p) => reasonOf(p.line) !== reason)];
  let message = `${readyCount} of ${expected.length} environments Ready; ${ordered.map((p) => `${p.line.name} ${p.line.reason}: ${p.message}`).join('; ')}`;
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 1)}…`;
  return { condition: { ...base, status: 'False', reason, message }, environments: lines };
}

/** The portal reason an environment's own reason counts towards. */
function reasonOf(line: EnvironmentLine): PortalReason {
  if (line.reason === 'NotCreated' || line.reason === 'NotReported') return 'EnvironmentsPending';
  if ((DEGRADED as readonly string[]).includes(line.reason)) return line.reason as PortalReason;
  return line.reason === 'Draining' ? 'Draining' : 'PoolsFilling';
}

export interface PortalConditionsOptions {
  /** Shortest time between two reads of the TrainingPortal (changes in between are coalesced). @default 2000 */
  readonly minIntervalMs?: number;
  /** A change of the session counts alone is written at most this often. @default 30000 */
  readonly countsIntervalMs?: number;
  /** The TrainingPortal is read again this often even when nothing changed (a new generation). @default 15000 */
  readonly resyncMs?: number;
  /** A TrainingPortal that does not exist (yet) is looked for again this often. @default 10000 */
  readonly missingRetryMs?: number;
}

const KEY = 'portal';

/** Keeps the portal's TrainingPortal status up to date (run by the reconciler's leader, see runtime.ts). */
export class PortalConditions {
  /** Reads of the TrainingPortal and writes of its status (for tests and benchmarks). */
  public reads = 0;
  public writes = 0;
  private readonly queue: WorkQueue;
  private readonly options: Required<PortalConditionsOptions>;
  private lastRead = 0;
  private lastWrite = 0;
  private warned = '';

  constructor(
    private readonly client: KubeClient,
    private readonly state: RuntimeState,
    private readonly log: Logger,
    options: PortalConditionsOptions = {},
  ) {
    this.options = {
      minIntervalMs: options.minIntervalMs ?? 2000,
      countsIntervalMs: options.countsIntervalMs ?? 30_000,
      resyncMs: options.resyncMs ?? 15_000,
      missingRetryMs: options.missingRetryMs ?? 10_000,
    };
    this.queue = new WorkQueue(() => this.work(), { workers: 1, maxDelayMs: 60_000 });
  }

  public start(): void {
    this.queue.start();
    this.queue.add(KEY);
  }

  public stop(): void {
    this.queue.stop();
  }

  /** An environment or a session of the portal changed: look again (soon; bursts are coalesced). */
  public changed(): void {
    this.queue.add(KEY);
  }

  /** Resolves once nothing is queued or being worked on. */
  public whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  private async work(): Promise<WorkResult> {
    const since = Date.now() - this.lastRead;
    if (since < this.options.minIntervalMs) return { requeueAfterMs: this.options.minIntervalMs - since };
    this.lastRead = Date.now();
    this.reads++;
    const name = this.state.portal;
    let portal: TrainingPortalObject | undefined;
    try {
      portal = await this.client.get<TrainingPortalObject>(API_VERSION, 'TrainingPortal', name, undefined, Priority.BACKGROUND);
    } catch (error) {
      this.warnOnce(`cannot read TrainingPortal ${name}: ${(error as Error).message}`);
      return { requeueAfterMs: this.options.missingRetryMs };
    }
    if (!portal) {
      // not applied yet (Argo CD applies it with the environments), or a portal deployed without one
      this.warnOnce(`TrainingPortal ${name} does not exist (yet): its readiness is not reported`);
      return { requeueAfterMs: this.options.missingRetryMs };
    }
    this.warned = '';
    const environments = this.state.environments
      .list()
      .filter((e) => e.spec?.portal?.name === name || portal!.spec.environments?.includes(e.metadata.name));
    const next = portalReadiness(portal, environments, (environment) => this.state.sessionsOf(environment));
    const status = portal.status ?? {};
    const current = (status.conditions ?? []).find((c) => c.type === 'Ready');
    const sameCondition =
      current !== undefined &&
      current.status === next.condition.status &&
      current.reason === next.condition.reason &&
      current.message === next.condition.message &&
      current.observedGeneration === next.condition.observedGeneration &&
      status.observedGeneration === next.condition.observedGeneration;
    const withoutCounts = (lines: readonly EnvironmentLine[] = []) => JSON.stringify(lines.map(({ name: n, ready, reason }) => [n, ready, reason]));
    const sameLines = withoutCounts(status.environments) === withoutCounts(next.environments);
    // (the API server returns the fields in its own order: compare them field by field)
    const withCounts = (lines: readonly EnvironmentLine[] = []) =>
      JSON.stringify(lines.map(({ name: n, ready, reason, reserves, allocated }) => [n, ready, reason, reserves, allocated]));
    const sameCounts = withCounts(status.environments) === withCounts(next.environments);
    if (sameCondition && sameLines && sameCounts) return { requeueAfterMs: this.options.resyncMs };
    if (sameCondition && sameLines) {
      // only the session counts moved: not worth a write per session
      const wait = this.lastWrite + this.options.countsIntervalMs - Date.now();
      if (wait > 0) return { requeueAfterMs: Math.min(wait, this.options.resyncMs) };
    }
    const lastTransitionTime = current && current.status === next.condition.status ? current.lastTransitionTime : new Date().toISOString();
    const conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'Ready'), { ...next.condition, lastTransitionTime }];
    try {
      await this.client.request('PATCH', `${this.client.pathFor(API_VERSION, 'TrainingPortal', name)}/status`, {
        body: { status: { observedGeneration: next.condition.observedGeneration, conditions, environments: next.environments } },
        contentType: 'application/merge-patch+json',
        priority: Priority.BACKGROUND,
      });
      this.writes++;
      this.lastWrite = Date.now();
      this.log.debug({ portal: name, condition: next.condition, environments: next.environments, before: status }, 'portal status written');
      if (!sameCondition) {
        this.log.info(
          { portal: name, status: next.condition.status, reason: next.condition.reason, message: next.condition.message },
          'portal readiness',
        );
      }
    } catch (error) {
      this.warnOnce(`cannot write the status of TrainingPortal ${name}: ${(error as Error).message}`);
      throw error; // the work queue retries with a backoff
    }
    return { requeueAfterMs: this.options.resyncMs };
  }

  private warnOnce(message: string): void {
    if (message === this.warned) return;
    this.warned = message;
    this.log.warn({ portal: this.state.portal }, message);
  }
}

/**
 * Has the runtime's leader keep the portal's TrainingPortal status up to date: reporting starts when this replica
 * leads and stops when it no longer does (or when the runtime stops); its environments' and sessions' watch events
 * ask for a look. Returns the reporter (its `reads`/`writes` counters, `whenIdle`).
 */
export function reportPortalReadiness(runtime: SessionRuntime, log: Logger, options: PortalConditionsOptions = {}): PortalConditions {
  const reporter = new PortalConditions(runtime.state.client, runtime.state, log, options);
  runtime.leader.on('started', () => reporter.start());
  runtime.leader.on('stopped', () => reporter.stop());
  runtime.state.environments.on('change', () => reporter.changed());
  runtime.state.sessions.on('change', () => reporter.changed());
  if (runtime.leader.isLeader) reporter.start();
  return reporter;
}
