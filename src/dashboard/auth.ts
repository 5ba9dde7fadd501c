/**
 * Who may use the dashboard: the session's owner (or portal staff), proven by the portal's OAuth2
 * authorization-code flow, then remembered in a signed cookie. The cookie key is derived from the session's
 * CONFIG_PASSWORD, so a restarted dashboard still recognises learners who signed in before.
 *
 * The portal sends codes only to the session's own host `<session>.<domain>` (never to a route's host, which may
 * serve what the learner puts there). So a route host the dashboard proxies with sign-in (`<name>-<session>.<domain>`)
 * signs its visitor in through the session's own host: the browser goes to `/oauth_handoff` there, signs in as
 * usual, and comes back with a ticket (signed, bound to the route's host, good for a minute, taken once) that
 * `/oauth_ticket` on the route's host turns into that host's own cookie. Neither the ticket nor that cookie carries
 * the learner's portal token: a route's host has no use for it.
 *
 * The portal itself is the other caller: it uses HTTP Basic `<session>:<CONFIG_PASSWORD>`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { fastifyCookie, Signer } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { basicAuthorization } from '../oci/auth.js';
import type { DashboardRouteConfig } from './config.js';
import { errorPage } from './page.js';
import { type PortalClient, PortalError } from './portal-client.js';

/** The person using the dashboard, as the portal vouched for them. */
export interface Learner {
  readonly user: string;
  readonly owner: string;
  readonly staff: boolean;
  /** The portal access token, for the learner's own schedule and extensions. */
  readonly token: string;
  /** When the sign-in lapses (epoch ms): then the learner goes through the portal again, usually unnoticed. */
  readonly expires: number;
  /** Set on a route host's cookie (which has no token): the only host name the cookie is good for. */
  readonly host?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    learner?: Learner;
  }
}

export interface AuthOptions {
  readonly sessionName: string;
  /** Browser-facing origin of the portal. */
  readonly portalUrl: string;
  readonly clientSecret: string;
  readonly portal: PortalClient;
  readonly secureCookies: boolean;
  /** Other sites may frame the portal (and so this dashboard): cookies are SameSite=None when Secure. @default false */
  readonly framedByOtherSites?: boolean;
  /** The session's routes: those proxied by the dashboard with sign-in get their visitors signed in. @default none */
  readonly routes?: readonly DashboardRouteConfig[];
}

/** A signed-in learner stays signed in at most this long, whatever the token's lifetime. */
const MAX_SIGN_IN_SECONDS = 12 * 3600;
/** How long a learner has to come back from the portal. */
const FLOW_SECONDS = 600;
/** How long a route host's sign-in ticket is good for: the browser takes it straight from one redirect to the next. */
const TICKET_SECONDS = 60;
/** Longest `next` path a hand-over carries. */
const MAX_NEXT = 2048;

export class DashboardAuth {
  private readonly cookieName: string;
  private readonly nonceCookie: string;
  private readonly signer: Signer;
  private readonly basic: Buffer;
  private readonly ticketSigner: Signer;
  /** Host name of each route the dashboard signs visitors in to -> the session's own host name. */
  private readonly signInHosts = new Map<string, string>();
  /** Every route host of the session (some cannot sign anyone in: their Ingress bypasses the dashboard). */
  private readonly routeHosts = new Set<string>();
  /** Tickets taken (id -> expiry, epoch ms), so that each signs a browser in once. */
  private readonly usedTickets = new Map<string, number>();

