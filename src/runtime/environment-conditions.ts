/**
 * The `Ready` condition of a WorkshopEnvironment, in `status.conditions` as Kubernetes tools (and Argo CD's health
 * check, see constructs/argocd.ts) read it:
 * - `True`, reason `PoolReady`: the reserve sessions the pool asks for are Ready on the current blueprint (or the
 *   pool is as full as its capacity allows);
 * - `True`, reason `OnDemand`: `initial: 0` and nobody has asked yet, so there is nothing to make;
 * - `False`, reason `PoolFilling`: reserves are being made (also after a blueprint change recycled the old ones);
 * - `False`, reason `RefillsPaused`: sessions failed repeatedly and refills wait (the message says until when);
 * - `False`, reason `BlueprintInvalid`: the session blueprint cannot be compiled (the message says why);
 * - `False`, reason `Draining`: the environment is being deleted and waits for its learners' sessions to end (see
 *   drain.ts; the message says how many and when the last one ends at the latest).
 * `observedGeneration` is the environment's generation the condition was computed for. Written only when it changes.
 */
import { API_VERSION } from '../constructs/index.js';
import { Drainer, isDraining } from './drain.js';
import type { KubeClient } from './kube-client.js';
import { isLive, isReserve, phaseOf, type WorkshopSession } from './session.js';
import type { RuntimeState, WorkshopEnvironment } from './state.js';

export interface EnvironmentCondition {
  type: 'Ready';
  status: 'True' | 'False';
  reason: 'PoolReady' | 'OnDemand' | 'PoolFilling' | 'RefillsPaused' | 'BlueprintInvalid' | 'Draining';
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export interface ReadinessInput {
  /** The environment's sessions (any phase). */
  readonly sessions: readonly WorkshopSession[];
  /** Refills are paused until this time (ms), after repeated failures. */
  readonly pausedUntil?: number;
  /** Why the blueprint does not compile, when it does not. */
  readonly blueprintError?: string;
  readonly now: number;
}

/** The condition for an environment, without the transition time (pure). */
export function readyCondition(environment: WorkshopEnvironment, input: ReadinessInput): Omit<EnvironmentCondition, 'lastTransitionTime'> {
  const generation = Number(environment.metadata.generation ?? 0);
  const base = { type: 'Ready' as const, observedGeneration: generation };
  if (isDraining(environment)) {
    const { count, lastEnd } = Drainer.waitingFor(input.sessions);
    const message =
      count === 0
        ? "being removed: no learner's session left; it goes once every session is cleaned up"
        : `being removed: takes no new sessions; waits for ${count} learner${count === 1 ? "'s session" : "s' sessions"} to end` +
          (lastEnd ? ` (the last by ${lastEnd})` : '');
    return { ...base, status: 'False', reason: 'Draining', message };
  }
  if (input.blueprintError) return { ...base, status: 'False', reason: 'BlueprintInvalid', message: input.blueprintError };
  if (input.pausedUntil !== undefined && input.pausedUntil > input.now) {
    return {
      ...base,
      status: 'False',
      reason: 'RefillsPaused',
      message: `sessions failed repeatedly; refills resume at ${new Date(input.pausedUntil).toISOString()}`,
    };
  }
  const pool = environment.spec.pool;
  const live = input.sessions.filter(isLive);
  const initialized = environment.status?.initialized === true;
  if (!initialized && pool.initial === 0 && input.sessions.length === 0) {
    return { ...base, status: 'True', reason: 'OnDemand', message: 'sessions are made when learners ask (initial: 0)' };
  }
  const target = initialized ? pool.reserved : Math.max(pool.initial, pool.reserved);
  const reserves = live.filter((s) => isReserve(s) && s.spec.blueprintGeneration === generation);
  const ready = reserves.filter((s) => phaseOf(s) === 'Ready').length;
  // sessions learners hold take room: the pool cannot hold more reserves than its capacity leaves
  const reachable = Math.max(0, Math.min(target, pool.capacity - (live.length - reserves.length)));
  if (ready >= reachable) {
    return { ...base, status: 'True', reason: 'PoolReady', message: `${ready} of ${target} reserve sessions Ready (capacity ${pool.capacity})` };
  }
  return { ...base, status: 'False', reason: 'PoolFilling', message: `${ready} of ${reachable} reserve sessions Ready` };
}

/**
 * Computes the environment's `Ready` condition from the runtime's caches and writes it to the status subresource
 * when it differs from what is there (merge patch; other conditions are kept). Never throws: a failed write is
 * tried again on the next pass.
 */
export async function reportEnvironmentReadiness(
  client: KubeClient,
  state: RuntimeState,
  environment: WorkshopEnvironment,
  pausedUntil: number | undefined,
  now: number,
): Promise<void> {
  let blueprintError: string | undefined;
  try {
    state.blueprint(environment);
  } catch (error) {
    blueprintError = `the session blueprint does not compile: ${(error as Error).message}`;
  }
  const next = readyCondition(environment, { sessions: state.sessionsOf(environment.metadata.name), pausedUntil, blueprintError, now });
  const conditions = (environment.status as { conditions?: EnvironmentCondition[] } | undefined)?.conditions ?? [];
  const current = conditions.find((c) => c.type === 'Ready');
  if (
    current &&
    current.status === next.status &&
    current.reason === next.reason &&
    current.message === next.message &&
    current.observedGeneration === next.observedGeneration
  )
    return;
  const lastTransitionTime = current && current.status === next.status ? current.lastTransitionTime : new Date(now).toISOString();
  const status = { conditions: [...conditions.filter((c) => c.type !== 'Ready'), { ...next, lastTransitionTime }] };
  try {
    const updated = await client.request<WorkshopEnvironment>(
      'PATCH',
      `${client.pathFor(API_VERSION, 'WorkshopEnvironment', environment.metadata.name)}/status`,
      {
        body: { status },
        contentType: 'application/merge-patch+json',
      },
    );
    state.environments.observe(updated);
  } catch {
    // the next pass tries again (the environment may have just been deleted)
  }
}
