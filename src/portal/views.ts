/**
 * What the portal shows of environments and sessions, in Educates' vocabulary and JSON shapes (field names and
 * nesting of its REST API), computed from the runtime's caches. The web pages use the same views, so a page and
 * the API never disagree about a session's state or timers.
 */
import {
  extension,
  extensionRules,
  isLive,
  isReserve,
  phaseOf,
  type SessionRuntime,
  type WorkshopEnvironment,
  type WorkshopSession,
} from '../runtime/index.js';

/** Educates' environment states. */
export type EnvironmentState = 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED';
/** Educates' session states: a reserve WAITING, a learner's session RUNNING, one on its way out STOPPING. */
export type SessionState = 'STARTING' | 'WAITING' | 'RUNNING' | 'STOPPING' | 'STOPPED';

export const ENVIRONMENT_STATES: readonly EnvironmentState[] = ['STARTING', 'RUNNING', 'STOPPING', 'STOPPED'];

/** The portal as Educates' API describes it. */
export interface PortalInfo {
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly url: string;
  readonly labels: Record<string, string>;
}

/**
 * An environment serves learners as soon as the runtime sees it (a session is made on demand if there is no
 * reserve), so it is RUNNING from the start; STOPPING once it is being deleted. (Educates' STARTING covers the
 * time its operator needs to set an environment up, which has no counterpart here.)
 */
export function environmentState(environment: WorkshopEnvironment): EnvironmentState {
  return environment.metadata.deletionTimestamp ? 'STOPPING' : 'RUNNING';
}

export function sessionState(session: WorkshopSession): SessionState {
  const phase = phaseOf(session);
  if (phase === 'Failed') return 'STOPPED';
  if (!isLive(session)) return 'STOPPING';
  if (['Requested', 'Allocating', 'Creating', 'Starting'].includes(phase)) return 'STARTING';
  // a learner's session that waits to be activated through its REST link is still WAITING, as in Educates
  if (!session.status?.user || (session.status.activationDeadline && !session.status.activatedAt)) return 'WAITING';
  return 'RUNNING';
}

/** A refusal of extension() as a page says it: "in its last 5 minutes, from 10:45 UTC" rather than a rule. */
function extendRefusal(refused: string, session: WorkshopSession, environment: WorkshopEnvironment | undefined, now: number): string {
  const expiresAt = session.status?.expiresAt;
  if (environment && expiresAt && /last minutes/.test(refused)) {
    const { durationSeconds } = extensionRules(environment.spec.pool);
    const from = Date.parse(expiresAt) - durationSeconds * 1000;
    const minutes = Math.round(durationSeconds / 60);
    return from > now
      ? `Can be extended in its last ${minutes} minutes, from ${new Date(from).toISOString().slice(11, 16)} UTC`
      : 'Can be extended in its last minutes';
  }
  const words: Record<string, string> = {
    'the session has reached its deadline': 'Cannot be extended: it has reached its deadline',
    'the session is not running': 'Cannot be extended: it is not running',
    'the session does not expire': 'Does not expire',
  };
  return words[refused] ?? `Cannot be extended: ${refused}`;
}

/**
 * A learner as people read it: a guest `anon@<portal>:<uuid>` as "Guest" and the uuid's first 8 characters, an
 * OpenID Connect user `oidc:<host>:<sub>` as "<sub> (<host>)", a REST client's learner by the name it gave,
 * an account by its name. The id itself stays available (a page puts it in a title).
 */
export function learnerLabel(user: string | undefined, request?: { firstName?: string; lastName?: string; email?: string }): string {
  if (!user) return '—';
  const name = [request?.firstName, request?.lastName].filter(Boolean).join(' ');
  if (name) return request?.email ? `${name} <${request.email}>` : name;
  if (request?.email) return request.email;
  const guest = /^anon@[^:]*:([0-9a-f]{8})/i.exec(user);
  if (guest) return `Guest ${guest[1]}`;
  const oidc = /^oidc:([^:]+):(.+)$/.exec(user);
  if (oidc) return `${oidc[2]} (${oidc[1]})`;
  return user;
}

/** Timers of a session: when it started and expires, whether it is in its last stretch and may be extended. */
export function timers(runtime: SessionRuntime, session: WorkshopSession, now = Date.now()) {
  const status = session.status;
  const environment = runtime.state.environment(session.spec.environment);
  const expiresAt = status?.expiresAt;
  const countdown = expiresAt ? Math.max(0, Math.round((Date.parse(expiresAt) - now) / 1000)) : undefined;
  const threshold = environment ? extensionRules(environment.spec.pool).thresholdSeconds : 300;
  const verdict = environment ? extension(session, environment.spec.pool, now) : { refused: 'its environment is gone' };
  const extendable = !('refused' in verdict);
  return {
    /** Why Extend is not offered now, in words for the page (undefined when it is). */
    extendRefusal: 'refused' in verdict ? extendRefusal(verdict.refused, session, environment, now) : undefined,
    started: status?.allocatedAt ?? session.metadata.creationTimestamp ?? null,
    expires: expiresAt ?? null,
    expiring: countdown !== undefined && countdown < threshold,
    countdown,
    extendable,
  };
}