  constructor(private readonly options: AuthOptions) {
    // Several dashboards (and the portal) may share a host name in development: cookies do not separate ports.
    this.cookieName = `dashboard-${options.sessionName}`;
    this.nonceCookie = `dashboard-${options.sessionName}-flow`;
    this.signer = new Signer(deriveKey(options.clientSecret, 'cookie'));
    this.basic = Buffer.from(basicAuthorization(options.sessionName, options.clientSecret));
    this.ticketSigner = new Signer(deriveKey(options.clientSecret, 'route ticket'));
    for (const route of options.routes ?? []) {
      this.routeHosts.add(route.host);
      // `<name>-<session>.<domain>`: the session's own host is `<session>.<domain>`.
      const main = route.host.startsWith(`${route.name}-`) ? route.host.slice(route.name.length + 1) : '';
      if (route.authenticated && !route.service && main.startsWith(`${options.sessionName}.`)) this.signInHosts.set(route.host, main);
    }
  }

  /** Adds cookie handling and the OAuth2 callback to the app. */
  public async register(app: FastifyInstance): Promise<void> {
    await app.register(fastifyCookie, { secret: this.signer });
    app.get('/oauth_callback', (request, reply) => this.callback(request, reply));
    app.get('/oauth_handoff', (request, reply) => this.handoff(request, reply));
    app.get('/oauth_ticket', (request, reply) => this.takeTicket(request, reply));
  }

