/**
 * Educates' per-session API (`/workshops/session/<s>/…`): schedule, extend, terminate, config, authorize, event,
 * plus the dashboard's activity report. Its learner, the staff and robots may use it, with a cookie or a Bearer
 * token; the session's dashboard may also authenticate with HTTP Basic `<session>:<CONFIG_PASSWORD>`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { phaseOf, type WorkshopSession } from '../../runtime/index.js';
import { accessTo, basicCredentials, type SessionAccess } from '../access.js';
import type { PortalContext } from '../context.js';
import { apiError } from '../errors.js';
import { scheduleView, timers } from '../views.js';

type Params = { Params: { session: string } };

export function registerSessionApi(app: FastifyInstance, ctx: PortalContext): void {
  /** The session and the caller's access to it, or the reply already sent (401, 403, 404). */
  const authorized = async (
    request: FastifyRequest<Params>,
    reply: FastifyReply,
    allowDashboard = false,
    acting = false,
  ): Promise<{ session: WorkshopSession; access: SessionAccess | 'dashboard' } | undefined> => {
    const name = request.params.session;
    const basic = allowDashboard ? basicCredentials(request) : undefined;
    if (basic) {
      if (basic.username === name && (await ctx.checkSessionPassword(name, basic.password)))
        return { session: ctx.runtime.session(name)!, access: 'dashboard' };
      reply.header('WWW-Authenticate', `Basic realm="session ${name.slice(0, 63)}"`);
      apiError(reply, 401, 'unauthorized', 'the session name or its config password is wrong');
      return undefined;
    }
    if (!request.identity) {
      reply.header('WWW-Authenticate', allowDashboard ? 'Bearer, Basic' : 'Bearer');
      apiError(reply, 401, 'unauthorized', 'sign in, or send an OAuth2 access token in the Authorization: Bearer header');
      return undefined;
    }
    // A signed-in browser carries its cookie when a link on another site is followed (SameSite=Lax), and these
    // endpoints are GETs as in Educates: so a page elsewhere could end or extend a learner's session. Cookie
    // callers must come from this site; API clients send a Bearer token and are not affected.
    if (!ctx.auth.tokenOf(request) && request.headers['sec-fetch-site'] === 'cross-site') {
      apiError(reply, 403, 'forbidden', 'a page of another site cannot act on a session: use the portal, or an OAuth2 access token');
      return undefined;
    }
    // Sec-Fetch-Site does not stop a page of the same site (every learner's app is one: <session>-x.<domain>), and
    // an <img> sends the cookie: so the GETs that act (Educates' shape) are for token holders only. Browsers use the
    // portal's own buttons, POST forms with a CSRF token (/workshops/session/<s>/extend/ and …/delete/).
    if (acting && !ctx.auth.tokenOf(request)) {
      apiError(
        reply,
        403,
        'forbidden',
        `GET ${request.url.split('?')[0]} acts on the session, so it needs an OAuth2 access token in the Authorization: Bearer header; in a browser use the session page's buttons`,
      );
      return undefined;
    }
    const session = ctx.runtime.session(name);
    if (!session) {
      apiError(reply, 404, 'not-found', `no session '${name.slice(0, 80)}'`);
      return undefined;
    }
    const access = accessTo(request.identity, session);
    if (access === 'denied') {
      apiError(reply, 403, 'forbidden', 'this session belongs to another learner');
      return undefined;
    }
    return { session, access };
  };

  app.get<Params>('/workshops/session/:session/schedule/', async (request, reply) => {
    const found = await authorized(request, reply, true);
    return found && scheduleView(ctx.runtime, found.session);
  });

  app.get<Params>('/workshops/session/:session/extend/', async (request, reply) => {
    const found = await authorized(request, reply, true, true);
    if (!found) return;
    const result = await ctx.runtime.extend(found.session.metadata.name);
    const session = 'session' in result ? result.session : (ctx.runtime.session(found.session.metadata.name) ?? found.session);
    return { ...scheduleView(ctx.runtime, session), extended: 'session' in result, ...('refused' in result ? { message: result.refused } : {}) };
  });

  app.get<Params>('/workshops/session/:session/terminate/', async (request, reply) => {
    const found = await authorized(request, reply, false, true);
    if (!found) return;
    if (!found.session.status?.user)
      return apiError(reply, 400, 'bad-request', `session '${found.session.metadata.name}' is not allocated to a learner`);
    const ended = await ctx.runtime.terminate(found.session.metadata.name, found.access === 'owner' ? 'TerminatedByUser' : 'TerminatedByAdmin');
    const t = timers(ctx.runtime, ended ?? found.session);
    return { started: t.started, expires: new Date().toISOString() };
  });

  app.get<Params>('/workshops/session/:session/config/', async (request, reply) => {
    const found = await authorized(request, reply);
    if (!found) return;
    // CONFIG_PASSWORD is the dashboard's credential at the portal (its OAuth2 client secret): in a learner's hands
    // it signs the dashboard's requests, so the learner is never given it, not even for their own session
    if (request.identity!.kind !== 'admin' && request.identity!.kind !== 'robot') {
      return apiError(reply, 403, 'forbidden', "the session's config password is for the portal's staff and robots only");
    }
    const secrets = await ctx.runtime.secretsFor(found.session.metadata.name);
    if (!secrets) return apiError(reply, 404, 'not-found', `no session '${found.session.metadata.name}'`);
    reply.header('Cache-Control', 'no-store');
    return { url: sessionUrl(ctx, found.session), password: secrets.config_password };
  });

  app.get<Params>('/workshops/session/:session/authorize/', async (request, reply) => {
    const found = await authorized(request, reply);
    if (!found) return;
    return { owner: found.session.status?.user ?? null, user: request.identity!.id, staff: request.identity!.kind === 'admin' };
  });

  app.post<Params>('/workshops/session/:session/event/', async (request, reply) => {
    const found = await authorized(request, reply, true);
    if (!found) return;
    const event = (request.body as { event?: { name?: unknown; data?: unknown } } | undefined)?.event;
    if (!event || typeof event.name !== 'string' || !/^[A-Za-z][A-Za-z0-9/_.:-]{0,99}$/.test(event.name)) {
      return apiError(
        reply,
        400,
        'bad-request',
        `the body must be {"event": {"name": "<Group/Name>", "data": {…}}} with a name of letters, digits and '/'`,
      );
    }
    if (event.data !== undefined && (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data))) {
      return apiError(reply, 400, 'bad-request', `'event.data' must be a JSON object`);
    }
    ctx.analytics.emitForSession(event.name, found.session, (event.data ?? {}) as Record<string, unknown>);
    return {};
  });

  app.post<Params>('/workshops/session/:session/activity/', async (request, reply) => {
    if (!basicCredentials(request)) {
      reply.header('WWW-Authenticate', `Basic realm="session"`);
      return apiError(reply, 401, 'unauthorized', 'send HTTP Basic <session>:<CONFIG_PASSWORD>');
    }
    const found = await authorized(request, reply, true);
    if (!found) return;
    const session = await ctx.runtime.reportActivity(found.session.metadata.name);
    if (!session) return apiError(reply, 404, 'not-found', `no session '${found.session.metadata.name}'`);
    return { phase: phaseOf(session), ...(session.status?.expiresAt ? { expires: session.status.expiresAt } : {}) };
  });
}

/** The session's dashboard URL: its status.url once Ready (or the portal's devSessionUrl), else where it will be. */
export function sessionUrl(ctx: PortalContext, session: WorkshopSession): string {
  const url = ctx.dashboardUrl(session);
  if (url) return url;
  const portal = ctx.runtime.state.environment(session.spec.environment)?.spec.portal;
  return portal ? `${portal.ingressProtocol}://${session.metadata.name}.${portal.ingressDomain}` : '';
}
