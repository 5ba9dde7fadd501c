/**
 * Registry authentication as the distribution spec and Docker's token protocol define it: a request goes out
 * anonymously (or with what an earlier challenge gave); a 401 carries `WWW-Authenticate`, which is either
 * `Basic realm="…"` (send the username and password on every request) or
 * `Bearer realm="…",service="…",scope="…"` (get a token from the realm, with the username and password when there
 * are any, then send the token).
 */

export interface Challenge {
  readonly scheme: 'basic' | 'bearer';
  readonly params: Readonly<Record<string, string>>;
}

/** Parses a WWW-Authenticate value; undefined when it is missing or neither Basic nor Bearer. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  // key=value or key="quoted, value"; quoted values may contain commas (scopes often do)
  const paramRe = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let m = paramRe.exec(match[2]); m; m = paramRe.exec(match[2])) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return { scheme, params };
}

/** The value of an `Authorization: Basic` header. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * The token request of a Bearer challenge: the realm URL with `service` and the scope this client needs. The scope
 * is ours, not the challenge's, because a first challenge (to a HEAD of a blob) asks only for `pull` while a
 * publish goes on to push: one token for `pull,push` saves a second round trip.
 */
export function tokenUrl(challenge: Challenge, scope: string): URL {
  const url = new URL(challenge.params.realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', scope);
  return url;
}

/** The token in a token endpoint's answer (`token`, or `access_token` in the OAuth2 form). */
export function tokenFromResponse(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { token, access_token: accessToken } = body as { token?: unknown; access_token?: unknown };
  if (typeof token === 'string' && token !== '') return token;
  if (typeof accessToken === 'string' && accessToken !== '') return accessToken;
  return undefined;
}
