/**
 * A learner's way into a session: Start (a POST form from the catalog) allocates one, or finds the one they have;
 * the session page then shows it being prepared phase by phase (Allocating, Creating, Starting, Ready) and sends
 * the learner into its dashboard. Without JavaScript the page refreshes itself; with it, it polls and moves on at
 * once. Once in use the page shows the time left, and lets the learner extend (when the rules allow) or end it.
 *
 * Also here: Educates' anonymous entry (`/workshops/environment/<env>/create/`) and the activation link of a
 * session requested through the REST API (`/workshops/session/<s>/activate/?token=`).
 */
import { createHash } from 'node:crypto';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { isDnsLabel } from '../../constructs/names.js';
import { html } from '../../content/html.js';
import { isLive, phaseOf, type WorkshopSession } from '../../runtime/index.js';
import { accessTo } from '../access.js';
import { secretEquals } from '../auth/index.js';
import type { PortalContext } from '../context.js';
import { errorPage, htmlPage } from '../errors.js';
import { isHttpUrl } from '../urls.js';
import { learnerLabel, timers, workshopView } from '../views.js';
import { csrfField, type Notice, type Page } from './layout.js';
import { addBrowserScripts } from './static.js';

type SessionParams = { Params: { session: string } };
type EnvParams = { Params: { env: string } };

/** The steps a learner sees, and which phases belong to each. */
export const STEPS: ReadonlyArray<{ label: string; phases: readonly string[] }> = [
  { label: 'Allocating a session', phases: ['Requested', 'Allocating'] },
  { label: 'Creating its namespace and objects', phases: ['Creating'] },
  { label: 'Starting its services', phases: ['Starting'] },
  { label: 'Ready', phases: ['Ready', 'Active', 'Idle'] },
];

const ENDED_NOTIFICATION: Record<string, string> = { Overdue: 'startup-timeout', StartupTimeout: 'startup-timeout' };

