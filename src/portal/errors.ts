/**
 * How the portal says no: API clients get JSON `{error, message}` with the status that says what went wrong;
 * browsers get a page in the portal's layout. Nothing ever shows a stack trace or an internal message: unexpected
 * errors are logged and answered with a generic 500.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { Logger } from '../runtime/index.js';
import { DEFAULT_LOOK, type Page, type PageLink, problemBody, renderPage } from './web/layout.js';

export function apiError(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send({ error, message });
}

/**
 * Sends a page of the portal, drawn in the frame of the portal that answers (its look, see layout.ts
 * `usePortalLook`); pages show a learner's own state, so no cache keeps them.
 */
export function htmlPage(reply: FastifyReply, status: number, page: Page) {
  const document = renderPage(page, reply.server.portalLook ?? DEFAULT_LOOK);
  return reply.code(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(document.toString());
}

/** A page that explains a refusal or a problem, with a way back (the portal's one problem-page style). */
export function errorPage(request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string, links?: readonly PageLink[]) {
  return htmlPage(reply, status, { title, identity: request.identity, body: problemBody(title, message, links) });
}

/** Whether the client wants a page rather than JSON: browsers navigating ask for text/html; API clients do not. */
export function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(String(request.headers.accept ?? ''));
}

export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setNotFoundHandler((request, reply) => {
    if (wantsHtml(request)) return errorPage(request, reply, 404, 'Page not found', 'There is nothing at this address.');
    return apiError(reply, 404, 'not-found', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`);
  });
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // fastify's own client errors (validation, a malformed body, a body too large) name the problem
      const message = (error as Error).message.replace(/^body\//, 'body.').slice(0, 500);
      if (wantsHtml(request)) return errorPage(request, reply, status, 'The request was not understood', message);
      return apiError(reply, status, status === 413 ? 'too-large' : status === 429 ? 'too-many-requests' : 'bad-request', message);
    }
    log.error({ err: (error as Error).message, method: request.method, url: request.url.split('?')[0] }, 'request failed');
    const message = 'the request could not be completed; it is safe to retry';
    if (wantsHtml(request)) return errorPage(request, reply, 500, 'Something went wrong', `Sorry: ${message}.`);
    return apiError(reply, 500, 'internal', message);
  });
}
