/**
 * The staff's pages (`/admin/`): every environment with its pool counts and state, every session with its phase,
 * learner, age and timers, and buttons (POST forms with CSRF) to extend or end a session. Staff only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WorkshopSession, isLive, phaseOf } from '../../runtime/index.js';
import type { PortalContext } from '../context.js';
import { htmlPage } from '../errors.js';
import { environmentState, poolCounts, sortedEnvironments, timers } from '../views.js';
import { csrfField, escapeHtml, renderPage } from './layout.js';

type SessionParams = { Params: { session: string } };

export function registerAdminPages(app: FastifyInstance, ctx: PortalContext): void {
  const { requireStaff, verifyCsrf } = ctx.auth;

  app.get('/admin/', { preHandler: requireStaff }, async (request, reply) => {
    const notice = String((request.query as Record<string, unknown>).notice ?? '');
    const notices: Record<string, { kind: 'success' | 'warning'; text: string }> = {
      extended: { kind: 'success', text: 'The session was extended.' },
      'not-extended': { kind: 'warning', text: 'The session cannot be extended now (only in its last minutes, never past its deadline).' },
      terminated: { kind: 'success', text: 'The session is ending.' },
      gone: { kind: 'warning', text: 'That session no longer exists.' },
    };
    return htmlPage(reply, 200, renderPage({ title: 'Admin', identity: request.identity, body: adminBody(ctx, request), csrfToken: ctx.auth.csrfToken(request), notice: notices[notice] }));
  });

  const act = (action: 'extend' | 'terminate') => async (request: FastifyRequest<SessionParams>, reply: FastifyReply) => {
    const name = request.params.session;
    if (!ctx.runtime.session(name)) return reply.redirect('/admin/?notice=gone', 303);
    if (action === 'extend') {
      const result = await ctx.runtime.extend(name);
      return reply.redirect(`/admin/?notice=${'session' in result ? 'extended' : 'not-extended'}`, 303);
    }
    await ctx.runtime.terminate(name, 'TerminatedByAdmin');
    return reply.redirect('/admin/?notice=terminated', 303);
  };
  app.post<SessionParams>('/admin/sessions/:session/extend/', { preHandler: [requireStaff, verifyCsrf] }, act('extend'));
  app.post<SessionParams>('/admin/sessions/:session/terminate/', { preHandler: [requireStaff, verifyCsrf] }, act('terminate'));
}

function adminBody(ctx: PortalContext, request: FastifyRequest): string {
  const csrf = ctx.auth.csrfToken(request);
  const now = Date.now();
  const environments = sortedEnvironments(ctx.runtime);
  const envRows = environments.map((e) => {
    const c = poolCounts(ctx.runtime, e);
    return `<tr><th scope="row">${escapeHtml(e.metadata.name)}</th><td>${escapeHtml(e.spec.workshop.title)}</td><td>${environmentState(e)}</td>
<td class="num">${c.capacity}</td><td class="num">${c.reserved}</td><td class="num">${c.allocated}</td><td class="num">${c.available}</td><td class="num">${c.ready}</td></tr>`;
  }).join('\n');
  const sessions = ctx.runtime.state.sessions.list()
    .sort((a, b) => Number(Boolean(b.status?.user)) - Number(Boolean(a.status?.user)) || a.metadata.name.localeCompare(b.metadata.name));
  const sessionRows = sessions.map((s) => sessionRow(ctx, s, csrf, now)).join('\n');
  const limits = ctx.runtime.state.limits;
  return `<h1>Administration</h1>
<p class="lead">Portal ${escapeHtml(ctx.config.name)}: ${ctx.runtime.state.liveSessions().length} live sessions${limits.maximum ? ` of at most ${limits.maximum}` : ''}; this replica ${ctx.runtime.leader.isLeader ? 'leads' : 'follows'}.</p>
<h2 id="environments">Environments</h2>
<div class="table-wrap"><table aria-labelledby="environments"><thead><tr><th scope="col">Environment</th><th scope="col">Workshop</th><th scope="col">State</th>
<th scope="col" class="num">Capacity</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Allocated</th><th scope="col" class="num">Available</th><th scope="col" class="num">Ready</th></tr></thead>
<tbody>${envRows || '<tr><td colspan="8">No environments.</td></tr>'}</tbody></table></div>
<h2 id="sessions">Sessions</h2>
<div class="table-wrap"><table aria-labelledby="sessions"><thead><tr><th scope="col">Session</th><th scope="col">Phase</th><th scope="col">Learner</th><th scope="col">Age</th>
<th scope="col">Expires</th><th scope="col">Deadline</th><th scope="col">Idle</th><th scope="col">Actions</th></tr></thead>
<tbody>${sessionRows || '<tr><td colspan="8">No sessions.</td></tr>'}</tbody></table></div>`;
}

function sessionRow(ctx: PortalContext, session: WorkshopSession, csrf: string, now: number): string {
  const s = session.status;
  const name = escapeHtml(session.metadata.name);
  const t = timers(ctx.runtime, session, now);
  const reason = s?.reason && !isLive(session) ? ` <span class="muted">(${escapeHtml(s.reason)})</span>` : '';
  const idle = s?.lastActivityAt ? ago(now - Date.parse(s.lastActivityAt)) : '—';
  const actions = isLive(session) && s?.user ? `<form class="inline" method="post" action="/admin/sessions/${name}/extend/">${csrfField(csrf)}<button type="submit" class="secondary"${t.extendable ? '' : ' disabled'} aria-label="Extend ${name}">Extend</button></form>
<form class="inline" method="post" action="/admin/sessions/${name}/terminate/">${csrfField(csrf)}<button type="submit" class="danger" aria-label="Terminate ${name}">Terminate</button></form>` : '';
  return `<tr data-session="${name}"><th scope="row">${name}</th><td class="phase">${escapeHtml(phaseOf(session))}${reason}</td><td>${escapeHtml(s?.user ?? '—')}</td>
<td>${ago(now - Date.parse(String(session.metadata.creationTimestamp)))}</td><td>${t.expires ? `<time datetime="${escapeHtml(t.expires)}">${escapeHtml(t.expires.slice(11, 19))}</time> (${ago((t.countdown ?? 0) * 1000)} left)` : '—'}</td>
<td>${s?.deadlineAt ? `<time datetime="${escapeHtml(s.deadlineAt)}">${escapeHtml(s.deadlineAt.slice(11, 19))}</time>` : '—'}</td><td>${idle}</td><td>${actions}</td></tr>`;
}

function ago(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
