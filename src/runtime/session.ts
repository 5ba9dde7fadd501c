/**
 * A session as the runtime sees it: the WorkshopSession object, whose status is the only state there is, and the
 * pure rules about it (which phases count as what, and when a session may be extended).
 */
import type { Manifest, SessionPhase } from '../constructs/index.js';

/** Why a session ended (recorded in `status.reason`). */
export type EndReason =
  | 'Expired'
  | 'Orphaned'
  | 'Overdue'
  | 'StartupTimeout'
  | 'NotActivated'
  | 'TerminatedByUser'
  | 'TerminatedByAdmin'
  | 'Evicted'
  | 'Recycled'
  | 'Trimmed'
  | 'Failed';

export interface PhaseChange {
  phase: SessionPhase;
  time: string;
  reason?: string;
}

export interface SessionStatus {
  phase: SessionPhase;
  reason?: string;
  message?: string;
  /** The learner the session belongs to; absent for a reserve. */
  user?: string;
  /** Whether the learner is anonymous (for the per-user caps). */
  anonymous?: boolean;
  url?: string;
  requestedAt?: string;
  allocatedAt?: string;
  readyAt?: string;
  activatedAt?: string;
  /** An API allocation ends unless the learner opens it before this time. */
  activationDeadline?: string;
  expiresAt?: string;
  deadlineAt?: string;
  lastActivityAt?: string;
  extensions?: number;
  terminatingAt?: string;
  /** Whether the request Secret (parameters and learner) is in the session namespace. */
  requestApplied?: boolean;
  /** What the client that asked for the session on the learner's behalf supplied (REST API requests). */
  request?: SessionRequest;
  /**
   * SHA-256 (hex) of the one-time token that activates a session requested through the REST API; only the hash is
   * kept, so reading the WorkshopSession does not let anyone open the session as its learner.
   */
  activationTokenHash?: string;
  history?: PhaseChange[];
}

/** A REST client's request for a learner's session (Educates' `request/` query and body). */
export interface SessionRequest {
  /** Values for the workshop's declared request parameters; undeclared names are ignored. */
  parameters?: Record<string, string>;
  email?: string;
  firstName?: string;
  lastName?: string;
  /** Where the learner returns to when the session ends. */
  indexUrl?: string;
  /** A webhook for this session's analytics events. */
  analyticsUrl?: string;
}

export interface WorkshopSessionSpec {
  environment: string;
  workshop: string;
  portal: string;
  id: string;
  blueprintGeneration: number;
}

export type WorkshopSession = Manifest & { spec: WorkshopSessionSpec; status?: SessionStatus };

/** Pool and timer settings of an environment (the WorkshopEnvironment's `spec.pool`). */
export interface PoolSettings {
  capacity: number;
  initial: number;
  reserved: number;
  expiresSeconds: number;
  overtimeSeconds: number;
  deadlineSeconds: number;
  orphanedSeconds: number;
  overdueSeconds: number;
  refreshSeconds: number;
}

/** Phases of a session that is being made: it counts towards capacity but cannot be used yet. */
export const PREPARING: ReadonlySet<SessionPhase> = new Set(['Requested', 'Allocating', 'Creating', 'Starting']);
/** Phases of a session that holds resources and counts towards capacity. */
export const LIVE: ReadonlySet<SessionPhase> = new Set(['Requested', 'Allocating', 'Creating', 'Starting', 'Ready', 'Active', 'Idle']);

export function phaseOf(session: WorkshopSession): SessionPhase {
  return session.status?.phase ?? 'Requested';
}

export function isLive(session: WorkshopSession): boolean {
  return LIVE.has(phaseOf(session)) && !session.metadata.deletionTimestamp;
}

/** A live session nobody has: a reserve. */
export function isReserve(session: WorkshopSession): boolean {
  return isLive(session) && !session.status?.user;
}

/** A reserve a learner can have right now. */
export function isReadyReserve(session: WorkshopSession): boolean {
  return isReserve(session) && phaseOf(session) === 'Ready';
}

/**
 * Educates' extension rules: a session is "expiring" in its last quarter (at least 5 minutes, at most an hour);
 * an extension adds `overtime` (or that quarter), never past the deadline, and is allowed only while expiring.
 */
export function extensionRules(pool: PoolSettings) {
  const expires = pool.expiresSeconds;
  const threshold = Math.max(300, Math.min(expires, 4 * 3600) / 4);
  const duration = pool.overtimeSeconds > 0 ? Math.max(300, pool.overtimeSeconds) : threshold;
  return { thresholdSeconds: threshold, durationSeconds: duration };
}

/** The new expiry time if the session may be extended now, else why not. */
export function extension(session: WorkshopSession, pool: PoolSettings, now: number): { expiresAt: string } | { refused: string } {
  const status = session.status;
  if (!status?.user || !['Ready', 'Active', 'Idle'].includes(status.phase)) return { refused: 'the session is not running' };
  if (!status.expiresAt || !status.deadlineAt) return { refused: 'the session does not expire' };
  const expires = Date.parse(status.expiresAt);
  const deadline = Date.parse(status.deadlineAt);
  if (expires >= deadline) return { refused: 'the session has reached its deadline' };
  const { durationSeconds } = extensionRules(pool);
  if (expires - now >= durationSeconds * 1000) return { refused: 'the session can be extended only in its last minutes' };
  return { expiresAt: new Date(Math.min(expires + durationSeconds * 1000, deadline)).toISOString() };
}