  /** preHandler: lets the session's owner through; sends anyone else through the portal (or answers 401). */
  public readonly requireLearner = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const learner = this.learnerFromHeaders(request.headers);
    if (learner) {
      if ((request.ws || !SAFE_METHODS.has(request.method)) && !isSameOrigin(request.headers)) {
        await reply.code(403).send({ error: 'forbidden', message: 'requests that act in the session must come from its own pages' });
        return;
      }
      request.learner = learner;
      return;
    }
    const navigation = (request.method === 'GET' || request.method === 'HEAD') && !request.ws && !isScripted(request);
    if (!navigation) {
      await reply.code(401).send({ error: 'unauthenticated', message: 'sign in to the workshop portal and open the session from there' });
      return;
    }
    const host = hostNameOf(request.headers.host);
    if (this.routeHosts.has(host)) {
      await this.toHandoff(request, reply, host);
      return;
    }
    await this.startFlow(request, reply, request.url);
  };

  /** The learner of a request's cookie, or null (used for upgrades that bypass fastify's hooks, too). */
  public learnerFromHeaders(headers: IncomingHttpHeaders): Learner | null {
    const raw = headers.cookie ? fastifyCookie.parse(headers.cookie)[this.cookieName] : undefined;
    if (!raw) return null;
    const unsigned = this.signer.unsign(raw);
    if (!unsigned.valid || !unsigned.value) return null;
    try {
      const learner = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString()) as Learner;
      if (learner.host !== undefined && learner.host !== hostNameOf(headers.host)) return null;
      return learner.expires > Date.now() ? learner : null;
    } catch {
      return null;
    }
  }

  /** True when the request carries the portal's Basic credentials for this session. */
  public isPortal(headers: IncomingHttpHeaders): boolean {
    const given = Buffer.from(String(headers.authorization ?? ''));
    return given.length === this.basic.length && timingSafeEqual(given, this.basic);
  }

  /** preHandler for what only the portal (or tooling holding CONFIG_PASSWORD) may call. */
  public readonly requirePortal = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (this.isPortal(request.headers)) return;
    await reply
      .code(401)
      .header('www-authenticate', 'Basic realm="workshop session"')
      .send({ error: 'unauthenticated', message: `this endpoint needs HTTP Basic credentials ${this.options.sessionName}:<CONFIG_PASSWORD>` });
  };

  /** Step 1: off to the portal, remembering where the learner wanted to go. */
  private async startFlow(request: FastifyRequest, reply: FastifyReply, next: string): Promise<void> {
    // One nonce per browser for every flow in progress: a page and its iframes may all start a flow at once.
    let nonce = request.cookies[this.nonceCookie];
    if (!nonce || !/^[A-Za-z0-9_-]{20,}$/.test(nonce)) {
      nonce = randomBytes(18).toString('base64url');
      reply.setCookie(this.nonceCookie, nonce, { ...this.cookieOptions(), maxAge: FLOW_SECONDS });
    }
    const state = this.signer.sign(Buffer.from(JSON.stringify({ nonce, next, expires: Date.now() + FLOW_SECONDS * 1000 })).toString('base64url'));
    const authorize = new URL('/oauth2/authorize/', this.options.portalUrl);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.options.sessionName,
      redirect_uri: this.redirectUri(request),
      state,
    }).toString();
    await reply.redirect(authorize.toString(), 302);
  }

  /** Steps 3 and 4: the portal sent the learner back with a code. */
  private async callback(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = request.query as Record<string, string | undefined>;
    if (query.error) {
      return this.refuse(reply, 403, 'Sign-in was refused', `The workshop portal refused the sign-in (${query.error}).`);
    }
    const flow = this.readState(query.state, request.cookies[this.nonceCookie]);
    if (!flow || !query.code) {
      // An old bookmark or a replayed link: start again rather than show an error the learner cannot act on.
      return this.startFlow(request, reply, flow?.next ?? '/');
    }
    let learner: Learner;
    try {
      const token = await this.options.portal.exchangeCode(query.code, this.redirectUri(request));
      const who = await this.options.portal.authorize(token.accessToken);
      const lifetime = Math.min(token.expiresIn, MAX_SIGN_IN_SECONDS);
      learner = { ...who, token: token.accessToken, expires: Date.now() + lifetime * 1000 };
    } catch (error) {
      const status = error instanceof PortalError ? error.status : 0;
      if (status === 403) {
        return this.refuse(
          reply,
          403,
          'Not your session',
          'This workshop session belongs to someone else. Open your own session from the workshop portal.',
        );
      }
      if (status === 400 || status === 401) return this.startFlow(request, reply, flow.next);
      request.log.warn({ status, message: (error as Error).message }, 'sign-in through the portal failed');
      return this.refuse(
        reply,
        502,
        'The workshop portal cannot be reached',
        'Signing in needs the workshop portal, which did not answer. Reload the page in a moment.',
      );
    }
    const value = this.signer.sign(Buffer.from(JSON.stringify(learner)).toString('base64url'));
    reply.setCookie(this.cookieName, value, { ...this.cookieOptions(), maxAge: Math.floor((learner.expires - Date.now()) / 1000) });
    reply.clearCookie(this.nonceCookie, this.cookieOptions());
    await reply.redirect(safeNext(flow.next), 302);
  }

  /** On a route host without sign-in: off to the session's own host, which signs the learner in for this host. */
  private async toHandoff(request: FastifyRequest, reply: FastifyReply, host: string, next = request.url): Promise<void> {
    const main = this.signInHosts.get(host);
    if (!main) {
      return this.refuse(
        reply,
        403,
        'No sign-in here',
        `The session's route ${host} is not served through the session's dashboard, so the dashboard cannot sign anyone in to it.`,
      );
    }
    const hostHeader = String(request.headers.host).toLowerCase();
    const handoff = new URL(`${request.protocol}://${main}${portOf(hostHeader)}/oauth_handoff`);
    handoff.search = new URLSearchParams({ host: hostHeader, next: isLocalPath(next) ? next : '/' }).toString();
    await reply.header('cache-control', 'no-store').redirect(handoff.toString(), 302);
  }

  /**
   * On the session's own host: `?host=<route host>&next=<path>`. Signs the learner in here if need be (the usual
   * flow), then sends the browser to the route's host with a ticket for that host and this learner.
   */
  private async handoff(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = request.query as Record<string, unknown>;
    const host = typeof query.host === 'string' ? query.host.toLowerCase() : '';
    const next = typeof query.next === 'string' ? query.next : '';
    if (!this.signInHosts.has(hostNameOf(host)) || portOf(host) !== portOf(String(request.headers.host)) || !/^[a-z0-9.-]+(:\d{1,5})?$/.test(host)) {
      const allowed = [...this.signInHosts.keys()].join(', ') || 'none';
      return this.refuse(
        reply,
        400,
        'Cannot sign in there',
        `host (${JSON.stringify(String(query.host ?? ''))}) must be one of this session's routes that sign visitors in (${allowed}), on the port of ${String(request.headers.host)}.`,
      );
    }
    if (!isLocalPath(next)) {
      return this.refuse(
        reply,
        400,
        'Cannot sign in there',
        `next (${JSON.stringify(String(query.next ?? '').slice(0, 200))}) must be a path of the route's own host: starting with one '/', printable characters only.`,
      );
    }
    await this.requireLearner(request, reply);
    if (reply.sent || !request.learner) return;
    const learner = request.learner;
    const claims: TicketClaims = {
      host: hostNameOf(host),
      user: learner.user,
      owner: learner.owner,
      staff: learner.staff,
      next,
      id: randomBytes(12).toString('base64url'),
      until: Date.now() + TICKET_SECONDS * 1000,
      signedInUntil: learner.expires,
    };
    const target = new URL(`${request.protocol}://${host}/oauth_ticket`);
    target.search = new URLSearchParams({ t: this.ticketSigner.sign(Buffer.from(JSON.stringify(claims)).toString('base64url')) }).toString();
    await reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(target.toString(), 302);
  }

  /** On a route host: a ticket from the session's own host becomes this host's cookie. */
  private async takeTicket(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const host = hostNameOf(request.headers.host);
    if (!this.signInHosts.has(host)) {
      return this.refuse(
        reply,
        400,
        'Sign-in ticket refused',
        `Tickets are taken only on this session's routes that sign visitors in, not on ${host}.`,
      );
    }
    const t = (request.query as Record<string, unknown>).t;
    const unsigned = typeof t === 'string' && t.length < 4096 ? this.ticketSigner.unsign(t) : null;
    let claims: TicketClaims | null = null;
    try {
      claims = unsigned?.valid && unsigned.value ? (JSON.parse(Buffer.from(unsigned.value, 'base64url').toString()) as TicketClaims) : null;
    } catch {
      claims = null;
    }
    if (
      !claims ||
      typeof claims.id !== 'string' ||
      typeof claims.until !== 'number' ||
      typeof claims.user !== 'string' ||
      !isLocalPath(claims.next)
    ) {
      return this.refuse(
        reply,
        403,
        'Sign-in ticket refused',
        'The sign-in ticket is not one this session issued. Open the session from the workshop portal.',
      );
    }
    if (claims.host !== host) {
      return this.refuse(reply, 403, 'Sign-in ticket refused', `The sign-in ticket is for ${claims.host}, not for ${host}.`);
    }
    const now = Date.now();
    for (const [id, until] of this.usedTickets) if (until <= now) this.usedTickets.delete(id);
    if (claims.until <= now || this.usedTickets.has(claims.id) || this.usedTickets.size >= 10_000) {
      // An old link or a reload: start again, which (signed in on the session's host) is one more redirect.
      return this.toHandoff(request, reply, host, claims.next);
    }
    this.usedTickets.set(claims.id, claims.until);
    const learner: Learner = {
      user: claims.user,
      owner: claims.owner,
      staff: claims.staff,
      token: '',
      host,
      expires: Math.min(claims.signedInUntil, now + MAX_SIGN_IN_SECONDS * 1000),
    };
    const value = this.signer.sign(Buffer.from(JSON.stringify(learner)).toString('base64url'));
    reply.setCookie(this.cookieName, value, { ...this.cookieOptions(), maxAge: Math.max(0, Math.floor((learner.expires - now) / 1000)) });
    await reply.redirect(claims.next, 302);
  }

  private readState(state: string | undefined, nonce: string | undefined): { next: string } | null {
    if (!state || !nonce) return null;
    const unsigned = this.signer.unsign(state);
    if (!unsigned.valid || !unsigned.value) return null;
    try {
      const flow = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString()) as { nonce: string; next: string; expires: number };
      return flow.nonce === nonce && flow.expires > Date.now() ? { next: flow.next } : null;
    } catch {
      return null;
    }
  }

  /** Where the portal sends the learner back to: this very host (the session's, or one of its routes'). */
  private redirectUri(request: FastifyRequest): string {
    return `${request.protocol}://${request.host}/oauth_callback`;
  }

  private cookieOptions() {
    // in another site's frame: SameSite=None (a Lax cookie is not sent there) and Partitioned (kept by browsers that
    // block other sites' cookies), as the portal's
    if (this.options.framedByOtherSites && this.options.secureCookies) {
      return { path: '/', httpOnly: true, sameSite: 'none' as const, secure: true, partitioned: true };
    }
    return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: this.options.secureCookies };
  }

  private async refuse(reply: FastifyReply, status: number, title: string, message: string): Promise<void> {
    await reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(errorPage(title, message, this.options.portalUrl));
  }
}

