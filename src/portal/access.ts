/**
 * Who may do what with a session: its learner (the owner), the portal's staff, and the robots (REST clients that
 * act on learners' behalf). Nobody else may see, extend, end or enter it.
 */
import type { FastifyRequest } from 'fastify';

import type { WorkshopSession } from '../runtime/index.js';
import type { Identity } from './auth/index.js';

export type SessionAccess = 'owner' | 'staff' | 'robot' | 'denied';

export function accessTo(identity: Identity | null, session: WorkshopSession): SessionAccess {
  if (!identity) return 'denied';
  if (session.status?.user && session.status.user === identity.id) return 'owner';
  if (identity.kind === 'admin') return 'staff';
  if (identity.kind === 'robot') return 'robot';
  return 'denied';
}

/** The session name and password of an HTTP Basic header (`<session>:<CONFIG_PASSWORD>`), if there is one. */
export function basicCredentials(request: FastifyRequest): { username: string; password: string } | undefined {
  const header = request.headers.authorization;
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
