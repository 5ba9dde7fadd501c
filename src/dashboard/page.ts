/**
 * The learner's page, rendered on the server so that the instructions are there before any script runs:
 * a top bar (workshop title, time left, extend, end session), the instructions on the left and the session's
 * tools on the right as tabs (terminals, editor, console, files, the author's own dashboards).
 * The browser side (src/browser/dashboard.ts) adds terminals, actions, tab switching and live content updates;
 * src/browser/uploads.ts the upload actions, src/browser/events.ts the analytics events (src/dashboard/routes/).
 */
import { type Contents, contentsHtml, pagePosition } from '../content/contents.js';
import { html, raw, type SafeHtml } from '../content/html.js';
import type { DashboardConfig, DashboardTabConfig } from './config.js';
import { terminalLayout, terminalSessions } from './config.js';

export interface RenderedInstructions {
  readonly path: string;
  readonly title: string;
  /** The page body as the Markdown renderer made it (src/content/markdown.ts escapes what it puts in): trusted markup. */
  readonly html: string;
  readonly prev?: string;
  readonly next?: string;
}

export interface PageModel {
  readonly config: DashboardConfig;
  readonly sessionName: string;
  readonly portalUrl: string;
  readonly instructions: RenderedInstructions;
  /** The pages in reading order, for the table of contents. */
  readonly pages: Contents['pages'];
  /** The sections the pages are in, to nest the table of contents. @default - a flat list */
  readonly sections?: Contents['sections'];
  /** The host the learner reached the dashboard at (without port): decides how route tabs are addressed. */
  readonly requestHost: string;
}

/** A tab as the page shows it. */
interface PageTab {
  readonly id: string;
  readonly name: string;
  /** `terminals` for the terminal panel, else the iframe's address. */
  readonly kind: 'terminals' | 'frame';
  readonly src?: string;
}

