/**
 * What the rest of the portal sees of authentication: who is asking (`request.identity`), the options the portal
 * passes in, and the handle of helpers it gets back.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

import type { KubeClient } from '../../runtime/index.js';
import type { Logger } from '../../runtime/log.js';
import type { TokenStoreLimits } from './token-store.js';

export type IdentityKind = 'anonymous' | 'registered' | 'oidc' | 'admin' | 'robot';

/** The person or program behind a request. */
export interface Identity {
  /** Stable and unique across kinds: the account name, `anon@<portal>:<uuid>`, `oidc:<issuer host>:<sub>`. */
  readonly id: string;
  readonly username: string;
  readonly name?: string;
  readonly email?: string;
  readonly kind: IdentityKind;
}

/** A REST client of the portal (Educates' robot): OAuth2 client credentials plus the robot user's password. */
export interface RobotClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly username: string;
  readonly password: string;
}

/** What the owner check of the dashboard's authorization request answers. */
export type SessionAccess = 'owner' | 'staff' | 'denied' | 'unknown';

export interface AuthOptions {
  readonly client: KubeClient;
  readonly portalName: string;
  readonly portalNamespace: string;
  /** The browser-facing origin of the portal, e.g. https://labs-ui.example.com (the OIDC redirect URI is built on it). */
  readonly publicUrl: string;
  /**
   * How learners get an account: 'one-step' registration, an automatic 'anonymous' identity, or 'disabled' (only
   * the admin signs in to the web pages; learners come through a REST front end).
   * @default 'one-step'
   */
  readonly registration?: 'one-step' | 'anonymous' | 'disabled';
  /** An event access code every visitor must enter before the pages open. @default - none */
  readonly accessCode?: string;
  /** Mark cookies Secure. Turn off only for plain-http local development and tests. @default true */
  readonly secureCookies?: boolean;
  /**
   * The session cookie's domain (checked by the caller: constructs/portal-settings.ts cookieDomainProblem).
   * @default - host-only
   */
  readonly cookieDomain?: string;
  /** Origins of other sites that may frame the portal: its cookies are then SameSite=None (over https). @default - none */
  readonly frameAncestors?: readonly string[];
  readonly admin?: { readonly username: string; readonly password: string };
  readonly oidc?: { readonly issuer: string; readonly clientId: string; readonly clientSecret: string; readonly name?: string };
  readonly robots?: readonly RobotClient[];
  /** Extra origins a session dashboard may redirect to (local development and tests). @default - none */
  readonly devDashboardOrigins?: readonly string[];
  /** Whether `identity` may open `session`'s dashboard. @default - every session is 'unknown' */
  readonly sessionAccess?: (session: string, identity: Identity) => SessionAccess | Promise<SessionAccess>;
  /**
   * The origins (scheme://host[:port]) of a session's dashboard and ingresses; undefined for an unknown or ended
   * session. @default - none (only devDashboardOrigins)
   */
  readonly sessionOrigins?: (session: string) => readonly string[] | undefined | Promise<readonly string[] | undefined>;
  /** The session's OAuth2 client secret (its CONFIG_PASSWORD); undefined when the session is unknown. */
  readonly sessionClientSecret?: (session: string) => string | undefined | Promise<string | undefined>;
  /** How long a browser stays signed in, in seconds. @default 86400 */
  readonly cookieMaxAgeSeconds?: number;
  /** How long a replica trusts its copy of the revocation list for Bearer requests, in ms. @default 2000 */
  readonly revocationCacheMs?: number;
  /** Bounds of the revoked/used-token ConfigMap. @default 500 live entries per client, 10000 in all */
  readonly tokenStoreLimits?: TokenStoreLimits;
  /**
   * Limits per client address and user name (per replica), and 20 times as much per address alone: sign-in,
   * registration, access code, token endpoint.
   * @default signIn 10/60 s, registration 5/60 s, accessCode 10/60 s, token 30/60 s
   */
  readonly rateLimits?: Partial<Record<'signIn' | 'registration' | 'accessCode' | 'token', RateLimitOptions>>;
  readonly logger?: Logger;
  /** Called once for each guest identity made (anonymous registration): the portal's `User/Create`. */
  readonly onGuestCreated?: (identity: Identity) => void;
  /**
   * Called once for each OpenID Connect identity, at its first sign-in to this portal on any replica (known-users.ts):
   * the portal's `User/Create` for learners whose account lives at the provider.
   */
  readonly onFirstSignIn?: (identity: Identity) => void;
}

export interface RateLimitOptions {
  readonly max: number;
  readonly windowSeconds: number;
}

/** Helpers the portal's own routes use; returned by registerAuth. */
export interface AuthHandle {
  /** preHandler: a signed-in user (any kind); anonymous portals create a guest identity for browsers. */
  readonly requireUser: preHandlerAsyncHookHandler;
  /** preHandler: the admin. */
  readonly requireStaff: preHandlerAsyncHookHandler;
  /** preHandler: a robot, authenticated with an OAuth2 Bearer token. */
  readonly requireRobot: preHandlerAsyncHookHandler;
  /** preHandler: a POST carries the CSRF token of the browser's cookie session (form field `_csrf` or header x-csrf-token). */
  readonly verifyCsrf: preHandlerAsyncHookHandler;
  /** The CSRF token for forms on a page answered to `request` (sets the session cookie if there is none yet). */
  csrfToken(request: FastifyRequest): string;
  /** preHandler: at most `max` requests per `windowSeconds` per client address and user name (per replica). */
  rateLimit(name: string, options: RateLimitOptions): preHandlerAsyncHookHandler;
  /** Gives the browser a new guest identity (or keeps its current one) and returns it. */
  signInAnonymous(request: FastifyRequest, reply: FastifyReply): Identity;
  /** Signs the browser in as `identity` (e.g. after the portal's own activation of an API-allocated session). */
  signIn(request: FastifyRequest, reply: FastifyReply, identity: Identity): void;
  signOut(request: FastifyRequest, reply: FastifyReply): void;
  /** The OAuth2 client and scope of the Bearer token the request was authenticated with, if any. */
  tokenOf(request: FastifyRequest): { clientId: string; scope: string } | undefined;
  /** Whether the request came from a browser that wants an HTML page (rather than an API client). */
  wantsHtml(request: FastifyRequest): boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request: from the signed session cookie or an OAuth2 Bearer token; null when nobody signed in. */
    identity: Identity | null;
  }
}
