/**
 * The event access code (Educates' portal password): until a visitor enters it, nothing behind it answers, whatever
 * the request asks for: pages send browsers to /workshops/access/, anything else gets a 403. Entering it sets a
 * flag in the visitor's cookie session, so any replica lets them through, and it survives signing in and out.
 * API clients with tokens are not gated: the code keeps strangers out of an event, while tokens are already proof
 * of who is asking; neither is a session dashboard authenticating with its own credentials.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

import type { AuthContext } from './context.js';
import { text } from './forms.js';
import { secretEquals } from './keys.js';
import { accessCodePage } from './pages.js';

/** Paths a visitor needs before having the code: the form itself, the admin's sign-in, OAuth2 clients, assets, probes. */
const OPEN_PREFIXES = [
  '/workshops/access/',
  '/accounts/login/',
  '/accounts/logout/',
  '/accounts/oidc/',
  '/oauth2/token/',
  '/oauth2/revoke-token/',
  '/static/',
  '/healthz',
  '/readyz',
  '/favicon.ico',
  '/openapi.json',
];

/** A session dashboard's own calls (HTTP Basic `<session>:<CONFIG_PASSWORD>`, checked by their handlers). */
const DASHBOARD_CALL = /^\/workshops\/session\/[^/]+\/(activity|schedule|extend|event)\/$/;

export function registerAccessCode(app: FastifyInstance, ctx: AuthContext, verifyCsrf: preHandlerAsyncHookHandler): void {
  const code = ctx.options.accessCode;
  if (!code) return;
  // per browser (its cookie session) and, with more room, per address: the whole room enters the code at once
  const limit = ctx.limiter(
    'access code',
    ctx.options.rateLimits?.accessCode ?? { max: 10, windowSeconds: 60 },
    (request) => ctx.state(request).session?.sid ?? '',
  );

  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (OPEN_PREFIXES.some((prefix) => path.startsWith(prefix))) return;
    if (ctx.state(request).session?.access || request.identity?.kind === 'admin' || request.identity?.kind === 'robot') return;
    if (ctx.state(request).token) return;
    if (/^basic /i.test(String(request.headers.authorization ?? '')) && DASHBOARD_CALL.test(path)) return;
    if (ctx.wantsHtml(request)) {
      if (['GET', 'HEAD'].includes(request.method)) return reply.redirect(ctx.withNext('/workshops/access/', request.url), 302);
      return reply.redirect('/workshops/access/', 303);
    }
    return reply.code(403).header('Cache-Control', 'no-store').send({
      error: 'access_code_required',
      message: 'this event needs its access code: enter it at /workshops/access/ (the cookie it sets lets you in), or send an OAuth2 access token',
    });
  });

  const page = (request: FastifyRequest, reply: FastifyReply, status: number, next: string, error?: string) =>
    ctx.html(
      reply,
      status,
      accessCodePage({ identity: request.identity, csrfToken: ctx.csrfToken(request), next: next === '/' ? undefined : next, error }),
    );

  const enter = (request: FastifyRequest, reply: FastifyReply, given: string, next: string) => {
    if (!given) return page(request, reply, 400, next, 'Access code is required.');
    if (given.length > 256 || !secretEquals(given, code)) return page(request, reply, 401, next, 'The access code is not right.');
    ctx.update(request, { access: true });
    return reply.redirect(next, 303);
  };

  // Educates also accepts the code in the link (?password=&redirect_url=), for events that hand out one URL.
  app.get(
    '/workshops/access/',
    { preHandler: async (request, reply) => (text(request.query, 'password') ? limit(request, reply) : undefined) },
    async (request, reply) => {
      const query = request.query;
      const next = ctx.safeNext(text(query, 'next') || text(query, 'redirect_url'));
      if (text(query, 'password')) return enter(request, reply, text(query, 'password'), next);
      if (ctx.state(request).session?.access) return reply.redirect(next, 302);
      return page(request, reply, 200, next);
    },
  );

  app.post('/workshops/access/', { preHandler: [verifyCsrf, limit] }, async (request, reply) =>
    enter(request, reply, text(request.body, 'code'), ctx.safeNext(text(request.body, 'next'))),
  );
}