/** The whole page, as sent. Every piece is SafeHtml: text put in is escaped by `html`. */
export function renderDashboard(model: PageModel): string {
  const { config, instructions } = model;
  const tabs = pageTabs(model);
  const terminals = terminalSessions(config);
  const title = `${instructions.title} · ${config.workshop.title}`;
  const boot = {
    session: model.sessionName,
    page: instructions.path,
    terminals,
    layout: terminalLayout(config),
    tabs: tabs.map((t) => ({ id: t.id, name: t.name })),
    endUrl: sessionEndUrl(model.portalUrl, model.sessionName),
  };
  const contents: Contents = { pages: model.pages, sections: model.sections };
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/assets/xterm/xterm.css">
<link rel="stylesheet" href="/assets/actions.css">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<a class="skip-link" href="#instructions">Skip to the instructions</a>
<header class="topbar">
  <h1 class="workshop-title">${config.workshop.title}</h1>
  <div class="session-controls">
    <span class="countdown" id="countdown" role="timer" aria-live="off" aria-label="Time left in this session" hidden></span>
    <button type="button" class="button" id="extend" hidden>Extend session</button>
    <button type="button" class="button button-danger" id="end-session">End session</button>
  </div>
</header>
<div class="notice" id="notice" role="status" aria-live="polite" hidden></div>
<main class="layout" data-layout="${boot.layout}">
  <section class="instructions" id="instructions" aria-labelledby="page-title" tabindex="-1">
    ${renderContents(contents, instructions.path)}
    <article class="page" id="page">${instructionsHtml(instructions, { contents, endUrl: boot.endUrl })}</article>
  </section>
  <div class="divider" role="separator" aria-orientation="vertical" aria-label="Resize the instructions"></div>
  <section class="workarea" aria-label="Tools">
    ${tabs.length ? renderTabs(tabs, terminals) : html`<p class="empty">This workshop has instructions only.</p>`}
  </section>
</main>
<script id="dashboard-boot" type="application/json">${jsonForScript(boot)}</script>
<script src="/assets/xterm/xterm.js"></script>
<script src="/assets/xterm/addon-fit.js"></script>
<script type="module" src="/assets/dashboard.js"></script>
<script type="module" src="/assets/uploads.js"></script>
<script type="module" src="/assets/events.js"></script>
</body>
</html>
`.toString();
}

/** Where the learner ends the session: the portal's page that asks to confirm, then returns to the portal. */
export function sessionEndUrl(portalUrl: string, sessionName: string): string {
  return new URL(`/workshops/session/${encodeURIComponent(sessionName)}/delete/`, portalUrl).toString();
}

/**
 * The page's article: what the browser swaps in when the learner moves on or the content changes. It says where
 * the page stands (page N of M), names the pages before and after, and on the last page offers the last step,
 * finishing the workshop, which ends the session and returns to the portal (`endUrl`).
 */
export function renderInstructions(page: RenderedInstructions, navigation: { contents: Contents; endUrl: string }): string {
  return instructionsHtml(page, navigation).toString();
}

function instructionsHtml(page: RenderedInstructions, navigation: { contents: Contents; endUrl: string }): SafeHtml {
  const position = pagePosition(navigation.contents, page.path);
  const link = (target: { path: string; title: string } | undefined, rel: 'prev' | 'next') => {
    if (target === undefined) return undefined;
    const label = rel === 'prev' ? '← Previous' : 'Next →';
    return html`<a class="pager-${rel}" rel="${rel}" href="${pageHref(target.path)}" data-page="${target.path}"><span class="pager-label">${label}</span><span class="pager-title">${target.title}</span></a>`;
  };
  const where = position && position.count > 1 && html`<p class="page-position">Page ${position.number} of ${position.count}</p>`;
  const finish =
    position?.next === undefined &&
    html`<section class="finish" aria-labelledby="finish-title"><h3 id="finish-title">${position && position.count > 1 ? 'You have reached the end of the workshop' : 'When you are done'}</h3>
<p>Finishing the workshop ends your session, deletes what is in it, and takes you back to the workshop portal.</p>
<a class="button" id="finish-workshop" href="${navigation.endUrl}" target="_top">Finish workshop</a></section>`;
  // The body is the Markdown renderer's output, which escaped the author's and the session's text itself.
  const body = raw(page.html);
  return html`${where}<h2 id="page-title" class="page-title">${page.title}</h2>
<div class="page-body">${body}</div>
${finish}<nav class="pager" aria-label="Previous and next page">${link(position?.prev, 'prev')}${link(position?.next, 'next')}</nav>`;
}

/** A page for errors the learner may meet (refused sign-in, portal down): what happened and where to go. */
export function errorPage(title: string, message: string, portalUrl: string): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<link rel="stylesheet" href="/assets/dashboard.css"></head>
<body class="error-page"><main class="error-box"><h1>${title}</h1><p>${message}</p>
<p><a class="button" href="${portalUrl}">Go to the workshop portal</a></p></main></body>
</html>
`.toString();
}

/**
 * What a tab shows when the application behind a session route is not answering (the route proxy sends it to
 * requests that want HTML; scripts still get JSON): which application, why, and what to do. It tries again by
 * itself, so an application that is still starting appears without the learner doing anything. Styles are inline:
 * on the route's own host, /assets/ belongs to the application.
 */
