/**
 * The port of `workshops sessions dashboard` (local development). It is held for the whole run: while no dashboard
 * runs it answers with a waiting page in the portal's style that says what the command is doing, and what went
 * wrong when starting the session's dashboard failed (it does not spin for ever: after a few failures it says so
 * and what to do); while a dashboard runs it forwards every request (WebSockets too) to it, and marks the
 * dashboard's page with a "local development" banner, since its terminals are shells on this machine.
 *
 * The Host header is passed on unchanged, so the dashboard builds its sign-in redirect and checks Origin against
 * the address the learner's browser uses.
 */
import * as http from 'node:http';

import { createProxyServer } from 'http-proxy-3';

import { browserScripts } from '../content/browser-scripts.js';
import { html, raw } from '../content/html.js';
import { CliError } from './errors.js';

/** What the waiting page shows (and /healthz answers with, as JSON, while no dashboard runs). */
export interface DoorState {
  /** waiting: for a learner's session; starting: its dashboard; failed: starting it failed (it is retried). */
  readonly status: 'waiting' | 'starting' | 'failed';
  readonly session?: string;
  readonly workshop?: string;
  /** What went wrong, in one line. */
  readonly error?: string;
  /** How many times in a row starting this session's dashboard failed. */
  readonly failures?: number;
  /** When the next attempt is made (ISO time). */
  readonly retryAt?: string;
}

/** A session that has ended (or is gone): its host answers with a page that says so and links back to the portal. */
export interface EndedSession {
  readonly session: string;
  /** The WorkshopSession's uid (a later session may reuse the name). */
  readonly uid?: string;
  /** Its last phase, or 'deleted'. */
  readonly phase: string;
  readonly reason?: string;
}

/** After this many failures in a row the waiting page stops its spinner and says that it needs the developer. */
export const FAILURES_SHOWN_AS_STUCK = 3;

/** The banner the dashboard's page gets: who runs the terminals and in which namespace. */
export interface LocalBanner {
  readonly homeDir: string;
  readonly namespace?: string;
}

export interface FrontDoor {
  readonly url: string;
  /** Sends every request to this dashboard with this banner; `undefined` brings the waiting page back. */
  forwardTo(target: string | undefined, banner?: LocalBanner): void;
  /** What the waiting page says now. */
  show(state: DoorState): void;
  close(): Promise<void>;
}

export interface FrontDoorOptions {
  readonly host: string;
  readonly port: number;
  /** The portal's origin as the browser reaches it: the waiting page uses its style sheet and links back to it. */
  readonly portalUrl: string;
  /** A named session (the page names it); otherwise "your session". */
  readonly session?: string;
  /**
   * Where a request goes by its Host header (`--session-hosts`: `<session>.localhost:<port>` to that session's own
   * dashboard command), before the single target; `undefined`: not routed.
   */
  readonly route?: (host: string) => string | undefined;
  /** Whether the session a Host header names has ended (checked before `route`): its tab then says so. */
  readonly ended?: (host: string) => EndedSession | undefined;
}

/** Why a session ended, in words (status.reason of src/runtime/session.ts). */
export function endedWhy(ended: EndedSession): string {
  switch (ended.reason) {
    case 'Expired':
    case 'Overdue':
      return 'its time ran out';
    case 'TerminatedByUser':
      return 'you ended it';
    case 'TerminatedByAdmin':
      return 'an administrator ended it';
    case 'Orphaned':
      return 'it was left unused for too long';
    case 'NotActivated':
      return 'it was not opened in time';
    case undefined:
      return ended.phase === 'deleted' ? 'it no longer exists' : `it is ${ended.phase.toLowerCase()}`;
    default:
      return `${ended.phase.toLowerCase()}: ${ended.reason}`;
  }
}

