/**
 * Authentication and access for the portal: `registerAuth(app, options)` adds `request.identity` (from the signed
 * session cookie or an OAuth2 Bearer token), the account, OIDC, access-code and OAuth2 routes, and returns the
 * helpers the portal's own routes use (require*, CSRF, rate limits, signing in and out).
 *
 * State lives in the cluster, never in a replica: signing keys and accounts in Secrets, token revocations and
 * used authorization codes in a ConfigMap; everything else is in signed cookies and tokens.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';

import { registerAccessCode } from './access-code.js';
import { registerAccountRoutes } from './account-routes.js';
import { AccountStore } from './accounts.js';
import { AuthContext } from './context.js';
import { text } from './forms.js';
import { createGuards } from './guards.js';
import { loadKeyRing } from './keys.js';
import { KnownUsers } from './known-users.js';
import { OAuth2Server } from './oauth2.js';
import { registerOidc } from './oidc.js';
import { TokenStore } from './token-store.js';
import { ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_SECONDS } from './tokens.js';
import type { AuthHandle, AuthOptions } from './types.js';

export { AccountStore, validateRegistration } from './accounts.js';
export { KeyRing, keysSecretName, loadKeyRing, rotateKeys, secretEquals } from './keys.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { RateLimiter } from './rate-limit.js';
export type { TokenStoreLimits } from './token-store.js';
export type { AuthHandle, AuthOptions, Identity, IdentityKind, RateLimitOptions, RobotClient, SessionAccess } from './types.js';

export async function registerAuth(app: FastifyInstance, options: AuthOptions): Promise<AuthHandle> {
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody, { bodyLimit: 64 * 1024 });
  const keys = await loadKeyRing(options.client, options.portalNamespace, options.portalName);
  const ctx = new AuthContext(options, keys);
  const accounts = new AccountStore(options.client, options.portalNamespace, options.portalName);
  // robots' grants live as long as their refresh tokens; sessions' clients get access tokens only
  const lifetimeOf = (clientId: string) =>
    (options.robots ?? []).some((r) => r.clientId === clientId) ? REFRESH_TOKEN_SECONDS : ACCESS_TOKEN_SECONDS;
  const store = new TokenStore(
    options.client,
    options.portalNamespace,
    options.portalName,
    options.revocationCacheMs,
    options.tokenStoreLimits,
    lifetimeOf,
  );
  const oauth2 = new OAuth2Server(ctx, store);

  app.decorateRequest('identity', null);
  // every replica picks up a rotated key list within five minutes even if no token signed with it comes along
  const reloading = setInterval(() => void keys.reload().catch(() => undefined), 300_000);
  reloading.unref();
  app.addHook('onClose', async () => clearInterval(reloading));

  app.addHook('onRequest', async (request) => {
    await keys.ensureKeyOf(request.cookies[ctx.cookie.name]);
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && /^bearer /i.test(authorization)) await keys.ensureKeyOf(authorization.slice(7).trim());
    request.identity = ctx.state(request).session?.identity ?? null;
    // an API client's token counts over any cookie the same client may carry
    await oauth2.authenticateBearer(request);
  });
  app.addHook('onSend', async (request, reply) => {
    ctx.flush(request, reply);
  });

  const { verifyCsrf, requireUser, requireStaff, requireRobot } = createGuards(ctx);

  registerAccountRoutes(app, ctx, accounts, verifyCsrf);
  registerAccessCode(app, ctx, verifyCsrf);
  oauth2.register(app);
  registerOidc(app, ctx, new KnownUsers(options.client, options.portalNamespace, options.portalName));

  return {
    requireUser,
    requireStaff,
    requireRobot,
    verifyCsrf,
    csrfToken: (request) => ctx.csrfToken(request),
    rateLimit: (name, limits) => ctx.limiter(name, limits, (request) => text(request.body, 'username').slice(0, 64)),
    signInAnonymous: (request) => ctx.signInAnonymous(request),
    signIn: (request, _reply, identity) => ctx.signIn(request, identity),
    signOut: (request, reply) => ctx.signOut(request, reply),
    wantsHtml: (request) => ctx.wantsHtml(request),
    tokenOf: (request) => ctx.state(request).token,
  };
}
