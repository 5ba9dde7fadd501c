/**
 * The runtime's own HTTP surface: health, readiness, Prometheus metrics, and the session operations the portal's
 * pages and REST API are built on (allocate, activity, extend, terminate). Errors are JSON with a status that
 * says what went wrong; nothing here ever returns a session's secrets.
 */
import Fastify, { type FastifyInstance, type preHandlerAsyncHookHandler } from 'fastify';

import type { SessionRuntime, WorkshopSession } from '../runtime/index.js';

/** What the API shows of a session. */
export function sessionView(session: WorkshopSession) {
  const s = session.status;
  return {
    name: session.metadata.name,
    environment: session.spec.environment,
    workshop: session.spec.workshop,
    phase: s?.phase ?? 'Requested',
    reason: s?.reason,
    user: s?.user,
    url: s?.url,
    allocatedAt: s?.allocatedAt,
    readyAt: s?.readyAt,
    activatedAt: s?.activatedAt,
    expiresAt: s?.expiresAt,
    deadlineAt: s?.deadlineAt,
    history: s?.history ?? [],
  };
}

/** A standalone server of the runtime's surface (the runtime without the portal, and its tests). */
export function runtimeApi(runtime: SessionRuntime): FastifyInstance {
  const app = Fastify({ logger: false });
  registerRuntimeRoutes(app, runtime);
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    // validation errors name the field; anything else is reported without internals
    if (status < 500) return reply.code(status).send({ error: 'bad-request', message: (error as Error).message });
    return reply.code(500).send({ error: 'internal', message: 'the request could not be completed; it is safe to retry' });
  });
  return app;
}

/**
 * Adds the runtime's routes to a server. `guard` runs before /metrics and every /runtime/* route: the portal keeps
 * them to staff and robots, since they act on any learner's session and describe the whole portal.
 */
export function registerRuntimeRoutes(app: FastifyInstance, runtime: SessionRuntime, guard?: preHandlerAsyncHookHandler): void {
  const preHandler = guard ? [guard] : [];
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => (runtime.ready ? { ready: true } : reply.code(503).send({ ready: false })));
  // what the portal runs and how busy it is tells an attacker too much: staff and robots only, like /runtime/*
  // (Prometheus scrapes with the robot client through its oauth2 client_credentials setting)
  app.get('/metrics', { preHandler }, async (_request, reply) => {
    reply.header('Content-Type', runtime.metrics.registry.contentType);
    return runtime.metrics.registry.metrics();
  });

  app.post<{ Body: { environment?: unknown; user?: unknown; anonymous?: unknown; activationSeconds?: unknown } }>(
    '/runtime/allocate',
    {
      preHandler,
      schema: {
        body: {
          type: 'object',
          required: ['environment', 'user'],
          additionalProperties: false,
          properties: {
            environment: { type: 'string', minLength: 1, maxLength: 63 },
            user: { type: 'string', minLength: 1, maxLength: 256 },
            anonymous: { type: 'boolean' },
            activationSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { environment: string; user: string; anonymous?: boolean; activationSeconds?: number };
      const result = await runtime.allocate(body);
      if ('refused' in result) {
        const code = result.refused === 'unknown-environment' ? 404 : result.refused === 'user-limit' ? 403 : 503;
        return reply.code(code).send({ error: result.refused, message: result.message });
      }
      return { source: result.source, session: sessionView(result.session) };
    },
  );

  app.get<{ Params: { name: string } }>('/runtime/sessions/:name', { preHandler }, async (request, reply) => {
    const session = runtime.session(request.params.name);
    return session ? sessionView(session) : reply.code(404).send({ error: 'not-found', message: `no session '${request.params.name}'` });
  });

  app.post<{ Params: { name: string } }>('/runtime/sessions/:name/activity', { preHandler }, async (request, reply) => {
    const session = await runtime.reportActivity(request.params.name);
    return session ? sessionView(session) : reply.code(404).send({ error: 'not-found', message: `no session '${request.params.name}'` });
  });

  app.post<{ Params: { name: string } }>('/runtime/sessions/:name/extend', { preHandler }, async (request, reply) => {
    const result = await runtime.extend(request.params.name);
    if ('refused' in result)
      return reply.code(result.refused === 'no such session' ? 404 : 409).send({ error: 'not-extended', message: result.refused });
    return sessionView(result.session);
  });

  app.post<{ Params: { name: string } }>('/runtime/sessions/:name/terminate', { preHandler }, async (request, reply) => {
    const session = await runtime.terminate(request.params.name, 'TerminatedByAdmin');
    return session ? sessionView(session) : reply.code(404).send({ error: 'not-found', message: `no session '${request.params.name}'` });
  });
}
