/**
 * The staff's pages (`/admin/`): every environment with its pool counts and state, every session with its workshop,
 * phase, learner (readable: "Guest 3f2a9c1b", the id in its title), age and timers, and compact buttons (POST forms
 * with CSRF) to extend or end a session; a disabled Extend says why. A GET form filters the sessions (text in
 * name, workshop or learner; which sessions) without JavaScript; with it (src/browser/admin.ts) the tables refresh
 * themselves every few seconds. Staff only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { html, joinHtml, type SafeHtml } from '../../content/html.js';
import { isLive, phaseOf, type WorkshopSession } from '../../runtime/index.js';
import type { PortalContext } from '../context.js';
import { htmlPage } from '../errors.js';
import { environmentState, learnerLabel, poolCounts, sortedEnvironments, timers, workshopView } from '../views.js';
import { csrfField } from './layout.js';
import { addBrowserScripts } from './static.js';

type SessionParams = { Params: { session: string } };

/** Which sessions the filter shows. */
export const SESSION_FILTERS: Record<string, { label: string; keep: (s: WorkshopSession) => boolean }> = {
  all: { label: 'All sessions', keep: () => true },
  learners: { label: 'With a learner', keep: (s) => Boolean(s.status?.user) && isLive(s) },
  reserves: { label: 'Reserves', keep: (s) => !s.status?.user && isLive(s) },
  ended: { label: 'Ending or ended', keep: (s) => !isLive(s) },
};

/** Seconds between two refreshes of the admin tables (the script; without it the page stays as loaded). */
export const ADMIN_REFRESH_SECONDS = 5;

export function registerAdminPages(app: FastifyInstance, ctx: PortalContext): void {
  const { requireStaff, verifyCsrf } = ctx.auth;
  addBrowserScripts(['admin.js']);

  app.get('/admin/', { preHandler: requireStaff }, async (request, reply) => {
    const notice = String((request.query as Record<string, unknown>).notice ?? '');
    const notices: Record<string, { kind: 'success' | 'warning'; text: string }> = {
      extended: { kind: 'success', text: 'The session was extended.' },
      'not-extended': { kind: 'warning', text: 'The session cannot be extended now (only in its last minutes, never past its deadline).' },
      terminated: { kind: 'success', text: 'The session is ending.' },
      gone: { kind: 'warning', text: 'That session no longer exists.' },
    };
    return htmlPage(reply, 200, {
      title: 'Admin',
      identity: request.identity,
      body: adminBody(ctx, request),
      csrfToken: ctx.auth.csrfToken(request),
      notice: notices[notice],
      scripts: ['/static/admin.js'],
    });
  });

  const act = (action: 'extend' | 'terminate') => async (request: FastifyRequest<SessionParams>, reply: FastifyReply) => {
    const name = request.params.session;
    // back to the page as the admin had filtered it
    const back = (notice: string) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const query = new URLSearchParams({ notice });
      if (typeof body.q === 'string' && body.q) query.set('q', body.q.slice(0, 200));
      if (typeof body.show === 'string' && body.show in SESSION_FILTERS && body.show !== 'all') query.set('show', body.show);
      return reply.redirect(`/admin/?${query}`, 303);
    };
    if (!ctx.runtime.session(name)) return back('gone');
    if (action === 'extend') {
      const result = await ctx.runtime.extend(name);
      return back('session' in result ? 'extended' : 'not-extended');
    }
    await ctx.runtime.terminate(name, 'TerminatedByAdmin');
    return back('terminated');
  };
  app.post<SessionParams>('/admin/sessions/:session/extend/', { preHandler: [requireStaff, verifyCsrf] }, act('extend'));
  app.post<SessionParams>('/admin/sessions/:session/terminate/', { preHandler: [requireStaff, verifyCsrf] }, act('terminate'));
}

