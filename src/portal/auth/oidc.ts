/**
 * Signing in with an OpenID Connect provider (/accounts/oidc/login/ → provider → /accounts/oidc/callback/), with
 * openid-client: the authorization-code flow with PKCE, state and nonce. What the callback must check them
 * against lives in a short-lived signed cookie, not in the replica, since the callback may reach another one.
 * The learner's identity is `oidc:<issuer host>:<sub>`, named from the ID token's claims.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';

import type { AuthContext } from './context.js';
import { cookieName as secureCookieName, cookieOptions } from './cookies.js';
import { text } from './forms.js';
import type { KnownUsers } from './known-users.js';
import { messagePage } from './pages.js';
import type { Identity } from './types.js';

const PURPOSE = 'oidc-transaction';
const TRANSACTION_SECONDS = 600;
const COOKIE_PATH = '/accounts/oidc/';

interface Transaction {
  verifier: string;
  state: string;
  nonce: string;
  next: string;
  exp: number;
}

export function registerOidc(app: FastifyInstance, ctx: AuthContext, knownUsers: KnownUsers): void {
  const settings = ctx.options.oidc;
  if (!settings || ctx.registration !== 'one-step') return;
  const provider = settings.name ?? 'single sign-on';
  // `__Host-` cookies must have Path=/: the transaction cookie then goes to every path, over https only
  const cookieName = secureCookieName(`${ctx.options.portalName}-oidc`, ctx.cookie.secure);
  const cookiePath = ctx.cookie.secure ? '/' : COOKIE_PATH;
  // host-only whatever the session cookie's domain (only the callback reads it), SameSite as the session cookie's
  const transactionCookie = { secure: ctx.cookie.secure, sameSite: ctx.cookie.sameSite };
  const redirectUri = new URL('/accounts/oidc/callback/', ctx.options.publicUrl).toString();
  const issuer = new URL(settings.issuer);
  let discovered: Promise<oidc.Configuration> | undefined;

  // discovered on first use, and again after a failure, so the portal starts even while the provider is down
  const configuration = () => {
    discovered ??= oidc
      .discovery(issuer, settings.clientId, settings.clientSecret, undefined, {
        execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      })
      .catch((error) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  };

  const fail = (request: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
    ctx.html(
      reply,
      status,
      messagePage({
        identity: request.identity,
        title: `Signing in with ${provider} failed`,
        message,
        link: { href: '/accounts/login/', text: 'Back to sign in' },
      }),
    );

  app.get('/accounts/oidc/login/', async (request, reply) => {
    let config: oidc.Configuration;
    try {
      config = await configuration();
    } catch (error) {
      ctx.options.logger?.warn({ issuer: issuer.origin, err: (error as Error).message }, 'OpenID Connect discovery failed');
      return fail(request, reply, 503, `${provider} cannot be reached right now. Try again in a minute, or sign in with a password.`);
    }
    const transaction: Transaction = {
      verifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      next: ctx.safeNext(text(request.query, 'next')),
      exp: Math.floor(Date.now() / 1000) + TRANSACTION_SECONDS,
    };
    reply.setCookie(cookieName, ctx.keys.sign(PURPOSE, { ...transaction }), {
      ...cookieOptions(transactionCookie, TRANSACTION_SECONDS),
      path: cookiePath,
    });
    const target = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return reply.redirect(target.toString(), 302);
  });

  app.get('/accounts/oidc/callback/', async (request, reply) => {
    const verified = ctx.keys.verify<Transaction>(PURPOSE, request.cookies[cookieName]);
    reply.clearCookie(cookieName, { ...cookieOptions(transactionCookie, 0), path: cookiePath });
    if (!('payload' in verified)) {
      return fail(
        request,
        reply,
        400,
        'The sign-in took longer than 10 minutes, or was started in another browser. Start again from the sign-in page.',
      );
    }
    const transaction = verified.payload;
    const refused = text(request.query, 'error');
    if (refused) {
      const why = text(request.query, 'error_description').slice(0, 200) || refused.slice(0, 64);
      return fail(request, reply, 401, `${provider} did not sign you in: ${why}`);
    }
    let identity: Identity;
    try {
      const config = await configuration();
      const tokens = await oidc.authorizationCodeGrant(config, new URL(request.url, redirectUri), {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const str = (value: unknown) => (typeof value === 'string' && value ? value.slice(0, 256) : undefined);
      identity = {
        id: `oidc:${issuer.host}:${claims.sub}`,
        username: str(claims.preferred_username) ?? str(claims.email) ?? claims.sub,
        name: str(claims.name),
        email: str(claims.email),
        kind: 'oidc',
      };
    } catch (error) {
      // the reason goes to the log (it names the check that failed); the learner gets what to do
      ctx.options.logger?.warn({ issuer: issuer.origin, err: (error as Error).message }, 'OpenID Connect sign-in failed');
      return fail(request, reply, 401, `The answer from ${provider} could not be verified. Start again from the sign-in page.`);
    }
    ctx.signIn(request, Object.fromEntries(Object.entries(identity).filter(([, v]) => v !== undefined)) as unknown as Identity);
    try {
      if (await knownUsers.remember(identity)) ctx.options.onFirstSignIn?.(identity);
    } catch (error) {
      // the learner is signed in all the same; only the analytics event of a first sign-in is lost
      ctx.options.logger?.warn({ err: (error as Error).message }, 'cannot record a first OpenID Connect sign-in: no User/Create for it');
    }
    return reply.redirect(transaction.next, 303);
  });
}