/** Methods that only read: the others act in the session, and must come from its own pages. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * True unless a browser says the request comes from a page of another origin. Every session's host is on the same
 * site, so SameSite cookies alone would let a page of one session (or of its routes) open another session's
 * terminal in the browser of someone who may use both, such as an instructor. Browsers always send Origin on
 * WebSocket handshakes and on POSTs; tools that send none are not browsers carrying someone's cookie.
 */
export function isSameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (!origin) return true;
  const forwarded = String(headers['x-forwarded-host'] ?? '')
    .split(',')[0]
    .trim();
  const host = (forwarded || String(headers.host ?? '')).toLowerCase();
  try {
    return new URL(origin).host.toLowerCase() === host;
  } catch {
    return false;
  }
}

/** A key of its own for each use, so that a cookie signature is never useful as anything else. */
export function deriveKey(secret: string, purpose: string): string {
  return createHmac('sha256', secret).update(`cdk8s-workshops dashboard ${purpose}`).digest('base64url');
}

/** Requests made by the page's scripts (fetch, EventSource) get a 401 to act on, not a redirect they cannot follow. */
function isScripted(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  // Browsers mark fetch() and XHR with Sec-Fetch-Dest: empty; navigations say document or iframe.
  return accept.includes('application/json') || accept.includes('text/event-stream') || request.headers['sec-fetch-dest'] === 'empty';
}

