/**
 * The learner's page, rendered on the server so that the instructions are there before any script runs:
 * a top bar (workshop title, time left, extend, end session), the instructions on the left and the session's
 * tools on the right as tabs (terminals, editor, console, files, the author's own dashboards).
 * The browser side (assets/dashboard.js) adds terminals, actions, tab switching and live content updates.
 */
import { escapeHtml } from '../content/html.js';
import type { DashboardConfig, DashboardTabConfig } from './config.js';
import { terminalLayout, terminalSessions } from './config.js';

// The content module's escaping, also for static-files.ts and the unit tests.
export { escapeHtml };

export interface RenderedInstructions {
  readonly path: string;
  readonly title: string;
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
  readonly pages: ReadonlyArray<{ path: string; title: string }>;
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
    endUrl: new URL(`/workshops/session/${encodeURIComponent(model.sessionName)}/delete/`, model.portalUrl).toString(),
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/xterm/xterm.css">
<link rel="stylesheet" href="/assets/actions.css">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<a class="skip-link" href="#instructions">Skip to the instructions</a>
<header class="topbar">
  <h1 class="workshop-title">${escapeHtml(config.workshop.title)}</h1>
  <div class="session-controls">
    <span class="countdown" id="countdown" role="timer" aria-live="off" aria-label="Time left in this session" hidden></span>
    <button type="button" class="button" id="extend" hidden>Extend session</button>
    <button type="button" class="button button-danger" id="end-session">End session</button>
  </div>
</header>
<div class="notice" id="notice" role="status" aria-live="polite" hidden></div>
<main class="layout" data-layout="${escapeHtml(boot.layout)}">
  <section class="instructions" id="instructions" aria-labelledby="page-title" tabindex="-1">
    ${renderContents(model.pages, instructions.path)}
    <article class="page" id="page">${renderInstructions(instructions)}</article>
  </section>
  <div class="divider" role="separator" aria-orientation="vertical" aria-label="Resize the instructions"></div>
  <section class="workarea" aria-label="Tools">
    ${tabs.length ? renderTabs(tabs, terminals) : '<p class="empty">This workshop has instructions only.</p>'}
  </section>
</main>
<script id="dashboard-boot" type="application/json">${jsonForScript(boot)}</script>
<script src="/assets/xterm/xterm.js"></script>
<script src="/assets/xterm/addon-fit.js"></script>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}

/** The page's article: what the browser swaps in when the learner moves on or the content changes. */
export function renderInstructions(page: RenderedInstructions): string {
  const link = (path: string | undefined, rel: 'prev' | 'next', label: string) =>
    path === undefined ? '' : `<a class="button pager-${rel}" rel="${rel}" href="${pageHref(path)}" data-page="${escapeHtml(path)}">${label}</a>`;
  return `<h2 id="page-title" class="page-title">${escapeHtml(page.title)}</h2>
<div class="page-body">${page.html}</div>
<nav class="pager" aria-label="Pages">${link(page.prev, 'prev', 'Previous')}${link(page.next, 'next', 'Next')}</nav>`;
}

/** A page for errors the learner may meet (refused sign-in, portal down): what happened and where to go. */
export function errorPage(title: string, message: string, portalUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/dashboard.css"></head>
<body class="error-page"><main class="error-box"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
<p><a class="button" href="${escapeHtml(portalUrl)}">Go to the workshop portal</a></p></main></body>
</html>
`;
}

export function pageHref(path: string): string {
  return path ? `/page/${path.split('/').map(encodeURIComponent).join('/')}` : '/';
}

function renderContents(pages: PageModel['pages'], current: string): string {
  if (pages.length < 2) return '';
  const items = pages
    .map((p) => `<li><a href="${pageHref(p.path)}" data-page="${escapeHtml(p.path)}"${p.path === current ? ' aria-current="page"' : ''}>${escapeHtml(p.title)}</a></li>`)
    .join('');
  return `<details class="contents"><summary>Contents</summary><nav aria-label="Contents"><ol>${items}</ol></nav></details>`;
}

function renderTabs(tabs: PageTab[], terminals: string[]): string {
  const buttons = tabs
    .map((tab, i) => `<button type="button" role="tab" class="tab" id="tab-${tab.id}" data-tab="${escapeHtml(tab.name)}" aria-controls="panel-${tab.id}" aria-selected="${i === 0}" tabindex="${i === 0 ? 0 : -1}">${escapeHtml(tab.name)}</button>`)
    .join('');
  const panels = tabs
    .map((tab, i) => {
      const body = tab.kind === 'terminals'
        ? `<div class="terminals" data-count="${terminals.length}">${terminals.map((id) => `<div class="terminal" data-terminal="${escapeHtml(id)}" role="region" aria-label="Terminal ${escapeHtml(id)}"></div>`).join('')}</div>`
        : `<iframe class="frame" title="${escapeHtml(tab.name)}" data-src="${escapeHtml(tab.src!)}" allow="clipboard-read; clipboard-write"></iframe>`;
      return `<div role="tabpanel" class="panel" id="panel-${tab.id}" aria-labelledby="tab-${tab.id}"${i === 0 ? '' : ' hidden'}>${body}</div>`;
    })
    .join('');
  return `<div class="tabs" role="tablist" aria-label="Tools">${buttons}</div><div class="panels">${panels}</div>`;
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

/** JSON inside a <script> element: nothing in it may close the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