/** Educates' `workshop` object of an environment. */
export function workshopView(environment: WorkshopEnvironment) {
  const w = environment.spec.workshop as Record<string, unknown> & { name: string; title: string; description: string };
  return {
    name: w.name,
    title: w.title,
    description: w.description,
    vendor: stringOr(w.vendor),
    authors: Array.isArray(w.authors) ? w.authors.map(String) : [],
    difficulty: stringOr(w.difficulty),
    duration: stringOr(w.duration),
    tags: Array.isArray(w.tags) ? w.tags.map(String) : [],
    labels: w.labels && typeof w.labels === 'object' ? (w.labels as Record<string, string>) : {},
    logo: stringOr(w.logo),
    url: stringOr(w.url),
  };
}

/** Pool counts of an environment (Educates' capacity/reserved/allocated/available) plus how many are Ready. */
export function poolCounts(runtime: SessionRuntime, environment: WorkshopEnvironment) {
  const live = runtime.state.sessionsOf(environment.metadata.name).filter(isLive);
  return {
    capacity: environment.spec.pool.capacity,
    reserved: environment.spec.pool.reserved,
    allocated: live.filter((s) => s.status?.user).length,
    available: live.filter(isReserve).length,
    ready: live.filter((s) => isReserve(s) && phaseOf(s) === 'Ready').length,
  };
}

/** One session in an environment's `sessions` list. */
export function environmentSessionView(runtime: SessionRuntime, session: WorkshopSession, now = Date.now()) {
  const t = timers(runtime, session, now);
  return {
    name: session.metadata.name,
    state: sessionState(session),
    namespace: session.metadata.name,
    user: session.status?.user ?? null,
    started: t.started,
    ...(t.expires ? { expires: t.expires, countdown: t.countdown, extendable: t.extendable } : {}),
  };
}

/** Educates' environment object; `sessions` only when asked for (robots). */
export function environmentView(runtime: SessionRuntime, environment: WorkshopEnvironment, withSessions: boolean) {
  const { ready: _ready, ...counts } = poolCounts(runtime, environment);
  const now = Date.now();
  return {
    name: environment.metadata.name,
    state: environmentState(environment),
    workshop: workshopView(environment),
    duration: environment.spec.pool.expiresSeconds,
    ...counts,
    ...(withSessions
      ? {
          sessions: runtime.state
            .sessionsOf(environment.metadata.name)
            .filter((s) => !s.metadata.deletionTimestamp)
            .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
            .map((s) => environmentSessionView(runtime, s, now)),
        }
      : {}),
  };
}

/** Educates' `portal` object, with the portal's session counts. */
export function portalView(runtime: SessionRuntime, info: PortalInfo) {
  const limits = runtime.state.limits;
  return {
    name: info.name,
    labels: info.labels,
    uid: info.uid,
    generation: info.generation,
    url: info.url,
    sessions: {
      maximum: limits.maximum,
      registered: limits.registered,
      anonymous: limits.anonymous,
      allocated: runtime.state.liveSessions().filter((s) => s.status?.user).length,
    },
  };
}

/** A learner's session as the user and schedule endpoints describe it. */
export function userSessionView(runtime: SessionRuntime, session: WorkshopSession) {
  const t = timers(runtime, session);
  return {
    name: session.metadata.name,
    namespace: session.metadata.name,
    workshop: session.spec.workshop,
    environment: session.spec.environment,
    started: t.started,
    ...(t.expires ? { expires: t.expires, countdown: t.countdown, extendable: t.extendable } : {}),
  };
}

export function scheduleView(runtime: SessionRuntime, session: WorkshopSession) {
  const t = timers(runtime, session);
  return {
    status: sessionState(session),
    started: t.started,
    expires: t.expires,
    expiring: t.expiring,
    ...(t.expires ? { countdown: t.countdown, extendable: t.extendable } : {}),
  };
}

/** Environments in the catalog's order (by workshop title, then name). */
export function sortedEnvironments(runtime: SessionRuntime): WorkshopEnvironment[] {
  return runtime.state.environments
    .list()
    .sort((a, b) => a.spec.workshop.title.localeCompare(b.spec.workshop.title) || a.metadata.name.localeCompare(b.metadata.name));
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
