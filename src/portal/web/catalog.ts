/**
 * The catalog page (`/workshops/catalog/`): one card per running workshop environment with its description,
 * difficulty, duration, tags and how many sessions are free, and a Start button that is a plain POST form (with
 * its CSRF token), so the catalog works without JavaScript. `?notification=` shows Educates' banners.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { html, joinHtml, SafeHtml } from '../../content/html.js';
import type { WorkshopEnvironment } from '../../runtime/index.js';
import type { PortalContext } from '../context.js';
import { htmlPage } from '../errors.js';
import { environmentState, poolCounts, sortedEnvironments, workshopView } from '../views.js';
import { csrfField, type Notice } from './layout.js';

/** Educates' notification values and what the banner says for each. */
export const NOTIFICATIONS: Record<string, Notice> = {
  'session-deleted': { kind: 'success', text: 'Your workshop session has ended.' },
  'workshop-invalid': { kind: 'error', text: 'That workshop is not offered here (any more). Choose another one.' },
  'session-unavailable': { kind: 'warning', text: 'No session of that workshop is available right now. Try again in a few minutes.' },
  'session-invalid': { kind: 'error', text: 'That workshop session does not exist or has already ended.' },
  'startup-timeout': { kind: 'error', text: 'Your workshop session could not be started in time. Start it again.' },
  // ours, not Educates': a Start refused because the learner has as many sessions as the portal allows
  'session-limit': { kind: 'warning', text: 'You already have as many sessions as this portal allows at once: end one before starting another.' },
};

export function registerCatalogPages(app: FastifyInstance, ctx: PortalContext): void {
  // A private catalog needs a user; so does any catalog of an anonymous portal, whose visitors get their guest
  // identity here, before the page's forms are signed for them.
  const guard = ctx.config.catalogVisibility === 'public' && ctx.config.registration !== 'anonymous' ? [] : [ctx.auth.requireUser];

  // The access-code gate and the sign-in redirect of PORTAL-AUTH apply before the catalog is reached.
  app.get('/', { preHandler: guard }, async (_request, reply) => reply.redirect('/workshops/catalog/', 302));

  app.get('/workshops/catalog/', { preHandler: guard }, async (request, reply) => renderCatalog(ctx, request, reply));
}

export function renderCatalog(ctx: PortalContext, request: FastifyRequest, reply: FastifyReply, status = 200, noticeOverride?: Notice) {
  const notification = String((request.query as Record<string, unknown>).notification ?? '');
  const notice = noticeOverride ?? NOTIFICATIONS[notification];
  const csrf = request.identity || ctx.config.registration === 'anonymous' ? ctx.auth.csrfToken(request) : undefined;
  // Educates' catalog filter, as the catalog API takes it: ?labels[key]=value (all must match)
  const wanted = Object.entries(request.query as Record<string, unknown>).flatMap(([key, value]) => {
    const match = /^labels\[(.+)\]$/.exec(key);
    return match ? [value].flat().map((v) => [match[1], String(v ?? '')] as [string, string]) : [];
  });
  const environments = sortedEnvironments(ctx.runtime)
    .filter((e) => environmentState(e) === 'RUNNING')
    .filter((e) => wanted.every(([key, value]) => workshopView(e).labels[key] === value));
  const mine = new Map(
    ctx.runtime.state
      .liveSessions()
      .filter((s) => request.identity && s.status?.user === request.identity.id)
      .map((s) => [s.spec.environment, s.metadata.name]),
  );
  const cards = environments.map((e) => card(ctx, e, csrf, mine.get(e.metadata.name)));
  const body = html`<h1>Workshops</h1>
<p class="lead">Choose a workshop: you get a session of your own, in your browser, with everything it needs.</p>
${
  wanted.length > 0 &&
  html`<p class="filter">Showing workshops labelled ${joinHtml(
    wanted.map(([k, v]) => html`<code>${k}=${v}</code>`),
    ', ',
  )}. <a href="/workshops/catalog/">Show all</a></p>\n`
}${
    environments.length
      ? html`<ul class="cards">\n${joinHtml(cards, '\n')}\n</ul>`
      : html`<div class="panel"><p>No workshops are offered right now.</p></div>`
  }`;
  return htmlPage(reply, status, { title: 'Workshops', identity: request.identity, body, csrfToken: csrf, notice });
}

function card(ctx: PortalContext, environment: WorkshopEnvironment, csrf: string | undefined, mySession: string | undefined): SafeHtml {
  const w = workshopView(environment);
  const counts = poolCounts(ctx.runtime, environment);
  const free = counts.capacity - counts.allocated;
  const availability = mySession
    ? html`<p class="availability ok">You have a session of this workshop.</p>`
    : free <= 0
      ? html`<p class="availability none">Fully booked right now</p>`
      : counts.ready > 0
        ? html`<p class="availability ok">${counts.ready} ready to start at once</p>`
        : html`<p class="availability low">${free} of ${counts.capacity} free (takes a minute to prepare)</p>`;
  const id = `w-${environment.metadata.name}`;
  const meta = [
    w.difficulty && html`<dt>Level</dt><dd>${w.difficulty}</dd>`,
    w.duration && html`<dt>Duration</dt><dd>${humanDuration(w.duration)}</dd>`,
    environment.spec.pool.expiresSeconds > 0 && html`<dt>Session</dt><dd>${humanDuration(`${environment.spec.pool.expiresSeconds}s`)}</dd>`,
  ].filter((item): item is SafeHtml => item instanceof SafeHtml);
  const action = mySession
    ? html`<a class="button" href="/workshops/session/${mySession}/">Continue</a>`
    : html`<form method="post" action="/workshops/environment/${environment.metadata.name}/">${csrfField(csrf)}<button type="submit"${free <= 0 && html` disabled`} aria-describedby="${id}">Start workshop</button></form>`;
  return html`<li class="card" aria-labelledby="${id}">
${isSafeLogo(w.logo) && html`<img class="logo" src="${w.logo}" alt="">`}
<h2 id="${id}">${w.title}</h2>
<p>${w.description}</p>
${meta.length > 0 && html`<dl class="meta">${meta}</dl>`}
${w.tags.length > 0 && html`<ul class="tags" aria-label="Tags">${w.tags.map((t) => html`<li class="tag">${t}</li>`)}</ul>`}
${availability}
<div class="actions">${action}</div>
</li>`;
}

/** "3600s" → "1 hour", "5400s" → "1 h 30 min"; anything else as it is. */
export function humanDuration(value: string): string {
  const match = /^(\d+)s$/.exec(value);
  if (!match) return value;
  const total = Number(match[1]);
  const hours = Math.floor(total / 3600);
  const minutes = Math.round((total % 3600) / 60);
  if (!hours) return `${minutes} min`;
  if (!minutes) return hours === 1 ? '1 hour' : `${hours} hours`;
  return `${hours} h ${minutes} min`;
}

/** Logos are data: images or https URLs (no javascript: or other schemes in an img src). */
function isSafeLogo(logo: string): boolean {
  return /^data:image\/(png|jpeg|gif|svg\+xml|webp);base64,[A-Za-z0-9+/=]+$/.test(logo) || /^https:\/\/[^\s"'<>]+$/.test(logo);
}
