/**
 * The event access code (Educates' portal password): until a visitor enters it, pages send them to
 * /workshops/access/. Entering it sets a flag in their cookie session, so any replica lets them through, and it
 * survives signing in and out. API clients with tokens are not gated: the code keeps strangers off the pages of
 * an event, while tokens are already proof of who is asking.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { text } from './forms.js';
import { secretEquals } from './keys.js';
import type { AuthContext } from './context.js';
import { accessCodePage } from './pages.js';

/** Paths a visitor needs before having the code: the form itself, the admin's sign-in, assets and probes. */
const OPEN_PREFIXES = ['/workshops/access/', '/accounts/login/', '/accounts/logout/', '/accounts/oidc/', '/oauth2/token/',
  '/oauth2/revoke-token/', '/static/', '/healthz', '/readyz', '/metrics', '/favicon.ico'];

export function registerAccessCode(app: FastifyInstance, ctx: AuthContext, verifyCsrf: preHandlerAsyncHookHandler): void {
  const code = ctx.options.accessCode;
  if (!code) return;
  // per browser (its cookie session) and, with more room, per address: the whole room enters the code at once
  const limit = ctx.limiter('access code', ctx.options.rateLimits?.accessCode ?? { max: 10, windowSeconds: 60 }, (request) => ctx.state(request).session?.sid ?? '');

  app.addHook('preHandler', async (request, reply) => {
    if (!['GET', 'HEAD'].includes(request.method) || !ctx.wantsHtml(request)) return;
    if (OPEN_PREFIXES.some((prefix) => request.url.startsWith(prefix))) return;
    if (ctx.state(request).session?.access || request.identity?.kind === 'admin' || request.identity?.kind === 'robot') return;
    return reply.redirect(ctx.withNext('/workshops/access/', request.url), 302);
  });

  const page = (request: FastifyRequest, reply: FastifyReply, status: number, next: string, error?: string) =>
    ctx.html(reply, status, accessCodePage({ identity: request.identity, csrfToken: ctx.csrfToken(request), next: next === '/' ? undefined : next, error }));

  const enter = (request: FastifyRequest, reply: FastifyReply, given: string, next: string) => {
    if (!given) return page(request, reply, 400, next, 'Access code is required.');
    if (given.length > 256 || !secretEquals(given, code)) return page(request, reply, 401, next, 'The access code is not right.');
    ctx.update(request, { access: true });
    return reply.redirect(next, 303);
  };

  // Educates also accepts the code in the link (?password=&redirect_url=), for events that hand out one URL.
  app.get('/workshops/access/', { preHandler: async (request, reply) => (text(request.query, 'password') ? limit(request, reply) : undefined) },
    async (request, reply) => {
      const query = request.query;
      const next = ctx.safeNext(text(query, 'next') || text(query, 'redirect_url'));
      if (text(query, 'password')) return enter(request, reply, text(query, 'password'), next);
      if (ctx.state(request).session?.access) return reply.redirect(next, 302);
      return page(request, reply, 200, next);
    });

  app.post('/workshops/access/', { preHandler: [verifyCsrf, limit] }, async (request, reply) =>
    enter(request, reply, text(request.body, 'code'), ctx.safeNext(text(request.body, 'next'))));
}
