/**
 * `workshops serve`: a local web server that shows a workshop's instructions as a learner reads them — table of
 * contents, page, previous/next, actions — with sample session values, problems in a banner on the page, and live
 * reload when a file under workshop/ changes.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

import { browserScripts, SCRIPT_TYPE } from '../browser-scripts.js';
import { loadContent } from '../load-content.js';
import type { WorkshopContent } from '../model.js';
import type { ContentProblem } from '../problems.js';
import { type RenderedPage, renderPage } from '../render-page.js';
import { sampleVariables } from '../sample-variables.js';
import { BASE_URL_VARIABLE } from '../shortcodes.js';
import { watchContent } from '../watch-content.js';
import { LiveReloadHub } from './live-reload.js';
import { isLoopback, isLoopbackHostHeader } from './local-only.js';
import { pageDocument, SCRIPTS_PATH } from './page-view.js';
import { readStaticFile } from './static-files.js';
import { WorkshopProblems } from './workshop-problems.js';

export interface PreviewOptions {
  workshopDir: string;
  /** @default '127.0.0.1' - only this machine can connect */
  host?: string;
  /** @default 0 - any free port (the returned url has the one chosen) */
  port?: number;
  /** Values for `{{< param NAME >}}` over the sample ones (see sample-variables.ts). */
  variables?: Record<string, string>;
}

export interface Preview {
  url: string;
  close(): Promise<void>;
}

const EVENTS_PATH = '/_preview/events';

export async function startPreview(opts: PreviewOptions): Promise<Preview> {
  const workshopDir = path.resolve(opts.workshopDir);
  // Static files sit at the site root, as in Hugo, so the base URL is empty unless the author says otherwise.
  const variables = { [BASE_URL_VARIABLE]: '', ...sampleVariables(opts.variables) };
  const scripts = browserScripts(['preview.js']);
  const site = new PreviewSite(workshopDir, variables, await loadContent(workshopDir));
  // Rendering every page once up front, so the first page view does not wait for it.
  site.problems().catch(() => undefined);
  const hub = new LiveReloadHub();
  const stopWatching = watchContent(workshopDir, (files) => void site.reload().then((generation) => hub.announceChange(generation, files)));

  const localOnly = isLoopback(opts.host ?? '127.0.0.1');
  const server = http.createServer((request, response) => {
    if (localOnly && !safeIsLoopbackHostHeader(request.headers.host)) {
      return sendText(response, 403, 'This preview listens on a loopback address and answers only to localhost or 127.0.0.1.');
    }
    handle(site, hub, scripts, request, response).catch(() =>
      sendText(response, 500, 'The preview could not show this page; see the terminal where it runs.'),
    );
  });
  await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}/`,
    close: async () => {
      stopWatching();
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The loaded content and what is derived from it, replaced as a whole when files change. */
class PreviewSite {
  private generation = 0;
  private reloading: Promise<number> = Promise.resolve(0);
  private allProblems?: Promise<ContentProblem[]>;
  private readonly problemsOfPages: WorkshopProblems;

  public constructor(
    private readonly workshopDir: string,
    public readonly variables: Record<string, string>,
    public content: WorkshopContent,
  ) {
    this.problemsOfPages = new WorkshopProblems(variables);
  }

  /**
   * Reloads after a change; resolves to the new generation once it is in place, so pages are told to fetch only
   * then. Reloads run one after another, so a slow older one never replaces a newer one.
   */
  public reload(): Promise<number> {
    this.reloading = this.reloading.then(async () => {
      try {
        this.content = await loadContent(this.workshopDir);
      } catch {
        // The directory vanished mid-save (some editors replace it); keep what was loaded, the next event retries.
      }
      this.allProblems = undefined;
      return ++this.generation;
    });
    return this.reloading;
  }

  public render(pagePath: string): Promise<RenderedPage> {
    return renderPage(this.content, pagePath, this.variables);
  }

  /** Every page's problems (for the banner's "elsewhere" list and the flags in the table of contents). */
  public problems(): Promise<ContentProblem[]> {
    this.allProblems ??= this.problemsOfPages.of(this.content);
    return this.allProblems;
  }
}

async function handle(
  site: PreviewSite,
  hub: LiveReloadHub,
  scripts: ReadonlyMap<string, string>,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return sendText(response, 405, 'The preview only answers GET and HEAD.');
  }
  const url = new URL(request.url ?? '/', 'http://preview.invalid');
  if (url.pathname === EVENTS_PATH) return hub.connect(request, response);
  if (url.pathname.startsWith(SCRIPTS_PATH)) {
    const script = scripts.get(url.pathname.slice(SCRIPTS_PATH.length));
    if (script === undefined) return sendText(response, 404, `There is no preview script at ${url.pathname}.`);
    response.writeHead(200, { 'content-type': SCRIPT_TYPE, 'cache-control': 'no-cache' });
    return void response.end(request.method === 'HEAD' ? undefined : script);
  }

  let urlPath: string;
  try {
    urlPath = decodeURIComponent(url.pathname);
  } catch {
    return sendText(response, 400, `The address ${url.pathname} is not valid.`);
  }
  const pagePath = urlPath.replace(/^\/+|\/+$/g, '');
  const page = site.content.pages.find((candidate) => candidate.path === pagePath);
  if (page && urlPath !== '/' && !urlPath.endsWith('/')) {
    // Hugo's pretty URLs end in "/"; relative links between pages rely on it.
    response.writeHead(301, { location: `${url.pathname}/${url.search}` });
    return void response.end();
  }
  if (page) return sendPage(site, response, pagePath);
  if (urlPath === '/' && site.content.pages.length) {
    // No workshop/content/_index.md: the site's address opens its first page rather than "not found".
    response.writeHead(302, { location: `/${site.content.pages[0].path.split('/').map(encodeURIComponent).join('/')}/` });
    return void response.end();
  }

  const file = await readStaticFile(path.join(site.content.dir, 'workshop/static'), urlPath);
  if (file) {
    response.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length, 'cache-control': 'no-store' });
    return void response.end(request.method === 'HEAD' ? undefined : file.body);
  }
  return sendNotFound(site, response, urlPath);
}

async function sendPage(site: PreviewSite, response: http.ServerResponse, pagePath: string): Promise<void> {
  const content = site.content;
  const [page, problems] = await Promise.all([site.render(pagePath), site.problems()]);
  const pageFile = content.pages.find((candidate) => candidate.path === pagePath)?.file;
  const html = pageDocument({
    content,
    currentPath: pagePath,
    page,
    otherProblems: problems.filter((problem) => problem.file !== pageFile),
    pagesWithProblems: pagesWithProblems(content, problems),
  });
  sendHtml(response, 200, html);
}

async function sendNotFound(site: PreviewSite, response: http.ServerResponse, urlPath: string): Promise<void> {
  const problems = await site.problems();
  const html = pageDocument({
    content: site.content,
    otherProblems: problems,
    pagesWithProblems: pagesWithProblems(site.content, problems),
    notFound: urlPath,
  });
  sendHtml(response, 404, html);
}

function pagesWithProblems(content: WorkshopContent, problems: readonly ContentProblem[]): Set<string> {
  const files = new Set(problems.map((problem) => problem.file));
  return new Set(content.pages.filter((page) => files.has(page.file)).map((page) => page.path));
}

function sendHtml(response: http.ServerResponse, status: number, html: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(html);
}

function sendText(response: http.ServerResponse, status: number, text: string): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

function safeIsLoopbackHostHeader(host: string | undefined): boolean {
  try {
    return isLoopbackHostHeader(host);
  } catch {
    return false; // not even a valid host name
  }
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