function adminBody(ctx: PortalContext, request: FastifyRequest): SafeHtml {
  const csrf = ctx.auth.csrfToken(request);
  const now = Date.now();
  const query = request.query as Record<string, unknown>;
  const q = typeof query.q === 'string' ? query.q.trim().slice(0, 200) : '';
  const show = typeof query.show === 'string' && query.show in SESSION_FILTERS ? query.show : 'all';
  const environments = sortedEnvironments(ctx.runtime);
  const titles = new Map(environments.map((e) => [e.metadata.name, workshopView(e).title]));
  const envRows = environments.map((e) => {
    const c = poolCounts(ctx.runtime, e);
    return html`<tr><th scope="row">${e.metadata.name}</th><td>${e.spec.workshop.title}</td><td>${environmentState(e)}</td>
<td class="num">${c.capacity}</td><td class="num">${c.reserved}</td><td class="num">${c.allocated}</td><td class="num">${c.available}</td><td class="num">${c.ready}</td></tr>`;
  });
  const all = ctx.runtime.state.sessions.list();
  const needle = q.toLowerCase();
  const sessions = all
    .filter((s) => SESSION_FILTERS[show].keep(s))
    .filter(
      (s) =>
        !needle ||
        [
          s.metadata.name,
          s.spec.workshop,
          titles.get(s.spec.environment),
          s.status?.user,
          learnerLabel(s.status?.user, s.status?.request),
          s.status?.phase,
        ].some((v) =>
          String(v ?? '')
            .toLowerCase()
            .includes(needle),
        ),
    )
    .sort((a, b) => Number(Boolean(b.status?.user)) - Number(Boolean(a.status?.user)) || a.metadata.name.localeCompare(b.metadata.name));
  const filter = { q, show };
  const sessionRows = sessions.map((s) => sessionRow(ctx, s, csrf, now, titles, filter));
  const limits = ctx.runtime.state.limits;
  const options = Object.entries(SESSION_FILTERS).map(
    ([value, f]) => html`<option value="${value}"${value === show && html` selected`}>${f.label}</option>`,
  );
  return html`<h1>Administration</h1>
<p class="lead" id="summary">Portal ${ctx.config.name}: ${ctx.runtime.state.liveSessions().length} live sessions${limits.maximum ? ` of at most ${limits.maximum}` : ''}; this replica ${ctx.runtime.leader.isLeader ? 'leads' : 'follows'}.</p>
<p class="muted" id="refreshed" data-every="${ADMIN_REFRESH_SECONDS}" aria-live="off">Updates every ${ADMIN_REFRESH_SECONDS} s (with JavaScript).</p>
<h2 id="environments">Environments</h2>
<div class="table-wrap"><table aria-labelledby="environments"><thead><tr><th scope="col">Environment</th><th scope="col">Workshop</th><th scope="col">State</th>
<th scope="col" class="num">Capacity</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Allocated</th><th scope="col" class="num">Available</th><th scope="col" class="num">Ready</th></tr></thead>
<tbody id="environments-body">${envRows.length ? joinHtml(envRows, '\n') : html`<tr><td colspan="8">No environments.</td></tr>`}</tbody></table></div>
<h2 id="sessions">Sessions</h2>
<form class="filters row" method="get" action="/admin/" role="search" aria-label="Filter sessions">
<label class="inline-label" for="f-q">Search</label><input id="f-q" type="search" name="q" value="${q}" placeholder="session, workshop or learner">
<label class="inline-label" for="f-show">Show</label><select id="f-show" name="show">${options}</select>
<button type="submit" class="secondary small">Filter</button>${(q || show !== 'all') && html` <a href="/admin/">Clear</a>`}
</form>
<p class="muted" id="sessions-count">${sessions.length === all.length ? `${all.length} sessions` : `${sessions.length} of ${all.length} sessions`}</p>
<div class="table-wrap"><table aria-labelledby="sessions" class="sessions"><thead><tr><th scope="col">Session</th><th scope="col">Workshop</th><th scope="col">Phase</th><th scope="col">Learner</th><th scope="col">Age</th>
<th scope="col">Expires</th><th scope="col">Deadline</th><th scope="col">Idle</th><th scope="col">Actions</th></tr></thead>
<tbody id="sessions-body">${sessionRows.length ? joinHtml(sessionRows, '\n') : html`<tr><td colspan="9">${all.length ? 'No sessions match.' : 'No sessions.'}</td></tr>`}</tbody></table></div>`;
}

function sessionRow(
  ctx: PortalContext,
  session: WorkshopSession,
  csrf: string,
  now: number,
  titles: Map<string, string>,
  filter: { q: string; show: string },
): SafeHtml {
  const s = session.status;
  const name = session.metadata.name;
  const t = timers(ctx.runtime, session, now);
  const reason = s?.reason && !isLive(session) && html` <span class="muted">(${s.reason})</span>`;
  const idle = s?.lastActivityAt ? ago(now - Date.parse(s.lastActivityAt)) : '—';
  const keep = html`${filter.q && html`<input type="hidden" name="q" value="${filter.q}">`}${filter.show !== 'all' && html`<input type="hidden" name="show" value="${filter.show}">`}`;
  const why = t.extendable ? '' : (t.extendRefusal ?? 'Cannot be extended now');
  const actions =
    isLive(session) &&
    s?.user &&
    html`<form class="inline" method="post" action="/admin/sessions/${name}/extend/">${csrfField(csrf)}${keep}<button type="submit" class="secondary small"${!t.extendable && html` disabled title="${why}" aria-describedby="why-${name}"`} aria-label="Extend ${name}">Extend</button></form>
<form class="inline" method="post" action="/admin/sessions/${name}/terminate/">${csrfField(csrf)}${keep}<button type="submit" class="danger small" aria-label="Terminate ${name}">Terminate</button></form>${!t.extendable && html`<span class="why" id="why-${name}">${why}</span>`}`;
  const learner = s?.user ? html`<span class="learner" title="${s.user}">${learnerLabel(s.user, s.request)}</span>` : '—';
  return html`<tr data-session="${name}"><th scope="row">${name}</th><td>${titles.get(session.spec.environment) ?? session.spec.workshop}</td><td class="phase">${phaseOf(session)}${reason}</td><td>${learner}</td>
<td>${ago(now - Date.parse(String(session.metadata.creationTimestamp)))}</td><td>${t.expires ? html`<time datetime="${t.expires}">${t.expires.slice(11, 19)}</time> (${ago((t.countdown ?? 0) * 1000)} left)` : '—'}</td>
<td>${s?.deadlineAt ? html`<time datetime="${s.deadlineAt}">${s.deadlineAt.slice(11, 19)}</time>` : '—'}</td><td>${idle}</td><td class="actions">${actions}</td></tr>`;
}

function ago(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
