/**
 * Slots: a session's name is `<environment>-s<NNN>`, one of `capacity` slots, so the API server itself refuses a
 * session beyond an environment's capacity (two creators of the same slot: one gets 409).
 */
import type { SessionPhase } from '../constructs/index.js';
import { KubeError } from './kube-client.js';
import type { Priority } from './pacer.js';
import type { SessionStatus, WorkshopSession } from './session.js';
import type { SessionStore } from './session-store.js';
import type { RuntimeState, WorkshopEnvironment } from './state.js';

/** The id of a slot: `s001`, `s002`, … */
export function slotId(slot: number): string {
  return `s${String(slot).padStart(3, '0')}`;
}

export function sessionLabels(environment: WorkshopEnvironment): Record<string, string> {
  return {
    'training.cdk8s-workshops.dev/portal.name': environment.spec.portal.name,
    'training.cdk8s-workshops.dev/workshop.name': environment.spec.workshop.name,
  };
}

export interface FreeSlotOptions {
  readonly priority?: Priority;
  /** Phases passed through before the session's first, recorded in its history. */
  readonly via?: SessionPhase[];
  /**
   * Slot names this process is creating right now; the slot tried is added while its request is under way, so
   * that concurrent callers sharing the set do not all race for the same slot.
   */
  readonly claims?: Set<string>;
}

/**
 * Creates a session of the environment in its lowest free slot (free in the cache as it is at each try: sessions
 * created meanwhile are skipped, not raced for); undefined when every slot is taken. A slot whose namespace is still
 * there (the previous session's, Terminating) is not free: the new session could not create its namespace (409).
 */
export async function createInFreeSlot(
  state: RuntimeState,
  store: SessionStore,
  environment: WorkshopEnvironment,
  status: SessionStatus,
  options: FreeSlotOptions = {},
): Promise<WorkshopSession | undefined> {
  const name = environment.metadata.name;
  for (let slot = 1; slot <= environment.spec.pool.capacity; slot++) {
    const id = slotId(slot);
    const slotName = `${name}-${id}`;
    if (state.sessions.get(slotName) || state.namespaces.get(slotName) || options.claims?.has(slotName)) continue;
    options.claims?.add(slotName);
    try {
      const session = await store.create(
        {
          environment: name,
          workshop: environment.spec.workshop.name,
          portal: environment.spec.portal.name,
          id,
          blueprintGeneration: Number(environment.metadata.generation ?? 0),
        },
        sessionLabels(environment),
        status,
        options.priority,
        options.via,
      );
      state.sessions.observe(session);
      return session;
    } catch (error) {
      if (error instanceof KubeError && error.status === 409) continue;
      throw error;
    } finally {
      options.claims?.delete(slotName);
    }
  }
  return undefined;
}