/** The page of an ended session's host: in the portal's style, what happened and the way back to the portal. */
export function endedPage(portalUrl: string, ended: EndedSession): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Session ended · Local development</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${portalUrl}/static/portal.css">
</head>
<body>
<header class="site-header" role="banner"><div class="bar">
<a class="brand" href="${portalUrl}/">Workshops</a>
<nav aria-label="Main"><a href="${portalUrl}/workshops/catalog/">Workshops</a><span class="who">Local development</span></nav>
</div></header>
<main id="main" tabindex="-1">
<h1 id="title">This session has ended</h1>
<section class="panel" id="ended" aria-labelledby="title" data-session="${ended.session}">
<p>Session <strong>${ended.session}</strong> has ended: ${endedWhy(ended)}. Its dashboard and terminals are gone.</p>
<p><a class="button" id="back-to-portal" href="${portalUrl}/workshops/catalog/">Back to the workshops</a></p>
</section>
</main>
</body>
</html>
`.toString();
}

/** The compiled scripts of src/browser the local loop's pages carry inline (its front doors serve no files of their own). */
let localScripts: Map<string, string> | undefined;
function inlineScript(name: string): string {
  localScripts ??= browserScripts(['local-ended-watch.js', 'local-waiting.js']);
  const code = localScripts.get(name) ?? '';
  if (/<\/script/i.test(code)) throw new Error(`lib/browser/${name} contains '</script', which would end its inline script early`);
  return `<script type="module">\n${code}</script>`;
}

/**
 * Put into the dashboard's page with the banner: when the session ends, its host answers /healthz with "ended" and
 * the page loads the ended page (src/browser/local-ended-watch.ts).
 */
export function endedWatch(): string {
  return inlineScript('local-ended-watch.js');
}

/** The waiting page: the portal's style sheet, a header like the portal's, and the steps the command goes through. */
export function waitingPage(portalUrl: string, session?: string): string {
  const who = session ? `session ${session}` : 'your session';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Waiting for ${who} · Local development</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${portalUrl}/static/portal.css">
<style>
.step.failed { color: var(--danger, #b42318); font-weight: 600; }
.step.failed::before { border-color: var(--danger, #b42318); background: var(--danger, #b42318); animation: none; }
#problem code { white-space: pre-wrap; word-break: break-word; }
</style>
</head>
<body>
<header class="site-header" role="banner"><div class="bar">
<a class="brand" href="${portalUrl}/">Workshops</a>
<nav aria-label="Main"><a href="${portalUrl}/workshops/catalog/">Workshops</a><span class="who">Local development</span></nav>
</div></header>
<main id="main" tabindex="-1">
<h1 id="title">Waiting for ${who}</h1>
<section class="panel" id="door" aria-labelledby="title" data-state="waiting" data-stuck-after="${FAILURES_SHOWN_AS_STUCK}">
<ol class="steps" aria-live="polite">
<li class="step current" data-step="session">The portal gives you a session</li>
<li class="step" data-step="dashboard">Its dashboard starts on this machine</li>
</ol>
<div class="notice notice-error" id="problem" role="alert" hidden></div>
<p class="muted" id="about">Local development: <code>workshops sessions dashboard</code> runs the session's dashboard as a
process on this machine and opens it here as soon as it is up.</p>
</section>
</main>
${raw(inlineScript('local-waiting.js'))}
</body>
</html>
`.toString();
}

/** The banner put at the top of the dashboard's own page. */
export function bannerHtml(banner: LocalBanner): string {
  const style =
    'position:fixed;left:.5rem;bottom:.5rem;z-index:2147483647;max-width:calc(100vw - 1rem);' +
    'padding:.25rem .75rem;border-radius:999px;background:#9a6700;color:#fff;font:600 .8rem/1.4 system-ui,sans-serif;' +
    'box-shadow:0 1px 4px rgba(0,0,0,.3);pointer-events:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis';
  return html`<div id="local-dev-banner" role="note" style="${style}">Local development: terminals are shells on this machine (home ${banner.homeDir})${
    banner.namespace ? `, kubectl in namespace ${banner.namespace}` : ''
  }</div>${raw(endedWatch())}`.toString();
}

