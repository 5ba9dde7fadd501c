/**
 * Educates' robot API for front ends that bring their own users: ask for a learner's session in an environment
 * (`request/`, answered with a one-time activation link), an environment's status, and a learner's sessions.
 * Robots only; session requests are rate limited per client.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { isLive, type SessionRequest } from '../../runtime/index.js';
import type { PortalContext } from '../context.js';
import { apiError } from '../errors.js';
import { isHttpUrl } from '../urls.js';
import { environmentView, userSessionView } from '../views.js';

type Query = Record<string, string | string[] | undefined>;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const NAME_LIMIT = 150;

export function registerEnvironmentApi(app: FastifyInstance, ctx: PortalContext): void {
  const requestLimit = ctx.auth.rateLimit('session-request', ctx.sessionRequestLimit);

  const handler = async (request: FastifyRequest<{ Params: { env: string } }>, reply: FastifyReply) => {
    const parsed = parseRequest(request.query as Query, request.method === 'POST' ? request.body : undefined, ctx.reservedUsers);
    if ('error' in parsed) return apiError(reply, 400, 'bad-request', parsed.error);
    const environment = ctx.runtime.state.environment(request.params.env);
    // Educates answers 403 for an environment that does not exist
    if (!environment) return apiError(reply, 403, 'forbidden', `no workshop environment '${request.params.env.slice(0, 80)}' in this portal`);

    const mine = ctx.runtime.state.sessionsOf(environment.metadata.name).find((s) => isLive(s) && s.status?.user === parsed.user);
    if (parsed.session !== undefined && mine?.metadata.name !== parsed.session) {
      // `session` only ever returns that existing session, it never creates one
      return apiError(reply, 503, 'No session available', `user '${parsed.user}' has no session '${parsed.session}' in this environment`);
    }
    if (mine && !mine.status?.request) {
      return apiError(
        reply,
        503,
        'Cannot be reacquired',
        `the session of user '${parsed.user}' was not requested through this API, so it cannot be handed out here`,
      );
    }
    const token = randomBytes(24).toString('base64url');
    const result = await ctx.runtime.allocate({
      environment: environment.metadata.name,
      user: parsed.user,
      anonymous: true,
      activationSeconds: parsed.timeout,
      request: parsed.request,
      activationTokenHash: createHash('sha256').update(token).digest('hex'),
    });
    if ('refused' in result) {
      if (result.refused === 'unknown-environment') return apiError(reply, 403, 'forbidden', result.message);
      return apiError(reply, 503, 'No session available', result.message);
    }
    if (parsed.newUser) ctx.analytics.emit({ name: 'User/Create', user: parsed.user }, parsed.request.analyticsUrl);
    const session = result.session;
    const url = `/workshops/session/${session.metadata.name}/activate/?token=${token}&index_url=${encodeURIComponent(parsed.request.indexUrl!)}`;
    return {
      name: session.metadata.name,
      session: session.metadata.name,
      user: parsed.user,
      url,
      namespace: session.metadata.name,
      workshop: session.spec.workshop,
      environment: session.spec.environment,
    };
  };
  app.get<{ Params: { env: string } }>('/workshops/environment/:env/request/', { preHandler: [ctx.auth.requireRobot, requestLimit] }, handler);
  app.post<{ Params: { env: string } }>('/workshops/environment/:env/request/', { preHandler: [ctx.auth.requireRobot, requestLimit] }, handler);

  app.get<{ Params: { env: string } }>('/workshops/environment/:env/status/', { preHandler: ctx.auth.requireRobot }, async (request, reply) => {
    const environment = ctx.runtime.state.environment(request.params.env);
    if (!environment) return apiError(reply, 404, 'not-found', `no workshop environment '${request.params.env.slice(0, 80)}' in this portal`);
    const flag = String((request.query as Query).sessions ?? '').toLowerCase();
    return environmentView(ctx.runtime, environment, flag === 'true' || flag === '1');
  });

  app.get<{ Params: { user: string } }>('/workshops/user/:user/sessions/', { preHandler: ctx.auth.requireRobot }, async (request) => {
    const user = request.params.user;
    const sessions = ctx.runtime.state
      .liveSessions()
      .filter((s) => s.status?.user === user)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((s) => userSessionView(ctx.runtime, s));
    return { user, sessions };
  });
}

interface ParsedRequest {
  user: string;
  newUser: boolean;
  session?: string;
  timeout: number;
  request: SessionRequest;
}

/** Checks a session request's query (and JSON body); every refusal names the field, the value and what is allowed. */
export function parseRequest(query: Query, body: unknown, reserved: ReadonlySet<string>): ParsedRequest | { error: string } {
  const one = (key: string): string | undefined => {
    const value = query[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const show = (value: string) => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  const indexUrl = one('index_url') ?? one('redirect_url');
  if (!indexUrl) return { error: `'index_url' is required: the page the learner returns to when the session ends` };
  if (!isHttpUrl(indexUrl)) return { error: `'index_url' (${show(indexUrl)}) must be an http or https URL` };
  const analyticsUrl = one('analytics_url');
  if (analyticsUrl !== undefined && !isHttpUrl(analyticsUrl))
    return { error: `'analytics_url' (${show(analyticsUrl)}) must be an http or https URL` };

  const given = one('user');
  if (given !== undefined && (!given || given.length > 150 || /[\s\u0000-\u001f/]/.test(given))) {
    return { error: `'user' (${show(given)}) must be 1 to 150 characters without spaces, control characters or '/'` };
  }
  if (given !== undefined && reserved.has(given))
    return { error: `'user' (${show(given)}) is a staff or robot account; sessions are requested for learners only` };
  const email = one('email');
  if (email !== undefined && email !== '' && !EMAIL.test(email))
    return { error: `'email' (${show(email)}) must be an e-mail address such as ann@example.com` };
  const firstName = one('first_name') ?? one('firstname');
  const lastName = one('last_name') ?? one('lastname');
  for (const [field, value] of [
    ['first_name', firstName],
    ['last_name', lastName],
  ] as const) {
    if (value !== undefined && value.length > NAME_LIMIT)
      return { error: `'${field}' must have at most ${NAME_LIMIT} characters, not ${value.length}` };
  }
  const session = one('session');
  if (session !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(session))
    return { error: `'session' (${show(session)}) must be a session name` };
  const timeoutText = one('timeout');
  let timeout = 60;
  if (timeoutText !== undefined) {
    timeout = Number(timeoutText);
    if (!/^\d+$/.test(timeoutText) || timeout < 1 || timeout > 86_400)
      return { error: `'timeout' (${show(timeoutText)}) must be whole seconds from 1 to 86400` };
  }
  const parameters = parseParameters(body);
  if ('error' in parameters) return parameters;
  return {
    user: given ?? randomUUID(),
    newUser: given === undefined,
    session,
    timeout,
    request: {
      indexUrl,
      ...(analyticsUrl ? { analyticsUrl } : {}),
      ...(email ? { email } : {}),
      ...(firstName ? { firstName } : {}),
      ...(lastName ? { lastName } : {}),
      ...(Object.keys(parameters.values).length ? { parameters: parameters.values } : {}),
    },
  };
}

/** The body's `{"parameters": [{"name", "value"}]}`; no body (or an empty one) has none. */
function parseParameters(body: unknown): { values: Record<string, string> } | { error: string } {
  const values: Record<string, string> = {};
  if (body === undefined || body === null || body === '') return { values };
  if (typeof body !== 'object' || Array.isArray(body)) return { error: `the body must be a JSON object {"parameters": [{"name": …, "value": …}]}` };
  const list = (body as { parameters?: unknown }).parameters;
  if (list === undefined) return { values };
  if (!Array.isArray(list) || list.length > 100) return { error: `'parameters' must be a list of at most 100 {"name", "value"} objects` };
  for (const [i, item] of list.entries()) {
    const { name, value } = (item ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
      return { error: `'parameters[${i}].name' (${JSON.stringify(name)?.slice(0, 60)}) must be letters, digits and '_', not starting with a digit` };
    }
    if (typeof value !== 'string' || value.length > 4096) return { error: `'parameters[${i}].value' must be a string of at most 4096 characters` };
    values[name] = value;
  }
  return { values };
}
