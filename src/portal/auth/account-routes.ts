/**
 * Signing in and out, and one-step registration (/accounts/login/, /accounts/logout/, /accounts/register/). The
 * admin signs in with the password the portal was deployed with; learners with their own accounts, unless
 * registration is disabled. Robots never sign in here: they use OAuth2 tokens.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

import { type AccountStore, type FieldError, PASSWORD_MAX, validateRegistration } from './accounts.js';
import type { AuthContext } from './context.js';
import { text } from './forms.js';
import { secretEquals } from './keys.js';
import { loginPage, logoutPage, registerPage } from './pages.js';
import { decoyHash, verifyPassword } from './passwords.js';
import type { Identity } from './types.js';

type Form = Record<string, unknown>;

export function registerAccountRoutes(app: FastifyInstance, ctx: AuthContext, accounts: AccountStore, verifyCsrf: preHandlerAsyncHookHandler): void {
  const { options } = ctx;
  const reserved = [options.admin?.username, ...(options.robots ?? []).map((r) => r.username)].filter((u): u is string => !!u);
  const signInLimit = ctx.limiter('sign-in', options.rateLimits?.signIn ?? { max: 10, windowSeconds: 60 }, (request) =>
    text(request.body, 'username').slice(0, 64),
  );
  // keyed by the user name asked for, so a room of learners behind one address can all register at once
  const registerLimit = ctx.limiter('registration', options.rateLimits?.registration ?? { max: 5, windowSeconds: 60 }, (request) =>
    text(request.body, 'username').slice(0, 64),
  );
  const canRegister = ctx.registration === 'one-step';
  const login = (request: FastifyRequest, extra: { next?: string; username?: string; error?: string; notice?: string } = {}) =>
    loginPage({
      identity: request.identity,
      csrfToken: ctx.csrfToken(request),
      canRegister,
      oidcName: options.oidc && canRegister ? (options.oidc.name ?? 'single sign-on') : undefined,
      ...extra,
    });

  app.get('/accounts/login/', async (request, reply) => {
    const next = ctx.safeNext((request.query as Form).next);
    return ctx.html(reply, 200, login(request, { next: next === '/' ? undefined : next }));
  });

  app.post('/accounts/login/', { preHandler: [verifyCsrf, signInLimit] }, async (request, reply) => {
    const username = text(request.body, 'username').trim();
    const password = text(request.body, 'password');
    const next = ctx.safeNext(text(request.body, 'next'));
    const identity = await checkPassword(username, password);
    if (!identity) {
      const error =
        ctx.registration === 'disabled' && username !== options.admin?.username
          ? 'Only the administrator can sign in to this portal.'
          : 'The username or password is not right.';
      return ctx.html(reply, 401, login(request, { next, username: username.slice(0, 64), error }));
    }
    ctx.signIn(request, identity);
    return reply.redirect(next, 303);
  });

  async function checkPassword(username: string, password: string): Promise<Identity | undefined> {
    if (!username || !password || password.length > PASSWORD_MAX) return undefined;
    if (options.admin && username === options.admin.username) {
      return secretEquals(password, options.admin.password) ? { id: username, username, kind: 'admin' } : undefined;
    }
    if (ctx.registration === 'disabled' || reserved.includes(username)) return undefined;
    // user names are registered in lower case; a learner typing "Ada" means "ada"
    const account = await accounts.find(username.toLowerCase());
    // without an account the decoy is hashed anyway, so the answer takes as long as for a wrong password
    const ok = await verifyPassword(password, account?.passwordHash ?? (await decoyHash()));
    return account && ok ? { id: account.username, username: account.username, email: account.email || undefined, kind: 'registered' } : undefined;
  }

  app.get('/accounts/register/', async (request, reply) => {
    if (!canRegister) return closed(request, reply);
    const next = ctx.safeNext((request.query as Form).next);
    return ctx.html(
      reply,
      200,
      registerPage({ identity: request.identity, csrfToken: ctx.csrfToken(request), next: next === '/' ? undefined : next }),
    );
  });

  app.post('/accounts/register/', { preHandler: [verifyCsrf, registerLimit] }, async (request, reply) => {
    if (!canRegister) return closed(request, reply);
    const form = request.body as Form;
    const next = ctx.safeNext(text(form, 'next'));
    const username = text(form, 'username').trim();
    const email = text(form, 'email').trim();
    const again = (status: number, errors: FieldError[]) =>
      ctx.html(
        reply,
        status,
        registerPage({
          identity: request.identity,
          csrfToken: ctx.csrfToken(request),
          next,
          errors,
          values: { username: username.slice(0, 64), email: email.slice(0, 254) },
        }),
      );
    const errors = validateRegistration({ username, email, password: text(form, 'password'), confirm: text(form, 'confirm') }, reserved);
    if (errors.length) return again(400, errors);
    const account = await accounts.create(username, email, text(form, 'password'));
    if (account === 'taken') return again(409, [{ field: 'username', message: `Username "${username}" is taken; choose another.` }]);
    ctx.signIn(request, { id: account.username, username: account.username, email: account.email, kind: 'registered' });
    return reply.redirect(next, 303);
  });

  function closed(request: FastifyRequest, reply: FastifyReply) {
    return ctx.refuse(
      request,
      reply,
      404,
      'not_found',
      'Registration is closed',
      ctx.registration === 'anonymous' ? 'This portal needs no account: open the workshops directly.' : 'This portal does not take registrations.',
    );
  }

  // Educates' link for a guest account: on guest portals it makes one (if the browser has none) and goes on
  app.get('/accounts/create/', async (request, reply) => {
    if (ctx.registration !== 'anonymous') return closed(request, reply);
    ctx.signInAnonymous(request);
    return reply.redirect(ctx.safeNext((request.query as Form).next), 303);
  });

  app.get('/accounts/logout/', async (request, reply) =>
    ctx.html(reply, 200, logoutPage({ identity: request.identity, csrfToken: ctx.csrfToken(request) })),
  );

  app.post('/accounts/logout/', { preHandler: verifyCsrf }, async (request, reply) => {
    ctx.signOut(request, reply);
    return reply.redirect('/', 303);
  });
}
