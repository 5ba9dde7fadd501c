/**
 * The browser's session, kept entirely in one signed cookie (`<portal>-session`): who is signed in, whether the
 * event access code was entered, and a random id that CSRF tokens are bound to. No replica keeps session state,
 * so any replica serves any request. The cookie is signed, not encrypted: it carries nothing the browser's user
 * may not see (their own name and email). Signing out removes the cookie; a copy taken before stays valid until
 * it expires, which is why the lifetime is bounded.
 */
import { randomBytes } from 'node:crypto';

import type { FastifyReply, FastifyRequest } from 'fastify';

import type { KeyRing } from './keys.js';
import type { Identity } from './types.js';

export interface CookieSession {
  /** Random id the CSRF token is derived from; new at every sign-in, so a token from before does not carry over. */
  sid: string;
  identity?: Identity;
  /** The event access code was entered. */
  access?: boolean;
  /** Expiry in seconds since the epoch. */
  exp: number;
}

export interface CookieSettings {
  readonly name: string;
  readonly secure: boolean;
  readonly maxAgeSeconds: number;
  /** The cookie domain the operator chose (`Domain=`); undefined keeps the cookie with the portal's host. */
  readonly domain?: string;
  /**
   * 'none' when other sites may frame the portal (its frameAncestors): a browser sends a Lax cookie to a frame only
   * when the page around it is of the same site, so an embedded portal would forget every sign-in. Needs Secure;
   * such a cookie is also Partitioned.
   */
  readonly sameSite: 'lax' | 'none';
}

const PURPOSE = 'session-cookie';

export function newSession(maxAgeSeconds: number, keep: Partial<CookieSession> = {}): CookieSession {
  return { ...keep, sid: randomBytes(18).toString('base64url'), exp: Math.floor(Date.now() / 1000) + maxAgeSeconds };
}

/** The session in the request's cookie, if it is signed by the portal and not expired. */
export function readSession(request: FastifyRequest, keys: KeyRing, settings: CookieSettings): CookieSession | undefined {
  const raw = request.cookies?.[settings.name];
  if (!raw) return undefined;
  const result = keys.verify<CookieSession>(PURPOSE, raw);
  if (!('payload' in result) || typeof result.payload.sid !== 'string') return undefined;
  return result.payload;
}

export function writeSession(reply: FastifyReply, keys: KeyRing, settings: CookieSettings, session: CookieSession): void {
  const maxAge = Math.max(0, session.exp - Math.floor(Date.now() / 1000));
  reply.setCookie(
    settings.name,
    keys.sign(PURPOSE, session as unknown as Record<string, unknown> & { exp: number }),
    cookieOptions(settings, maxAge),
  );
}

export function clearSession(reply: FastifyReply, settings: CookieSettings): void {
  reply.clearCookie(settings.name, cookieOptions(settings, 0));
}

/**
 * Over https a cookie's name carries the `__Host-` prefix: browsers then take it only with Secure, Path=/ and no
 * Domain, so a sibling host (a learner's app at `x-<session>.<domain>`) cannot plant a Domain cookie of that name
 * that the portal would read (a session fixation, or a CSRF id of the attacker's choosing). With a cookie domain
 * (which cannot overlap the sessions' domain: constructs/portal-settings.ts) the prefix is `__Secure-`, which
 * still keeps plain-http pages from setting it. Plain http (local development, tests) cannot have a prefix and
 * keeps the bare name.
 */
export function cookieName(name: string, secure: boolean, domain?: string): string {
  if (!secure) return name;
  return domain ? `__Secure-${name}` : `__Host-${name}`;
}

/**
 * HttpOnly (no script reads it), SameSite=Lax unless the portal may be framed by other sites, Secure unless turned
 * off for http, and the operator's cookie domain if there is one.
 */
export function cookieOptions(settings: { secure: boolean; sameSite?: 'lax' | 'none'; domain?: string }, maxAgeSeconds: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: settings.sameSite ?? ('lax' as const),
    secure: settings.secure,
    maxAge: maxAgeSeconds,
    ...(settings.domain ? { domain: settings.domain } : {}),
    // Partitioned (CHIPS): browsers that block other sites' cookies (Chromium's incognito, Safari, Firefox's strict
    // mode) keep it, for this top-level site only; a learner in the frame signs in there once
    ...(settings.sameSite === 'none' ? { partitioned: true } : {}),
  };
}

/** SameSite=None for a portal that other sites may frame, when it can (browsers take None only with Secure). */
export function sameSiteFor(framedByOtherSites: boolean, secure: boolean): 'lax' | 'none' {
  return framedByOtherSites && secure ? 'none' : 'lax';
}
