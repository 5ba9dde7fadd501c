/**
 * The portal's OAuth2 server, on Educates' paths: the token endpoint (password and client-credentials grants for
 * robots, the authorization-code grant of session dashboards, refresh), revocation, and the authorization
 * endpoint that session dashboards send browsers to. Also the check of `Authorization: Bearer` on any request.
 *
 * Clients: each robot of the portal's options; and each workshop session, whose client id is the session name
 * and whose secret is the session's CONFIG_PASSWORD (looked up through `sessionClientSecret`).
 */
import { createHash } from 'node:crypto';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { AuthContext } from './context.js';
import { text } from './forms.js';
import { secretEquals } from './keys.js';
import type { TokenStore } from './token-store.js';
import { type AccessClaims, issueCode, issueTokens, verifyAccess, verifyCode, verifyRefresh } from './tokens.js';
import type { Identity, RobotClient } from './types.js';

type OAuthError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type';

class Refusal {
  constructor(
    public readonly error: OAuthError,
    public readonly description: string,
  ) {}
}

const SESSION_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_PARAMETER = 4096;

/** What a token issued to a session client may be used for, on that session only (the dashboard's calls). */
const SESSION_TOKEN_ROUTES = ['authorize', 'schedule', 'extend'];

const pathOf = (request: FastifyRequest) => request.url.split('?')[0];

type Client = { kind: 'robot'; id: string; robot: RobotClient } | { kind: 'session'; id: string };

/** One text parameter of a form or JSON body; refused when repeated, not text, or absurdly long. */
function parameter(body: unknown, name: string, required = false): string | undefined {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (value === undefined || value === '') {
    if (required) throw new Refusal('invalid_request', `The '${name}' parameter is required.`);
    return undefined;
  }
  if (typeof value !== 'string') throw new Refusal('invalid_request', `The '${name}' parameter must be given once, as text.`);
  if (value.length > MAX_PARAMETER) throw new Refusal('invalid_request', `The '${name}' parameter is longer than ${MAX_PARAMETER} characters.`);
  return value;
}

export class OAuth2Server {
  constructor(
    private readonly ctx: AuthContext,
    private readonly store: TokenStore,
  ) {}

