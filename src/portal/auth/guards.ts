/**
 * The preHandlers the portal's routes put in front of what they protect: who must be signed in, as what, and that
 * a form came from a page the portal served (CSRF).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AuthContext } from './context.js';
import { checkCsrfToken } from './csrf.js';
import { text } from './forms.js';

export function createGuards(ctx: AuthContext) {
  /** 401 for API clients, saying why a token was refused when one was sent. */
  const unauthorized = (request: FastifyRequest, reply: FastifyReply, message: string) => {
    const why = ctx.state(request).tokenError;
    reply.header('WWW-Authenticate', why ? 'Bearer error="invalid_token"' : 'Bearer');
    return reply
      .code(401)
      .header('Cache-Control', 'no-store')
      .send({ error: 'unauthorized', message: why ?? message });
  };

  const verifyCsrf = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = text(request.body, '_csrf') || String(request.headers['x-csrf-token'] ?? '');
    if (checkCsrfToken(ctx.keys, ctx.state(request).session?.sid, token)) return;
    return ctx.refuse(
      request,
      reply,
      403,
      'csrf_failed',
      'The form has expired',
      'The form was sent without a valid CSRF token (the page was open too long, or you signed in or out meanwhile). Go back, reload the page and submit it again.',
    );
  };

  const requireUser = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.identity) return;
    if (ctx.wantsHtml(request)) {
      // a guest portal never asks anyone to sign in: the first visit makes a guest
      if (ctx.registration === 'anonymous') {
        ctx.signInAnonymous(request);
        return;
      }
      // only a GET can be repeated after signing in; a form sent after the session ended starts over from sign-in
      if (['GET', 'HEAD'].includes(request.method)) return reply.redirect(ctx.withNext('/accounts/login/', request.url), 302);
      return reply.redirect('/accounts/login/', 303);
    }
    return unauthorized(request, reply, 'sign in, or send an OAuth2 access token in the Authorization: Bearer header');
  };

  // Never through requireUser: on a guest portal that would sign the visitor in as a guest, and the caller's page
  // would then be rendered for whoever asked (every session, learner and timer of the admin page).
  const requireStaff = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.identity) {
      if (!ctx.wantsHtml(request))
        return unauthorized(request, reply, 'sign in as the admin, or send an OAuth2 access token in the Authorization: Bearer header');
      if (['GET', 'HEAD'].includes(request.method)) return reply.redirect(ctx.withNext('/accounts/login/', request.url), 302);
      return reply.redirect('/accounts/login/', 303);
    }
    if (request.identity.kind !== 'admin') {
      return ctx.refuse(request, reply, 403, 'forbidden', 'Administrators only', "This page is for the portal's administrators.", [
        { href: ctx.withNext('/accounts/login/', request.method === 'GET' ? request.url : '/admin/'), text: 'Sign in as an administrator' },
      ]);
    }
  };

  const requireRobot = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.identity) return unauthorized(request, reply, "send a robot's OAuth2 access token in the Authorization: Bearer header");
    if (request.identity.kind !== 'robot') {
      return reply
        .code(403)
        .header('Cache-Control', 'no-store')
        .send({ error: 'forbidden', message: "only the portal's robot clients may use this endpoint" });
    }
  };

  return { verifyCsrf, requireUser, requireStaff, requireRobot };
}
