/**
 * The page's analytics events (src/browser/events.ts): `POST /session/event` `{name, data}` from the learner's page,
 * forwarded to the portal's `/workshops/session/<s>/event/` with the session's Basic credentials, from where the
 * portal sends them to the analytics webhook (src/portal/analytics.ts), as Educates' `/session/event` does.
 *
 * Only the page's own events pass, each with the data it may carry, so a page (or a learner's script with the
 * cookie) cannot make the webhook say anything else:
 * - `Workshop/Load` `{}`; `Workshop/View` `{page}`; `Workshop/Finish` `{page}`;
 * - `Action/Event` `{action, page}`: an action block clicked;
 * - `Terminal/Connect` `{terminal}` when a terminal's connection opens, `Terminal/Reconnect` `{terminal}` when it
 *   opens again after a drop: which terminal, nothing of what it shows;
 * - `Terminal/Input` `{terminal, keystrokes}`: how many keys were typed in a terminal since the last report, never
 *   what was typed.
 * A session sends at most 120 events a minute; more are answered 429 and not forwarded.
 */
import type { FastifyInstance } from 'fastify';

import { basicAuthorization } from '../../oci/auth.js';
import { isObject } from '../config.js';
import type { CapabilityContext } from './index.js';

type Shape = Record<string, 'string' | 'count'>;

/** The events the page may send, and the data fields of each. */
export const PAGE_EVENTS: Readonly<Record<string, Shape>> = {
  'Workshop/Load': {},
  'Workshop/View': { page: 'string' },
  'Workshop/Finish': { page: 'string' },
  'Action/Event': { action: 'string', page: 'string' },
  'Terminal/Connect': { terminal: 'string' },
  'Terminal/Reconnect': { terminal: 'string' },
  'Terminal/Input': { terminal: 'string', keystrokes: 'count' },
};

const PER_MINUTE = 120;

/** The event's data as forwarded, or why it is refused. */
export function checkPageEvent(body: unknown): { name: string; data: Record<string, string | number> } | { error: string } {
  if (!isObject(body) || typeof body.name !== 'string')
    return { error: `the body must be {"name": one of ${Object.keys(PAGE_EVENTS).join(', ')}, "data": {…}}` };
  const shape = PAGE_EVENTS[body.name];
  if (!shape) return { error: `'name' (${JSON.stringify(body.name.slice(0, 60))}) must be one of ${Object.keys(PAGE_EVENTS).join(', ')}` };
  const given = body.data === undefined ? {} : body.data;
  if (!isObject(given)) return { error: `'data' must be an object` };
  const data: Record<string, string | number> = {};
  for (const [field, value] of Object.entries(given)) {
    const kind = shape[field];
    if (!kind)
      return { error: `'data.${field.slice(0, 40)}' is not a field of ${body.name} (its fields: ${Object.keys(shape).join(', ') || 'none'})` };
    if (kind === 'string' && (typeof value !== 'string' || value.length > 200))
      return { error: `'data.${field}' (${JSON.stringify(value)?.slice(0, 60)}) must be a string of at most 200 characters` };
    if (kind === 'count' && (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 1_000_000))
      return { error: `'data.${field}' (${JSON.stringify(value)?.slice(0, 60)}) must be a whole number from 0 to 1000000` };
    data[field] = value as string | number;
  }
  return { name: body.name, data };
}

export function registerEvents(app: FastifyInstance, ctx: CapabilityContext): void {
  const url = new URL(
    `workshops/session/${encodeURIComponent(ctx.sessionName)}/event/`,
    ctx.portalApiUrl.endsWith('/') ? ctx.portalApiUrl : `${ctx.portalApiUrl}/`,
  ).toString();
  const authorization = basicAuthorization(ctx.sessionName, ctx.clientSecret);
  let window = { start: 0, count: 0 };

  app.post('/session/event', { preHandler: ctx.requireLearner, bodyLimit: 4096 }, async (request, reply) => {
    const event = checkPageEvent(request.body);
    if ('error' in event) return reply.code(400).send({ error: 'bad_request', message: event.error });
    const now = Date.now();
    if (now - window.start >= 60_000) window = { start: now, count: 0 };
    if (++window.count > PER_MINUTE)
      return reply.code(429).send({ error: 'too_many_events', message: `a session sends at most ${PER_MINUTE} events a minute` });
    if (event.name !== 'Workshop/Load') ctx.touch?.();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ event: { name: event.name, data: event.data } }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) {
        ctx.log.warn({ status: response.status, event: event.name }, 'the portal refused an analytics event');
        return reply.code(502).send({ error: 'portal_refused', message: `the portal answered ${response.status}` });
      }
    } catch (error) {
      ctx.log.warn({ message: (error as Error).message, event: event.name }, 'cannot forward an analytics event to the portal');
      return reply.code(502).send({ error: 'portal_unreachable', message: 'the portal cannot be reached right now' });
    }
    return { ok: true };
  });
}