/** The path where a route's host takes its sign-in ticket (the dashboard's, not the route application's). */
export function isTicketPath(url: string): boolean {
  return url === '/oauth_ticket' || url.startsWith('/oauth_ticket?');
}

/** What a route host's sign-in ticket says (signed with a key of its own). */
interface TicketClaims {
  /** The route host name the ticket is good for. */
  readonly host: string;
  readonly user: string;
  readonly owner: string;
  readonly staff: boolean;
  /** Where the browser goes once signed in: a path of that host. */
  readonly next: string;
  readonly id: string;
  /** Epoch ms: the ticket is refused from then on. */
  readonly until: number;
  /** Epoch ms: when the sign-in it carries lapses. */
  readonly signedInUntil: number;
}

/** A Host header's name, without its port, in lower case. */
function hostNameOf(host: string | undefined): string {
  return (host ?? '').replace(/:\d+$/, '').toLowerCase();
}

/** A Host header's `:port`, or '' when it has none. */
function portOf(host: string): string {
  return /:\d+$/.exec(host)?.[0] ?? '';
}

/**
 * A path of the same host and nothing else: one leading '/', then printable ASCII without spaces or backslashes
 * (browsers read `/\\host` and `/<tab>/host` as another host), and not too long.
 */
export function isLocalPath(next: unknown): next is string {
  return typeof next === 'string' && next.length <= MAX_NEXT && /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/.test(next);
}

/** Only paths of this host: the state is signed, but a redirect elsewhere must never be possible. */
function safeNext(next: string): string {
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
