/**
 * The session's routes (capability ports such as the editor or the console, and the author's own): requests to
 * `<route>-<session>.<domain>` or to `/proxy/<route>/…` go to the port inside the workshop pod, WebSockets
 * included, once the learner is known (unless the route says it checks its own credentials).
 *
 * It works on Node's raw requests, before fastify: a proxied body must stream through untouched, and fastify
 * would already have read it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { createProxyServer } from 'http-proxy-3';

import { isSameOrigin, isTicketPath, SAFE_METHODS } from './auth.js';
import type { DashboardRouteConfig } from './config.js';
import { routeDownPage } from './page.js';

export interface RouteProxyOptions {
  readonly routes: readonly DashboardRouteConfig[];
  /** True when the request carries a signed-in learner. */
  readonly isSignedIn: (request: IncomingMessage) => boolean;
  /** Cookies of the dashboard itself, never passed on to the routes' applications. */
  readonly privateCookie: (name: string) => boolean;
}

interface Target {
  readonly route: DashboardRouteConfig;
  /** The path to ask the target for. */
  readonly path: string;
}

const PROXY_PREFIX = /^\/proxy\/([a-z0-9-]+)(\/.*)?$/;

export class RouteProxy {
  private readonly proxy = createProxyServer({ xfwd: true, ws: true });
  private readonly byHost = new Map<string, DashboardRouteConfig>();
  private readonly byName = new Map<string, DashboardRouteConfig>();
  /** The route of each request on its way, for the page that says its application is down. */
  private readonly routeOfRequest = new WeakMap<IncomingMessage, DashboardRouteConfig>();
  /** The WebSockets passed through now: the server no longer counts them as its connections once upgraded. */
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly options: RouteProxyOptions) {
    for (const route of options.routes) {
      this.byHost.set(route.host, route);
      this.byName.set(route.name, route);
    }
    // A route whose application is not (yet) listening: a clear 502 instead of a hung request; a page (a tab's
    // frame, an address the learner opened) gets a page that says what is down and what to do.
    this.proxy.on('error', (error, req, res) => {
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      const message = `the application behind this route is not answering (${code})`;
      const route = this.routeOfRequest.get(req);
      if (isResponse(res)) {
        if (!res.headersSent && route && wantsHtml(req)) {
          res.writeHead(502, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          res.end(routeDownPage(route, code));
          return;
        }
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'bad_gateway', message }));
      } else {
        res.destroy();
      }
    });
  }

  /** True when the host is one of the session's routes (its requests are not the dashboard's). */
  public isRouteHost(host: string | undefined): boolean {
    return this.byHost.has(hostName(host));
  }

  /** Proxies the request if it is for a route the caller may use; false leaves it to the dashboard. */
  public handle(request: IncomingMessage, response: ServerResponse): boolean {
    const target = this.targetOf(request);
    if (!target) return false;
    this.prepare(request, target);
    this.proxy.web(request, response, { target: this.origin(target.route) });
    return true;
  }

  /** Same for WebSocket upgrades; a refused upgrade is answered here, since nothing else can answer it. */
  public upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const wanted = this.routeOf(request);
    if (!wanted) return false;
    if (wanted.route.authenticated && !this.options.isSignedIn(request)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nsign in to the workshop session first\n');
      return true;
    }
    // The learner's cookie opens this socket: only for pages of the session itself (see isSameOrigin).
    if (wanted.route.authenticated && !isSameOrigin(request.headers)) {
      socket.end(
        "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nthis socket opens only from the session's own pages\n",
      );
      return true;
    }
    this.prepare(request, wanted);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.proxy.ws(request, socket, head, { target: this.origin(wanted.route) });
    return true;
  }

  /**
   * The route a request is for and may reach now; unauthenticated ones are left to the dashboard's sign-in, and
   * requests that act (not GET, HEAD or OPTIONS) from a page of another origin to its requireLearner, which refuses
   * them with a 403 as it does for the dashboard's own POSTs (see isSameOrigin).
   */
  private targetOf(request: IncomingMessage): Target | null {
    const wanted = this.routeOf(request);
    if (!wanted) return null;
    if (wanted.route.authenticated && !this.options.isSignedIn(request)) return null;
    if (wanted.route.authenticated && !SAFE_METHODS.has(request.method ?? 'GET') && !isSameOrigin(request.headers)) return null;
    return wanted;
  }

  private routeOf(request: IncomingMessage): Target | null {
    const url = request.url ?? '/';
    const byHost = this.byHost.get(hostName(request.headers.host));
    if (byHost) {
      // The route's own host takes the tickets of the session's host (see auth.ts): /oauth_ticket is the dashboard's.
      return byHost.authenticated && isTicketPath(url) ? null : { route: byHost, path: url };
    }
    const match = PROXY_PREFIX.exec(url.split('?')[0]);
    const route = match ? this.byName.get(match[1]) : undefined;
    if (!match || !route) return null;
    const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
    return { route, path: `${match[2] ?? '/'}${query}` };
  }

  private prepare(request: IncomingMessage, target: Target): void {
    this.routeOfRequest.set(request, target.route);
    if (request.url !== target.path) request.headers['x-forwarded-prefix'] = `/proxy/${target.route.name}`;
    request.url = target.path;
    const cookie = request.headers.cookie;
    if (cookie) {
      const kept = cookie.split(';').filter((part) => !this.options.privateCookie(part.split('=')[0].trim()));
      if (kept.length) request.headers.cookie = kept.join(';');
      else delete request.headers.cookie;
    }
  }

  private origin(route: DashboardRouteConfig): string {
    return `http://${route.service ?? '127.0.0.1'}:${route.port}`;
  }

  /** Stops proxying: the WebSockets open through it end now (a stopping dashboard does not wait for an editor). */
  public close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.proxy.close();
  }
}

/** A Host header's name, without its port, in lower case. */
export function hostName(host: string | undefined): string {
  return (host ?? '').replace(/:\d+$/, '').toLowerCase();
}

/** A browser's page load (a navigation, a frame) rather than a script's request. */
function wantsHtml(request: IncomingMessage): boolean {
  return /\btext\/html\b/.test(String(request.headers.accept ?? ''));
}

function isResponse(value: unknown): value is ServerResponse {
  return typeof (value as ServerResponse)?.writeHead === 'function';
}