export function routeDownPage(route: { name: string; port: number; service?: string }, code: string): string {
  const where = route.service ? `its Service ${route.service}, port ${route.port}` : `port ${route.port} of the session`;
  const why: Record<string, string> = {
    ECONNREFUSED: `nothing is listening on ${where}`,
    ENOTFOUND: `the Service ${route.service ?? ''} does not exist (yet)`,
    EAI_AGAIN: `the Service ${route.service ?? ''} cannot be looked up right now`,
    ECONNRESET: `it closed the connection (on ${where})`,
    ETIMEDOUT: `it did not answer in time (on ${where})`,
  };
  const reason = why[code] ?? `it cannot be reached on ${where} (${code})`;
  const todo = route.service
    ? html`If it does not come up, check its pods in a terminal: <code>kubectl get pods,endpoints</code>.`
    : html`If it does not come up, check in a terminal that it is running and listens on port ${route.port}.`;
  const title = `The ${route.name} application is not answering`;
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="5">
<title>${title}</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;color:#1f2328;background:#f6f8fa;margin:0}main{max-width:34rem;margin:3rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #d1d9e0;border-radius:8px}h1{font-size:1.3rem;margin-top:0}code{font-family:ui-monospace,monospace}.muted{color:#59636e;font-size:.9rem}</style></head>
<body><main class="route-down" data-route="${route.name}"><h1>${title}</h1>
<p>This tab shows the session's <strong>${route.name}</strong> application, but ${reason}.</p>
<p>It may still be starting: this page tries again every 5 seconds and shows the application as soon as it answers. ${todo}</p>
<p class="muted">Error: ${code}</p></main></body>
</html>
`.toString();
}

export function pageHref(path: string): string {
  return path ? `/page/${path.split('/').map(encodeURIComponent).join('/')}` : '/';
}

/** The contents, open beside the page so the learner sees where she is and what comes. */
function renderContents(contents: Contents, current: string): SafeHtml | undefined {
  if (contents.pages.length < 2) return undefined;
  const list = contentsHtml(
    contents,
    (p) => html`<a href="${pageHref(p.path)}" data-page="${p.path}"${p.path === current && html` aria-current="page"`}>${p.title}</a>`,
  );
  return html`<details class="contents" open><summary>Contents</summary><nav aria-label="Contents">${list}</nav></details>`;
}

function renderTabs(tabs: PageTab[], terminals: string[]): SafeHtml {
  const buttons = tabs.map(
    (tab, i) =>
      html`<button type="button" role="tab" class="tab" id="tab-${tab.id}" data-tab="${tab.name}" aria-controls="panel-${tab.id}" aria-selected="${String(i === 0)}" tabindex="${i === 0 ? 0 : -1}">${tab.name}</button>`,
  );
  const panels = tabs.map((tab, i) => {
    const body =
      tab.kind === 'terminals'
        ? html`<div class="terminals" data-count="${terminals.length}">${terminals.map(terminalPane)}</div>`
        : html`<iframe class="frame" title="${tab.name}" data-src="${tab.src!}" allow="clipboard-read; clipboard-write"></iframe>`;
    return html`<div role="tabpanel" class="panel" id="panel-${tab.id}" aria-labelledby="tab-${tab.id}"${i !== 0 && html` hidden`}>${body}</div>`;
  });
  return html`<div class="tabs" role="tablist" aria-label="Tools">${buttons}</div><div class="panels">${panels}</div>`;
}

/**
 * One terminal under its name, as actions call it ("Run in terminal 2"); the name shows once there are two or more
 * (src/browser/dashboard.ts adds panes the same way for terminals that actions open).
 */
function terminalPane(id: string): SafeHtml {
  const name = `Terminal ${id}`;
  return html`<section class="terminal-pane" role="region" aria-label="${name}"><h3 class="terminal-label">${name}</h3><div class="terminal" data-terminal="${id}"></div></section>`;
}

/**
 * The tabs of dashboard.json, each once. A route's tab is addressed at the route's own host when the learner
 * came in through the session's host, and through /proxy/<route>/ otherwise (a dashboard run locally).
 */
function pageTabs(model: PageModel): PageTab[] {
  const tabs: PageTab[] = [];
  const terminals = terminalSessions(model.config);
  for (const [i, tab] of model.config.tabs.entries()) {
    const id = `t${i}`;
    if (tab.url.startsWith('terminal:')) {
      if (!terminals.length || tabs.some((t) => t.kind === 'terminals')) continue;
      tabs.push({ id, name: tab.name, kind: 'terminals' });
    } else {
      tabs.push({ id, name: tab.name, kind: 'frame', src: frameSource(model, tab) });
    }
  }
  // A layout with terminals but no terminal tab (it was not declared by the capability): still show them.
  if (terminals.length && !tabs.some((t) => t.kind === 'terminals')) tabs.unshift({ id: 'terminals', name: 'Terminal', kind: 'terminals' });
  return tabs;
}

function frameSource(model: PageModel, tab: DashboardTabConfig): string {
  let url: URL;
  try {
    url = new URL(tab.url);
  } catch {
    return tab.url; // a path of the dashboard itself
  }
  const route = model.config.routes.find((r) => r.host === url.hostname.toLowerCase());
  if (!route) return tab.url;
  const sessionHost = route.host.slice(route.name.length + 1);
  return model.requestHost === sessionHost ? tab.url : `/proxy/${route.name}${url.pathname}${url.search}`;
}

/**
 * JSON inside a <script> element: nothing in it may close the element. Script content is not HTML-decoded, so it
 * cannot be escaped as text; `raw()` after replacing every `<` is what keeps it inside the element.
 */
function jsonForScript(value: unknown): SafeHtml {
  return raw(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}
