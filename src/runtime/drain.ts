/**
 * Draining a WorkshopEnvironment that is being deleted (its folder removed from git and pruned by Argo CD, or
 * `kubectl delete`), as Educates retires a workshop: the environment takes no new sessions and makes no reserves,
 * the reserves nobody has end at once, the learners' sessions run on until they end as they would have (expiry,
 * orphaned or overdue timers, the learner or an admin ending them), and only then does the environment go.
 *
 * The runtime holds every environment of its portal with the finalizer `training.cdk8s-workshops.dev/drain`, so a
 * deletion only marks it (`deletionTimestamp`); its `Ready` condition turns `False` with reason `Draining` (see
 * environment-conditions.ts), and the finalizer is removed once none of its sessions is left, namespaces
 * included. Argo CD prunes in the reverse order of the sync waves and waits for each pruned object to be gone, so
 * the environment's namespace (wave -5), in which the learners' workshop pods run, is pruned only after the
 * environment (wave 5) is gone. With `kubectl delete -f`, delete the WorkshopEnvironment first and wait
 * (`kubectl wait --for=delete`) before deleting its namespace.
 */
import { DRAIN_FINALIZER } from '../constructs/admission-policies.js';
import { API_VERSION, Labels } from '../constructs/index.js';
import { type KubeClient, KubeError } from './kube-client.js';
import type { Logger } from './log.js';
import { type EndReason, isReserve, phaseOf, type WorkshopSession } from './session.js';
import type { SessionStore } from './session-store.js';
import type { RuntimeState, WorkshopEnvironment } from './state.js';

/** The finalizer the runtime holds on every environment of its portal (the only one the portal may change). */
export { DRAIN_FINALIZER };

/** An environment being deleted: it takes no new sessions (the allocator refuses) and makes no reserves. */
export function isDraining(environment: WorkshopEnvironment): boolean {
  return Boolean(environment.metadata.deletionTimestamp);
}

/** Ends a session with a reason (the reconciler's `end`). */
export type EndSession = (session: WorkshopSession, reason: EndReason, message?: string) => Promise<void>;

export class Drainer {
  /** Environments whose finalizer could not be written (RBAC of an older dist/): warned about once. */
  private readonly warned = new Set<string>();

  constructor(
    private readonly client: KubeClient,
    private readonly state: RuntimeState,
    private readonly store: SessionStore,
    private readonly log: Logger,
  ) {}

  /**
   * For every environment on every pass, before anything else is done for it. An environment in use gets the
   * finalizer (once) and `false` is returned: the reconciler carries on. One being deleted drains, and `true` is
   * returned: the reconciler makes nothing for it.
   */
  public async reconcile(environment: WorkshopEnvironment, end: EndSession): Promise<boolean> {
    if (!isDraining(environment)) {
      await this.hold(environment);
      return false;
    }
    const name = environment.metadata.name;
    const sessions = this.state.sessionsOf(name);
    for (const session of sessions) {
      if (isReserve(session)) {
        await end(session, 'Recycled', 'its workshop environment is being removed');
      } else if (phaseOf(session) === 'Failed' && !this.state.namespaces.get(session.metadata.name)) {
        // kept for inspection otherwise; nobody inspects a session of a workshop that is going
        await this.store.delete(session);
      }
    }
    if (this.state.sessionsOf(name).length === 0) await this.release(environment);
    return true;
  }

  /** The learners' sessions a draining environment waits for, for its condition's message. */
  public static waitingFor(sessions: readonly WorkshopSession[]): { count: number; lastEnd?: string } {
    const running = sessions.filter((s) => s.status?.user && !['Terminating', 'Failed'].includes(phaseOf(s)));
    const ends = running
      .map((s) => s.status?.deadlineAt ?? s.status?.expiresAt)
      .filter((t): t is string => Boolean(t))
      .sort();
    return { count: running.length, lastEnd: ends.length === running.length ? ends.at(-1) : undefined };
  }

  private async hold(environment: WorkshopEnvironment): Promise<void> {
    const finalizers = (environment.metadata.finalizers as string[] | undefined) ?? [];
    if (finalizers.includes(DRAIN_FINALIZER)) return;
    await this.setFinalizers(environment, [...finalizers, DRAIN_FINALIZER], 'hold');
  }

  private async release(environment: WorkshopEnvironment): Promise<void> {
    const finalizers = (environment.metadata.finalizers as string[] | undefined) ?? [];
    if (!finalizers.includes(DRAIN_FINALIZER)) return;
    if (
      await this.setFinalizers(
        environment,
        finalizers.filter((f) => f !== DRAIN_FINALIZER),
        'release',
      )
    ) {
      this.log.info({ environment: environment.metadata.name }, 'environment drained: no session left, it goes');
    }
  }

  /** Merge patch of the whole list, conditional on the resourceVersion read: a concurrent change is a 409, retried next pass. */
  private async setFinalizers(environment: WorkshopEnvironment, finalizers: string[], what: string): Promise<boolean> {
    const name = environment.metadata.name;
    try {
      const updated = await this.client.request<WorkshopEnvironment>('PATCH', this.client.pathFor(API_VERSION, 'WorkshopEnvironment', name), {
        body: { metadata: { finalizers, resourceVersion: environment.metadata.resourceVersion } },
        contentType: 'application/merge-patch+json',
      });
      // (not a released one: without finalizers it is deleted, and its DELETED event may already have come)
      if (what === 'hold' && updated?.metadata) this.state.environments.observe(updated);
      this.warned.delete(name);
      return true;
    } catch (error) {
      const status = error instanceof KubeError ? error.status : 0;
      if (status === 409 || status === 404) return false; // changed or gone meanwhile: the next pass sees the news
      if (!this.warned.has(name)) {
        this.warned.add(name);
        this.log.warn(
          { environment: name, err: (error as Error).message },
          `could not ${what} the environment's drain finalizer (does the portal's ClusterRole allow patch on workshopenvironments?); retrying`,
        );
      }
      return false;
    }
  }
}

/**
 * Removes the drain finalizer from every WorkshopEnvironment of a portal (all portals without one): for when no
 * runtime will release them, e.g. the portal is deleted along with its environments, or a test's runtime stopped.
 * Returns the names released.
 */
export async function releaseEnvironments(client: KubeClient, portal?: string): Promise<string[]> {
  const environments = await client.list<WorkshopEnvironment>(
    API_VERSION,
    'WorkshopEnvironment',
    portal ? { labelSelector: `${Labels.PORTAL}=${portal}` } : {},
  );
  const released: string[] = [];
  for (const environment of environments) {
    const finalizers = (environment.metadata.finalizers as string[] | undefined) ?? [];
    if (!finalizers.includes(DRAIN_FINALIZER)) continue;
    await client.request('PATCH', client.pathFor(API_VERSION, 'WorkshopEnvironment', environment.metadata.name), {
      body: [
        { op: 'test', path: '/metadata/finalizers', value: finalizers },
        { op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((f) => f !== DRAIN_FINALIZER) },
      ],
      contentType: 'application/json-patch+json',
    });
    released.push(environment.metadata.name);
  }
  return released;
}