export function registerSessionPages(app: FastifyInstance, ctx: PortalContext): void {
  addBrowserScripts(['session.js']);
  const { requireUser, verifyCsrf } = ctx.auth;
  const limit = ctx.auth.rateLimit('session-request', ctx.sessionRequestLimit);

  app.get<EnvParams>('/workshops/environment/:env/', { preHandler: requireUser }, async (request, reply) => {
    const environment = ctx.runtime.state.environment(request.params.env);
    if (!environment) return reply.redirect('/workshops/catalog/?notification=workshop-invalid', 303);
    const mine = ctx.runtime.state.sessionsOf(environment.metadata.name).find((s) => isLive(s) && s.status?.user === request.identity!.id);
    if (mine) return reply.redirect(`/workshops/session/${mine.metadata.name}/`, 303);
    const w = workshopView(environment);
    const csrf = ctx.auth.csrfToken(request);
    const body = html`<h1>${w.title}</h1><div class="panel"><p>${w.description}</p>
<form method="post" action="/workshops/environment/${environment.metadata.name}/">${csrfField(csrf)}<button type="submit">Start workshop</button></form></div>`;
    return htmlPage(reply, 200, { title: w.title, identity: request.identity, body, csrfToken: csrf });
  });

  app.post<EnvParams>('/workshops/environment/:env/', { preHandler: [requireUser, verifyCsrf, limit] }, async (request, reply) =>
    allocateFor(ctx, request, reply, request.params.env, request.identity!.kind === 'anonymous'),
  );

  app.get<EnvParams>('/workshops/environment/:env/create/', { preHandler: limit }, async (request, reply) => {
    if (ctx.config.registration !== 'anonymous') {
      return errorPage(
        request,
        reply,
        404,
        'Page not found',
        'This portal does not start workshops without an account: sign in and choose one from the catalog.',
      );
    }
    if (!request.identity) request.identity = ctx.auth.signInAnonymous(request, reply);
    const indexUrl = String((request.query as Record<string, unknown>).index_url ?? '');
    return allocateFor(ctx, request, reply, request.params.env, request.identity.kind === 'anonymous', isHttpUrl(indexUrl) ? indexUrl : undefined);
  });

  app.get<SessionParams>('/workshops/session/:session/', { preHandler: requireUser }, async (request, reply) => {
    const found = await owned(ctx, request, reply);
    if (!found) return reply;
    const session = found;
    const phase = phaseOf(session);
    const enter = (request.query as Record<string, unknown>).enter === '1';
    if (!isLive(session)) return endedPage(request, reply, session);
    const dashboard = ctx.dashboardUrl(session);
    if (STEPS[3].phases.includes(phase) && enter && dashboard) {
      // the learner asked for the session and it is ready: into the dashboard, which signs them in with the portal
      return reply.redirect(dashboard, 303);
    }
    return htmlPage(reply, 200, sessionPage(ctx, request, session, enter));
  });

  app.get<SessionParams>('/workshops/session/:session/progress/', { preHandler: requireUser }, async (request, reply) => {
    const session = await sessionFor(ctx, request);
    if (!session) return reply.code(404).send({ error: 'not-found', message: `no session '${request.params.session.slice(0, 80)}'` });
    if (accessTo(request.identity, session) === 'denied')
      return reply.code(403).send({ error: 'forbidden', message: 'this session belongs to another learner' });
    return progress(ctx, session);
  });

  app.post<SessionParams>('/workshops/session/:session/extend/', { preHandler: [requireUser, verifyCsrf] }, async (request, reply) => {
    const session = await owned(ctx, request, reply);
    if (!session) return reply;
    const result = await ctx.runtime.extend(session.metadata.name);
    return reply.redirect(`/workshops/session/${session.metadata.name}/?notice=${'session' in result ? 'extended' : 'not-extended'}`, 303);
  });

  app.get<SessionParams>('/workshops/session/:session/delete/', { preHandler: requireUser }, async (request, reply) => {
    const session = await owned(ctx, request, reply);
    if (!session) return reply;
    const notification = notificationOf(request);
    const environment = ctx.runtime.state.environment(session.spec.environment);
    const title = environment ? workshopView(environment).title : session.spec.workshop;
    const csrf = ctx.auth.csrfToken(request);
    const body = html`<h1>End this session?</h1><div class="panel"><p>Your session of ${title} and everything in it will be deleted.</p>
<form method="post" action="/workshops/session/${session.metadata.name}/delete/">${csrfField(csrf)}
<input type="hidden" name="notification" value="${notification}">
<div class="row"><button type="submit" class="danger">End session</button><a class="button secondary" href="/workshops/session/${session.metadata.name}/">Keep it</a></div></form></div>`;
    return htmlPage(reply, 200, { title: 'End session', identity: request.identity, body, csrfToken: csrf });
  });

  app.post<SessionParams>('/workshops/session/:session/delete/', { preHandler: [requireUser, verifyCsrf] }, async (request, reply) => {
    const session = await owned(ctx, request, reply);
    if (!session) return reply;
    const access = accessTo(request.identity, session);
    if (isLive(session)) await ctx.runtime.terminate(session.metadata.name, access === 'owner' ? 'TerminatedByUser' : 'TerminatedByAdmin');
    return reply.redirect(returnUrl(session, notificationOf(request) || 'session-deleted', ctx.indexUrl), 303);
  });

  app.get<SessionParams>('/workshops/session/:session/activate/', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const token = typeof query.token === 'string' ? query.token : '';
    const indexUrl = typeof query.index_url === 'string' && isHttpUrl(query.index_url) ? query.index_url : undefined;
    const session = ctx.runtime.session(request.params.session);
    const hash = session?.status?.activationTokenHash;
    if (!session || !isLive(session) || !hash || !token || !secretEquals(hash, createHash('sha256').update(token).digest('hex'))) {
      // Back only to the site the robot registered with the session: an index_url taken from the link alone would
      // make the portal an open redirect for anyone who crafts one.
      const registered = session?.status?.request?.indexUrl;
      if (indexUrl && registered && new URL(registered).origin === new URL(indexUrl).origin) {
        return reply.redirect(withNotification(indexUrl, 'session-invalid'), 303);
      }
      return errorPage(
        request,
        reply,
        403,
        'This link does not open a session',
        'The activation link is wrong, was used already, or its session has ended. Ask for a new one where you got it.',
      );
    }
    const status = session.status!;
    const name = [status.request?.firstName, status.request?.lastName].filter(Boolean).join(' ');
    ctx.auth.signIn(request, reply, {
      id: status.user!,
      username: status.user!,
      kind: 'anonymous',
      ...(name ? { name } : {}),
      ...(status.request?.email ? { email: status.request.email } : {}),
    });
    await ctx.runtime.activate(session.metadata.name);
    return reply.redirect(`/workshops/session/${session.metadata.name}/?enter=1`, 303);
  });
}

