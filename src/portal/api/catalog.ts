/**
 * Educates' catalog API: the portal's environments and workshops as JSON. Open to anyone when the catalog is
 * public, else to signed-in users and token holders; only robots may ask for sessions and for environments in
 * other states than RUNNING.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { PortalContext } from '../context.js';
import { apiError } from '../errors.js';
import { ENVIRONMENT_STATES, type EnvironmentState, environmentState, environmentView, portalView, sortedEnvironments } from '../views.js';

type Query = Record<string, string | string[] | undefined>;

/**
 * Catalog answers are the same for every client until an environment or session changes (or a second passes, for
 * the countdowns in robots' session lists), so each distinct query is computed and serialized once per change:
 * a catalog polled by many browsers costs a lookup, not a walk over every session.
 */
class AnswerCache {
  private version = 0;
  private readonly answers = new Map<string, { version: number; at: number; body: string }>();

  constructor(ctx: PortalContext) {
    const bump = () => {
      this.version++;
    };
    ctx.runtime.state.sessions.on('change', bump);
    ctx.runtime.state.environments.on('change', bump);
  }

  public get(key: string, compute: () => unknown): string {
    const now = Date.now();
    const known = this.answers.get(key);
    if (known && known.version === this.version && now - known.at < 1000) return known.body;
    const body = JSON.stringify(compute());
    // bounded: query strings are chosen by clients
    if (this.answers.size >= 256) this.answers.clear();
    this.answers.set(key, { version: this.version, at: now, body });
    return body;
  }
}

export function registerCatalogApi(app: FastifyInstance, ctx: PortalContext): void {
  const mayRead = (request: FastifyRequest) => ctx.config.catalogVisibility === 'public' || Boolean(request.identity);
  const cache = new AnswerCache(ctx);
  const send = (reply: import('fastify').FastifyReply, body: string) => reply.type('application/json; charset=utf-8').send(body);

  app.get('/workshops/catalog/environments/', async (request, reply) => {
    if (!mayRead(request)) return unauthorized(reply);
    const query = request.query as Query;
    const robot = request.identity?.kind === 'robot';
    const filter = parseFilter(query, robot);
    if ('error' in filter) return apiError(reply, 400, 'bad-request', filter.error);
    const key = JSON.stringify([filter, robot && filter.sessions]);
    return send(
      reply,
      cache.get(key, () => {
        const environments = sortedEnvironments(ctx.runtime)
          .filter((e) => filter.states.includes(environmentState(e)))
          .filter((e) => matchesWorkshop(e.spec.workshop as Record<string, unknown>, filter));
        return {
          portal: portalView(ctx.runtime, ctx.info()),
          environments: environments.map((e) => environmentView(ctx.runtime, e, robot && filter.sessions)),
        };
      }),
    );
  });

  app.get('/workshops/catalog/workshops/', async (request, reply) => {
    if (!mayRead(request)) return unauthorized(reply);
    return send(
      reply,
      cache.get('workshops', () => {
        const workshops = sortedEnvironments(ctx.runtime)
          .filter((e) => environmentState(e) === 'RUNNING')
          .map((e) => {
            const { workshop, sessions: _sessions, ...environment } = environmentView(ctx.runtime, e, false);
            return {
              ...workshop,
              environment: {
                name: environment.name,
                state: environment.state,
                duration: environment.duration,
                capacity: environment.capacity,
                reserved: environment.reserved,
                allocated: environment.allocated,
                available: environment.available,
              },
            };
          });
        return { portal: portalView(ctx.runtime, ctx.info()), workshops };
      }),
    );
  });

  function unauthorized(reply: import('fastify').FastifyReply) {
    reply.header('WWW-Authenticate', 'Bearer');
    return apiError(
      reply,
      401,
      'unauthorized',
      'the catalog is private: sign in, or send an OAuth2 access token in the Authorization: Bearer header',
    );
  }
}

interface Filter {
  states: EnvironmentState[];
  sessions: boolean;
  names: string[];
  labels: Array<[string, string]>;
}

/** Reads Educates' filters: `sessions`, `state` (robots), `name` (repeatable), `labels[<key>]=<value>`. */
function parseFilter(query: Query, robot: boolean): Filter | { error: string } {
  const list = (key: string) => {
    const value = query[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  let states: EnvironmentState[] = ['RUNNING'];
  let sessions = false;
  if (robot) {
    const asked = list('state');
    if (asked.length) {
      const bad = asked.find((s) => !ENVIRONMENT_STATES.includes(s.toUpperCase() as EnvironmentState));
      if (bad !== undefined) return { error: `'state' (${JSON.stringify(bad.slice(0, 40))}) must be one of starting, running, stopping, stopped` };
      states = asked.map((s) => s.toUpperCase() as EnvironmentState);
    }
    const flag = list('sessions')[0];
    if (flag !== undefined) {
      if (!['true', '1', 'false', '0'].includes(flag.toLowerCase()))
        return { error: `'sessions' (${JSON.stringify(flag.slice(0, 40))}) must be true, 1, false or 0` };
      sessions = ['true', '1'].includes(flag.toLowerCase());
    }
  }
  const labels: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(query)) {
    const match = /^labels\[(.+)\]$/.exec(key);
    if (!match) continue;
    for (const v of Array.isArray(value) ? value : [value ?? '']) labels.push([match[1], v]);
  }
  return { states, sessions, names: list('name'), labels };
}

function matchesWorkshop(workshop: Record<string, unknown>, filter: Filter): boolean {
  if (filter.names.length && !filter.names.includes(String(workshop.name))) return false;
  const labels = (workshop.labels ?? {}) as Record<string, string>;
  return filter.labels.every(([key, value]) => labels[key] === value);
}