function injectBanner(html: string, banner: LocalBanner): string {
  return injectAfterBody(html, bannerHtml(banner));
}

/** `snippet` put right after the page's <body> tag (the page as it is when it has none). */
export function injectAfterBody(html: string, snippet: string): string {
  const body = /<body[^>]*>/i.exec(html);
  if (!body) return html;
  const at = body.index + body[0].length;
  return `${html.slice(0, at)}\n${snippet}${html.slice(at)}`;
}

function portInUse(host: string, port: number): CliError {
  return new CliError(
    `port ${port} on ${host} is in use (another session's dashboard?): stop it, or pass --port <another> and start the portal with PORTAL_DEV_SESSION_URL=http://${host}:<another>`,
  );
}

export async function frontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const { host, port } = options;
  const html = waitingPage(options.portalUrl, options.session);
  // selfHandleResponse: the dashboard's top-level page is answered here, with the banner added
  const proxy = createProxyServer({ ws: true, selfHandleResponse: true });
  let target: string | undefined;
  let banner: LocalBanner | undefined;
  let state: DoorState = { status: 'waiting', session: options.session };
  proxy.on('proxyReq', (proxyReq) => {
    // the banner goes into the page's text: ask for it uncompressed
    proxyReq.removeHeader('accept-encoding');
  });
  proxy.on('proxyRes', (proxyRes, request, response) => {
    const res = response as http.ServerResponse;
    const type = String(proxyRes.headers['content-type'] ?? '');
    const dest = String(request.headers['sec-fetch-dest'] ?? 'document');
    const path = String(request.url ?? '/');
    if (
      banner &&
      request.method === 'GET' &&
      type.startsWith('text/html') &&
      !proxyRes.headers['content-encoding'] &&
      dest === 'document' &&
      !path.startsWith('/proxy/')
    ) {
      const chunks: Buffer[] = [];
      proxyRes.on('data', (c: Buffer) => chunks.push(c));
      proxyRes.on('end', () => {
        const body = injectBanner(Buffer.concat(chunks).toString('utf8'), banner!);
        const headers = { ...proxyRes.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(proxyRes.statusCode ?? 200, headers);
        res.end(body);
      });
      proxyRes.on('error', () => res.destroy());
      return;
    }
    res.writeHead(proxyRes.statusCode ?? 200, proxyRes.statusMessage ?? '', proxyRes.headers);
    proxyRes.pipe(res);
  });
  proxy.on('error', (_error, _request, res) => {
    if (res instanceof http.ServerResponse && !res.headersSent)
      res.writeHead(502, { 'content-type': 'text/plain' }).end('the session dashboard did not answer');
    else res.destroy();
  });
  const routed = (request: http.IncomingMessage) => options.route?.(String(request.headers.host ?? '')) ?? target;
  const server = http.createServer((request, response) => {
    const gone = options.ended?.(String(request.headers.host ?? ''));
    if (gone) {
      const healthz = request.url?.split('?')[0] === '/healthz';
      response.writeHead(410, { 'content-type': healthz ? 'application/json' : 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return response.end(healthz ? JSON.stringify({ status: 'ended', ...gone }) : endedPage(options.portalUrl, gone));
    }
    const to = routed(request);
    if (to) return proxy.web(request, response, { target: to });
    if (request.url === '/favicon.ico') return response.writeHead(204).end();
    const healthz = request.url?.split('?')[0] === '/healthz';
    response.writeHead(503, {
      'content-type': healthz ? 'application/json' : 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'retry-after': '1',
    });
    response.end(healthz ? JSON.stringify(state) : html);
  });
  server.on('upgrade', (request, socket, head) => {
    const to = options.ended?.(String(request.headers.host ?? '')) ? undefined : routed(request);
    if (to) proxy.ws(request, socket, head, { target: to });
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? portInUse(host, port) : error));
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    forwardTo: (next, nextBanner) => {
      target = next;
      banner = nextBanner;
    },
    show: (next) => {
      state = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        proxy.close();
      }),
  };
}
