/**
 * The OAuth2 values the portal hands out, all signed with the portal keys (so any replica verifies them without
 * a lookup) and each bound to its purpose: access tokens (10 h, like Educates), refresh tokens (30 days) and
 * authorization codes (60 s). Access and refresh tokens of one grant share a family id, so revoking a refresh
 * token ends every token of its grant.
 */
import { randomBytes } from 'node:crypto';

import type { KeyRing } from './keys.js';
import type { Identity } from './types.js';

export const ACCESS_TOKEN_SECONDS = 36_000;
export const REFRESH_TOKEN_SECONDS = 30 * 86_400;
export const CODE_SECONDS = 60;
export const SCOPE = 'user:info';

export interface AccessClaims {
  jti: string;
  /** The grant the token belongs to. */
  fam: string;
  /** The client it was issued to (a robot's client id, or a session name). */
  cid: string;
  sub: Identity;
  scope: string;
  exp: number;
  /** Issued at, ms since the epoch (a client's tokens from before a moment can be voided together). */
  iat?: number;
}

export interface RefreshClaims extends AccessClaims {
  /** The place in its grant's rotation: 0 for the first refresh token, one more at each refresh. */
  gen?: number;
}

export interface CodeClaims {
  jti: string;
  cid: string;
  ruri: string;
  sub: Identity;
  /** PKCE (S256) challenge, when the client sent one. */
  pkce?: string;
  exp: number;
  iat?: number;
}

const ACCESS = 'oauth2-access';
const REFRESH = 'oauth2-refresh';
const CODE = 'oauth2-code';

export function newId(): string {
  return randomBytes(12).toString('base64url');
}

const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

/** Only the identity's own fields go into a token (never anything else a caller's object carries). */
function subject(identity: Identity): Identity {
  const { id, username, name, email, kind } = identity;
  return { id, username, kind, ...(name ? { name } : {}), ...(email ? { email } : {}) };
}

export interface IssuedTokens {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  scope: string;
  refresh_token?: string;
}

export function issueTokens(
  keys: KeyRing,
  identity: Identity,
  clientId: string,
  withRefresh: boolean,
  family = newId(),
  generation = 0,
): IssuedTokens {
  const sub = subject(identity);
  const iat = Date.now();
  const access = keys.sign(ACCESS, { jti: newId(), fam: family, cid: clientId, sub, scope: SCOPE, exp: inSeconds(ACCESS_TOKEN_SECONDS), iat });
  const tokens: IssuedTokens = { access_token: access, expires_in: ACCESS_TOKEN_SECONDS, token_type: 'Bearer', scope: SCOPE };
  if (withRefresh) {
    tokens.refresh_token = keys.sign(REFRESH, {
      jti: newId(),
      fam: family,
      cid: clientId,
      sub,
      scope: SCOPE,
      exp: inSeconds(REFRESH_TOKEN_SECONDS),
      iat,
      gen: generation,
    });
  }
  return tokens;
}

export function issueCode(keys: KeyRing, identity: Identity, clientId: string, redirectUri: string, pkce?: string): string {
  return keys.sign(CODE, {
    jti: newId(),
    cid: clientId,
    ruri: redirectUri,
    sub: subject(identity),
    ...(pkce ? { pkce } : {}),
    exp: inSeconds(CODE_SECONDS),
    iat: Date.now(),
  });
}

export const verifyAccess = (keys: KeyRing, token: unknown) => keys.verify<AccessClaims>(ACCESS, token);
export const verifyRefresh = (keys: KeyRing, token: unknown) => keys.verify<RefreshClaims>(REFRESH, token);
export const verifyCode = (keys: KeyRing, code: unknown) => keys.verify<CodeClaims>(CODE, code);