/** Allocates (or finds) the learner's session and sends the browser to its page; refusals go to the catalog. */
async function allocateFor(ctx: PortalContext, request: FastifyRequest, reply: FastifyReply, env: string, anonymous: boolean, indexUrl?: string) {
  const result = await ctx.runtime.allocate({
    environment: env,
    user: request.identity!.id,
    anonymous,
    ...(indexUrl ? { request: { indexUrl } } : {}),
  });
  if ('session' in result) return reply.redirect(`/workshops/session/${result.session.metadata.name}/?enter=1`, 303);
  if (result.refused === 'unknown-environment') return reply.redirect('/workshops/catalog/?notification=workshop-invalid', 303);
  // a refusal, too, is answered with a redirect: the address bar then holds a page that can be reloaded, not the POST
  if (result.refused === 'user-limit') return reply.redirect('/workshops/catalog/?notification=session-limit', 303);
  return reply.redirect('/workshops/catalog/?notification=session-unavailable', 303);
}

/**
 * The session a request names, for the signed-in user: from the cache, or from the API server when the cache does
 * not know it or does not yet show this user as its learner — another replica may have allocated it a moment ago
 * (a Start served by one replica, the redirected page by another).
 */
async function sessionFor(ctx: PortalContext, request: FastifyRequest<SessionParams>): Promise<WorkshopSession | undefined> {
  const cached = ctx.runtime.session(request.params.session);
  // a session that already has a learner keeps that learner: only an unknown or unallocated one can be stale here,
  // so a learner asking for someone else's session costs the API server nothing
  if (cached && (cached.status?.user || accessTo(request.identity, cached) !== 'denied')) return cached;
  // a session's name is its namespace's: anything else cannot be one, and costs no request
  if (!request.identity || !isDnsLabel(request.params.session)) return cached;
  return (await ctx.runtime.freshSession(request.params.session)) ?? cached;
}

/** The session if the signed-in user may use it; otherwise the refusal page has been sent. */
async function owned(ctx: PortalContext, request: FastifyRequest<SessionParams>, reply: FastifyReply): Promise<WorkshopSession | undefined> {
  const session = await sessionFor(ctx, request);
  if (!session) {
    void reply.redirect('/workshops/catalog/?notification=session-invalid', 303);
    return undefined;
  }
  if (accessTo(request.identity, session) === 'denied') {
    void errorPage(request, reply, 403, 'Not your session', 'This workshop session belongs to someone else. Start your own from the catalog.');
    return undefined;
  }
  return session;
}

/** What the page's script polls: the phase, the steps done, and where to go once ready. */
export function progress(ctx: PortalContext, session: WorkshopSession) {
  const phase = phaseOf(session);
  const t = timers(ctx.runtime, session);
  return {
    phase,
    step: currentStep(session),
    ready: STEPS[3].phases.includes(phase),
    ended: !isLive(session),
    url: ctx.dashboardUrl(session) ?? null,
    expires: t.expires,
    countdown: t.countdown ?? null,
    extendable: t.extendable,
  };
}

function currentStep(session: WorkshopSession): number {
  const phase = phaseOf(session);
  const index = STEPS.findIndex((s) => s.phases.includes(phase));
  return index < 0 ? 0 : index;
}

