/**
 * What every part of authentication shares: the key ring, the cookie settings, the per-request cookie session
 * (read once, written back at most once per reply), and the ways of answering a request that is refused, as a
 * page for browsers and as JSON {error, message} for API clients.
 */
import { randomUUID } from 'node:crypto';

import type { FastifyReply, FastifyRequest } from 'fastify';

import { htmlPage, wantsHtml } from '../errors.js';
import type { Page } from '../web/layout.js';
import { clearSession, cookieName, type CookieSession, type CookieSettings, newSession, readSession, sameSiteFor, writeSession } from './cookies.js';
import { csrfTokenFor } from './csrf.js';
import type { KeyRing } from './keys.js';
import { messagePage } from './pages.js';
import { RateLimiter } from './rate-limit.js';
import type { AuthOptions, Identity, RateLimitOptions } from './types.js';

interface RequestState {
  session?: CookieSession;
  dirty: boolean;
  /** Why a Bearer token was refused (shown in the 401). */
  tokenError?: string;
  /** The client and scope of the Bearer token that authenticated the request. */
  token?: { clientId: string; scope: string };
}

export class AuthContext {
  public readonly cookie: CookieSettings;
  public readonly registration: 'one-step' | 'anonymous' | 'disabled';
  private readonly states = new WeakMap<FastifyRequest, RequestState>();

  constructor(
    public readonly options: AuthOptions,
    public readonly keys: KeyRing,
  ) {
    const secure = options.secureCookies ?? true;
    const domain = options.cookieDomain || undefined;
    this.cookie = {
      name: cookieName(`${options.portalName}-session`, secure, domain),
      secure,
      maxAgeSeconds: options.cookieMaxAgeSeconds ?? 86_400,
      domain,
      sameSite: sameSiteFor((options.frameAncestors ?? []).length > 0, secure),
    };
    this.registration = options.registration ?? 'one-step';
  }

  public state(request: FastifyRequest): RequestState {
    let state = this.states.get(request);
    if (!state) {
      state = { dirty: false, session: readSession(request, this.keys, this.cookie) };
      this.states.set(request, state);
    }
    return state;
  }

  /** The request's cookie session, created (and later sent) if it has none. */
  public session(request: FastifyRequest): CookieSession {
    const state = this.state(request);
    if (!state.session) {
      state.session = newSession(this.cookie.maxAgeSeconds);
      state.dirty = true;
    }
    return state.session;
  }

  public update(request: FastifyRequest, change: Partial<CookieSession>): void {
    const state = this.state(request);
    state.session = { ...this.session(request), ...change };
    state.dirty = true;
  }

  /** Called from onSend: writes the cookie if the session changed while answering. */
  public flush(request: FastifyRequest, reply: FastifyReply): void {
    const state = this.states.get(request);
    if (state?.dirty && state.session) writeSession(reply, this.keys, this.cookie, state.session);
  }

  public csrfToken(request: FastifyRequest): string {
    return csrfTokenFor(this.keys, this.session(request).sid);
  }

  /** A fresh session id at every change of identity, so that tokens and cookies from before do not carry over. */
  public signIn(request: FastifyRequest, identity: Identity): void {
    const previous = this.state(request).session;
    const state = this.state(request);
    state.session = newSession(this.cookie.maxAgeSeconds, { identity, access: previous?.access });
    state.dirty = true;
    request.identity = identity;
  }

  public signInAnonymous(request: FastifyRequest): Identity {
    if (request.identity) return request.identity;
    const id = `anon@${this.options.portalName}:${randomUUID()}`;
    const identity: Identity = { id, username: id, kind: 'anonymous' };
    this.signIn(request, identity);
    // a new learner, as a registered account is one (the replica that made it reports it: exactly once)
    this.options.onGuestCreated?.(identity);
    return identity;
  }

  public signOut(request: FastifyRequest, reply: FastifyReply): void {
    const previous = this.state(request).session;
    request.identity = null;
    if (previous?.access) {
      // the access code stays entered: signing out ends the account's session, not the event
      const state = this.state(request);
      state.session = newSession(this.cookie.maxAgeSeconds, { access: true });
      state.dirty = true;
    } else {
      this.states.set(request, { dirty: false });
      clearSession(reply, this.cookie);
    }
  }

  /** Browsers navigating ask for text/html; API clients (fetch, curl, the dashboard) do not. */
  public wantsHtml(request: FastifyRequest): boolean {
    return wantsHtml(request);
  }

  /** A same-site path to return to after signing in; anything else (other hosts, schemes, `//`) becomes '/'. */
  public safeNext(value: unknown): string {
    if (typeof value !== 'string' || value.length > 2048 || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
    return /[\u0000-\u001f]/.test(value) ? '/' : value;
  }

  /** `page?next=<url>`, leaving out a next too long to come back (safeNext would refuse it anyway). */
  public withNext(page: string, url: string): string {
    return url.length > 2048 || url === '/' ? page : `${page}?next=${encodeURIComponent(url)}`;
  }

  public html(reply: FastifyReply, status: number, page: Page): FastifyReply {
    return htmlPage(reply, status, page);
  }

  /** Refuses a request: a readable page for a browser, JSON {error, message} for an API client. */
  public refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    error: string,
    title: string,
    message: string,
    links: ReadonlyArray<{ href: string; text: string }> = [],
  ): FastifyReply {
    if (this.wantsHtml(request)) {
      return this.html(
        reply,
        status,
        messagePage({
          identity: request.identity,
          title,
          message,
          links: [...links, { href: '/workshops/catalog/', text: 'Back to the workshops' }],
        }),
      );
    }
    return reply.code(status).header('Cache-Control', 'no-store').send({ error, message });
  }

  public limiter(name: string, options: RateLimitOptions, keyOf: (request: FastifyRequest) => string) {
    // per address and user name, and per address alone with much more room: a whole event's learners often share
    // one address (conference Wi-Fi behind NAT), while one address guessing many names still gets stopped
    const byName = new RateLimiter();
    const byAddress = new RateLimiter();
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const named = byName.hit(`${request.ip}\u0000${keyOf(request)}`, options.max, options.windowSeconds);
      const result = named.allowed ? byAddress.hit(request.ip, options.max * 20, options.windowSeconds) : named;
      if (result.allowed) return;
      reply.header('Retry-After', String(result.retryAfterSeconds));
      const wait = `Try again in ${result.retryAfterSeconds} second${result.retryAfterSeconds === 1 ? '' : 's'}.`;
      return this.refuse(request, reply, 429, 'too_many_requests', 'Too many attempts', `Too many ${name} attempts from your address. ${wait}`);
    };
  }
}