  /** Sets request.identity from a valid, unrevoked Bearer token (or records why the token was refused). */
  public async authenticateBearer(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !/^bearer /i.test(header)) return;
    const claims = await this.validAccessToken(header.slice(7).trim(), false).catch(
      () => 'the access token cannot be checked right now; try again in a moment',
    );
    if (typeof claims === 'string') {
      this.ctx.state(request).tokenError = claims;
      request.identity = null;
      return;
    }
    if (
      !this.isRobot(claims.cid) &&
      !SESSION_TOKEN_ROUTES.some((what) => request.method === 'GET' && pathOf(request) === `/workshops/session/${claims.cid}/${what}/`)
    ) {
      // A session client's token was handed to a dashboard that runs beside the learner's shell: it signs a
      // person in to that dashboard and nothing else, whoever it was issued for (an admin opening the session).
      this.ctx.state(request).tokenError =
        `the access token was issued to the dashboard of session ${claims.cid}: it is good only for that session's sign-in, schedule and extension`;
      request.identity = null;
      return;
    }
    this.ctx.state(request).token = { clientId: claims.cid, scope: claims.scope };
    request.identity = claims.sub;
  }

  private isRobot(clientId: string): boolean {
    return (this.ctx.options.robots ?? []).some((r) => r.clientId === clientId);
  }

  /** The claims of an access token, or why it is refused. */
  private async validAccessToken(token: string, fresh: boolean): Promise<AccessClaims | string> {
    const result = verifyAccess(this.ctx.keys, token);
    if ('failure' in result) return result.failure === 'expired' ? 'the access token has expired' : 'the access token is not valid';
    if (await this.store.isRevoked(result.payload, fresh)) return 'the access token was revoked';
    return result.payload;
  }

  public register(app: FastifyInstance): void {
    const limit = this.ctx.limiter('token', this.ctx.options.rateLimits?.token ?? { max: 30, windowSeconds: 60 }, (request) => {
      const body = request.body as Record<string, unknown> | undefined;
      return String((typeof body?.username === 'string' && body.username) || (typeof body?.client_id === 'string' && body.client_id) || '').slice(
        0,
        64,
      );
    });
    app.post('/oauth2/token/', { preHandler: limit }, async (request, reply) => this.answer(reply, () => this.token(request)));
    app.post('/oauth2/revoke-token/', { preHandler: limit }, async (request, reply) =>
      this.answer(reply, async () => {
        await this.revoke(request);
        return {};
      }),
    );
    app.get('/oauth2/authorize/', async (request, reply) => this.authorize(request, reply));
  }

  /** Token responses must never be cached (RFC 6749 §5.1); refusals are JSON {error, error_description}. */
  private async answer(reply: FastifyReply, produce: () => Promise<object>): Promise<FastifyReply> {
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    try {
      return reply.code(200).send(await produce());
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      if (error.error === 'invalid_client') reply.header('WWW-Authenticate', 'Basic realm="oauth2"');
      return reply.code(error.error === 'invalid_client' ? 401 : 400).send({ error: error.error, error_description: error.description });
    }
  }

  private async token(request: FastifyRequest): Promise<object> {
    const body = request.body;
    const grant = parameter(body, 'grant_type', true)!;
    const client = await this.authenticateClient(request);
    const keys = this.ctx.keys;
    switch (grant) {
      case 'password': {
        if (client.kind !== 'robot') throw new Refusal('unauthorized_client', 'This client may not use the password grant.');
        const username = parameter(body, 'username', true)!;
        const password = parameter(body, 'password', true)!;
        const identity = this.passwordIdentity(client.robot, username, password);
        if (!identity) throw new Refusal('invalid_grant', 'Invalid credentials given.');
        return issueTokens(keys, identity, client.id, true);
      }
      case 'client_credentials': {
        if (client.kind !== 'robot') throw new Refusal('unauthorized_client', 'This client may not use the client_credentials grant.');
        return issueTokens(keys, robotIdentity(client.robot), client.id, false);
      }
      case 'authorization_code': {
        if (client.kind !== 'session') throw new Refusal('unauthorized_client', 'This client may not use the authorization_code grant.');
        await keys.ensureKeyOf(parameter(body, 'code', true));
        const code = verifyCode(keys, parameter(body, 'code', true));
        if ('failure' in code)
          throw new Refusal(
            'invalid_grant',
            code.failure === 'expired' ? 'The authorization code has expired.' : 'The authorization code is not valid.',
          );
        const claims = code.payload;
        if (claims.cid !== client.id) throw new Refusal('invalid_grant', 'The authorization code was issued to another client.');
        if (parameter(body, 'redirect_uri', true) !== claims.ruri)
          throw new Refusal('invalid_grant', 'The redirect_uri does not match the one of the authorization request.');
        if (claims.pkce) {
          const verifier = parameter(body, 'code_verifier', true)!;
          if (createHash('sha256').update(verifier).digest('base64url') !== claims.pkce)
            throw new Refusal('invalid_grant', 'The code_verifier does not match the code_challenge.');
        }
        // the single use is decided by the API server, so a code replayed to another replica fails there too
        if (!(await this.store.useCode(claims))) throw new Refusal('invalid_grant', 'The authorization code was already used.');
        // no refresh token: a dashboard signs its visitor in once, and nothing it holds may outlive that
        return issueTokens(keys, claims.sub, client.id, false);
      }
      case 'refresh_token': {
        if (client.kind !== 'robot') throw new Refusal('unauthorized_client', 'This client may not use the refresh_token grant.');
        await keys.ensureKeyOf(parameter(body, 'refresh_token', true));
        const refresh = verifyRefresh(keys, parameter(body, 'refresh_token', true));
        if ('failure' in refresh)
          throw new Refusal('invalid_grant', refresh.failure === 'expired' ? 'The refresh token has expired.' : 'The refresh token is not valid.');
        const claims = refresh.payload;
        if (claims.cid !== client.id) throw new Refusal('invalid_grant', 'The refresh token was issued to another client.');
        // a refresh token used twice was copied: the store ends its whole grant (RFC 6819 §5.2.2.3)
        const use = await this.store.useRefresh(claims);
        if (use === 'revoked') throw new Refusal('invalid_grant', 'The refresh token was revoked.');
        if (use === 'used') throw new Refusal('invalid_grant', 'The refresh token was already used; every token of its grant is now revoked.');
        return issueTokens(keys, claims.sub, client.id, true, claims.fam, (claims.gen ?? 0) + 1);
      }
      default:
        throw new Refusal(
          'unsupported_grant_type',
          `The grant_type '${grant.slice(0, 64)}' is not supported: use password, client_credentials, authorization_code or refresh_token.`,
        );
    }
  }

  private passwordIdentity(robot: RobotClient, username: string, password: string): Identity | undefined {
    if (username === robot.username) return secretEquals(password, robot.password) ? robotIdentity(robot) : undefined;
    const admin = this.ctx.options.admin;
    if (admin && username === admin.username)
      return secretEquals(password, admin.password) ? { id: admin.username, username: admin.username, kind: 'admin' } : undefined;
    return undefined;
  }

  /** The client of a token request: HTTP Basic (RFC 6749 §2.3.1) or client_id/client_secret in the body. */
  private async authenticateClient(request: FastifyRequest): Promise<Client> {
    const header = request.headers.authorization;
    let id: string | undefined;
    let secret: string | undefined;
    if (typeof header === 'string' && /^basic /i.test(header)) {
      if (parameter(request.body, 'client_secret') !== undefined)
        throw new Refusal('invalid_request', 'Send the client credentials once: in the Authorization header or in the body, not both.');
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      try {
        id = colon < 0 ? undefined : decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
        secret = colon < 0 ? undefined : decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      } catch {
        throw new Refusal('invalid_client', 'Client authentication failed: the Authorization header is malformed.');
      }
    } else {
      id = parameter(request.body, 'client_id');
      secret = parameter(request.body, 'client_secret');
    }
    if (!id || !secret) throw new Refusal('invalid_client', 'Client authentication failed: send client_id and client_secret.');
    const robot = (this.ctx.options.robots ?? []).find((r) => r.clientId === id);
    if (robot) {
      if (secretEquals(secret, robot.clientSecret)) return { kind: 'robot', id, robot };
    } else if (SESSION_NAME.test(id) && this.ctx.options.sessionClientSecret) {
      const expected = await this.ctx.options.sessionClientSecret(id);
      if (expected && secretEquals(secret, expected)) return { kind: 'session', id };
    }
    throw new Refusal('invalid_client', 'Client authentication failed.');
  }

  /** RFC 7009: the client's own tokens are revoked; anything else is answered the same, so nothing leaks. */
  private async revoke(request: FastifyRequest): Promise<void> {
    const client = await this.authenticateClient(request);
    const token = parameter(request.body, 'token', true)!;
    const access = verifyAccess(this.ctx.keys, token);
    if ('payload' in access && access.payload.cid === client.id) {
      await this.store.revokeAccess(access.payload);
      return;
    }
    const refresh = verifyRefresh(this.ctx.keys, token);
    if ('payload' in refresh && refresh.payload.cid === client.id) {
      // a refresh token stands for its grant: every access token issued with it ends too
      await this.store.revokeFamily(refresh.payload);
    }
  }

  /**
   * Step 2 of the dashboard flow: a signed-in owner (or admin) is sent back to the session's dashboard with a
   * code. The redirect_uri is checked before anything is redirected to it, so the endpoint cannot be used to send
   * browsers (or codes) elsewhere.
   */
  private async authorize(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const ctx = this.ctx;
    const { options } = ctx;
    const query = request.query as Record<string, unknown>;
    const bad = (message: string) => ctx.refuse(request, reply, 400, 'invalid_request', 'Cannot open the session', message);
    const session = text(query, 'client_id');
    const redirectUri = text(query, 'redirect_uri');
    const state = text(query, 'state');
    if (!SESSION_NAME.test(session)) return bad('The link to the workshop session is broken: client_id must be the name of a session.');
    const origins = options.sessionOrigins ? await options.sessionOrigins(session) : [];
    if (origins === undefined || origins === null) return this.unknown(request, reply);
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      return bad("The link to the workshop session is broken: redirect_uri must be the session's /oauth_callback address.");
    }
    const allowed = new Set([...origins, ...(options.devDashboardOrigins ?? [])].map(originOf));
    if (
      !['http:', 'https:'].includes(target.protocol) ||
      !allowed.has(target.origin) ||
      target.pathname !== '/oauth_callback' ||
      target.search ||
      target.hash ||
      target.username ||
      target.password
    ) {
      return bad(`The address ${target.origin}${target.pathname} is not one of this session's dashboards.`);
    }
    if (text(query, 'response_type') !== 'code') return bad('The link to the workshop session is broken: response_type must be code.');
    const challenge = text(query, 'code_challenge');
    if (challenge && text(query, 'code_challenge_method') !== 'S256')
      return bad('The link to the workshop session is broken: only the S256 code_challenge_method is supported.');
    if (state.length > 1024 || challenge.length > 256) return bad('The link to the workshop session is broken: state or code_challenge is too long.');

    if (!request.identity) return reply.redirect(ctx.withNext('/accounts/login/', request.url), 302);
    const access = options.sessionAccess ? await options.sessionAccess(session, request.identity) : 'unknown';
    if (access === 'unknown') return this.unknown(request, reply);
    if (access !== 'owner' && access !== 'staff') {
      return ctx.refuse(
        request,
        reply,
        403,
        'forbidden',
        'Not your session',
        'This workshop session belongs to someone else. Open your own session from the workshop catalog.',
      );
    }
    target.searchParams.set('code', issueCode(ctx.keys, request.identity, session, redirectUri, challenge || undefined));
    if (state) target.searchParams.set('state', state);
    return reply.header('Cache-Control', 'no-store').redirect(target.toString(), 302);
  }

  private unknown(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    return this.ctx.refuse(
      request,
      reply,
      404,
      'not_found',
      'Session not found',
      'This workshop session does not exist or has ended. Start a new one from the workshop catalog.',
    );
  }
}

/** An origin as URL.origin spells it (so `http://h:80/` and `http://h` compare equal); unparsable ones match nothing. */
function originOf(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return '';
  }
}

function robotIdentity(robot: RobotClient): Identity {
  return { id: robot.username, username: robot.username, kind: 'robot' };
}