function sessionPage(ctx: PortalContext, request: FastifyRequest, session: WorkshopSession, enter: boolean): Page {
  const environment = ctx.runtime.state.environment(session.spec.environment);
  const title = environment ? workshopView(environment).title : session.spec.workshop;
  const step = currentStep(session);
  const ready = step === 3;
  const name = session.metadata.name;
  const t = timers(ctx.runtime, session);
  const csrf = ctx.auth.csrfToken(request);
  const steps = STEPS.map((s, i) => {
    const state = i < step || (ready && i === 3) ? 'done' : i === step ? 'current' : 'todo';
    return html`<li class="step ${state}" data-step="${i}"${state === 'current' && html` aria-current="step"`}>${s.label}</li>`;
  });
  const owner =
    session.status?.user && session.status.user !== request.identity?.id
      ? html`<p class="muted">Learner: <span title="${session.status.user}">${learnerLabel(session.status.user, session.status.request)}</span></p>`
      : undefined;
  const countdown = t.expires
    ? html`<p>Time left: <span class="countdown${t.expiring && ' expiring'}" data-expires="${t.expires}">${clock(t.countdown ?? 0)}</span>
 <span class="muted">(ends at <time datetime="${t.expires}">${t.expires.slice(11, 16)} UTC</time>)</span></p>`
    : undefined;
  const controls = ready
    ? html`<div class="row">
<a class="button" id="enter" href="${ctx.dashboardUrl(session) ?? '#'}">Open workshop</a>
${t.expires && html`<form class="inline" method="post" action="/workshops/session/${name}/extend/">${csrfField(csrf)}<button type="submit" class="secondary"${!t.extendable && html` disabled`}>Extend session</button></form>`}
<form class="inline" method="post" action="/workshops/session/${name}/delete/">${csrfField(csrf)}<button type="submit" class="danger">End session</button></form>
</div>`
    : html`<p class="muted">This takes up to a minute. The page updates by itself.</p>
<form method="post" action="/workshops/session/${name}/delete/">${csrfField(csrf)}<button type="submit" class="secondary">Cancel</button></form>`;
  const body = html`<h1>${title}</h1>
<section class="panel" id="session" aria-labelledby="session-status" data-progress="/workshops/session/${name}/progress/" data-enter="${enter ? '1' : '0'}">
<h2 id="session-status">${ready ? 'Your session is ready' : 'Preparing your session'}</h2>
${owner}<ol class="steps" aria-live="polite">${steps}</ol>
${countdown}${controls}
</section>`;
  const notice = noticeFor(request, t.extendable);
  return {
    title: ready ? title : `Preparing ${title}`,
    identity: request.identity,
    body,
    csrfToken: csrf,
    notice,
    // without JavaScript the waiting page reloads itself; the script polls instead and moves on when ready
    head: ready ? undefined : html`<noscript><meta http-equiv="refresh" content="2"></noscript>`,
    scripts: ['/static/session.js'],
  };
}

function endedPage(request: FastifyRequest, reply: FastifyReply, session: WorkshopSession) {
  const reason = session.status?.reason ?? '';
  const timeout = ENDED_NOTIFICATION[reason] === 'startup-timeout';
  const title = timeout ? 'Your session did not start in time' : 'This session has ended';
  const why: Record<string, string> = {
    Expired: 'Its time was up.',
    Orphaned: 'It was not used for too long.',
    Overdue: 'It was not opened in time after it was ready.',
    StartupTimeout: 'It could not be started in time.',
    NotActivated: 'Its activation link was not used in time.',
    TerminatedByUser: 'You ended it.',
    TerminatedByAdmin: 'An administrator ended it.',
    Failed: 'It failed.',
  };
  const body = html`<h1>${title}</h1><div class="panel"><p>${why[reason] ?? 'It is no longer available.'}</p>
<p><a class="button" href="/workshops/catalog/">Back to the workshops</a></p></div>`;
  return htmlPage(reply, 410, {
    title,
    identity: request.identity,
    body,
    notice: timeout ? { kind: 'error', text: 'Start the workshop again from the catalog.' } : undefined,
  });
}

function noticeFor(request: FastifyRequest, extendable: boolean): Notice | undefined {
  const notice = (request.query as Record<string, unknown>).notice;
  if (notice === 'extended') return { kind: 'success', text: 'Your session was extended.' };
  if (notice === 'not-extended') {
    return {
      kind: 'warning',
      text: extendable
        ? 'The session could not be extended; try again.'
        : 'The session cannot be extended now: only in its last minutes, and never past its deadline.',
    };
  }
  return undefined;
}

/** Where the learner goes when the session ends: the REST client's index URL, else the portal's, else the catalog. */
function returnUrl(session: WorkshopSession, notification: string, portalIndexUrl?: string): string {
  const index = session.status?.request?.indexUrl ?? portalIndexUrl;
  return index && isHttpUrl(index) ? withNotification(index, notification) : `/workshops/catalog/?notification=${notification}`;
}

function notificationOf(request: FastifyRequest): string {
  const source = { ...(request.query as Record<string, unknown>), ...((request.body ?? {}) as Record<string, unknown>) };
  const value = String(source.notification ?? '');
  return ['session-deleted', 'startup-timeout'].includes(value) ? value : '';
}

function withNotification(url: string, notification: string): string {
  const u = new URL(url);
  u.searchParams.set('notification', notification);
  return u.toString();
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
