/**
 * The session dashboard in the browser (src/dashboard/page.ts, served as /assets/dashboard.js after xterm.js and its
 * fit add-on): tabs, terminals (xterm.js over WebSockets), clickable actions in the instructions, live instruction
 * updates and the session's countdown. uploads.ts adds the upload actions, events.ts the analytics events.
 */
import type { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';

import { type ActionArgs, actionOf, activatesAction, argsOf, copyText, outcome } from './shared/actions.js';
import { TERMINAL_CONNECTED, type TerminalConnected } from './shared/terminal-events.js';

declare global {
  interface Window {
    /** xterm.js and its fit add-on, loaded as classic scripts before this one. */
    Terminal: typeof Terminal;
    FitAddon: { FitAddon: typeof FitAddon };
    /** For tests and the browser's console: the terminals, and opening a tab by name. */
    dashboard: { terminals: Record<string, TerminalEntry>; openTab(name: string): boolean };
  }
}

/** The page's start-up data (`boot` in src/dashboard/page.ts). */
interface Boot {
  readonly page: string;
  readonly endUrl: string;
}

type TerminalMessage = { type: 'input'; data: string } | { type: 'resize'; cols: number; rows: number };

interface TerminalEntry {
  readonly id: string;
  readonly term: Terminal;
  readonly fit: FitAddon;
  socket: WebSocket | null;
  readonly element: HTMLElement;
  /** What was typed while the socket was not open, sent once it opens. */
  readonly queue: TerminalMessage[];
  retries: number;
  connectedBefore: boolean;
}

/** What an action does; its promise settles when it is done (the block then says so). */
type ActionHandler = (args: ActionArgs, element: HTMLElement) => unknown;

/** The portal's schedule of the session (/session/schedule, /session/extend). */
interface Schedule {
  readonly status?: string;
  readonly countdown?: number | null;
  readonly expires?: string | null;
  readonly extendable?: boolean;
  readonly extended?: boolean;
  readonly message?: string;
}

/** An element the page always has (src/dashboard/page.ts). */
function required<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the dashboard page has no #${id}`);
  return element as T;
}

const boot = JSON.parse(required('dashboard-boot').textContent ?? '{}') as Boot;
const terminals: Record<string, TerminalEntry> = {};
const notice = required('notice');

// ---------------------------------------------------------------- tabs

const tabButtons = Array.from(document.querySelectorAll<HTMLElement>('[role="tab"]'));

function panelOf(button: Element): HTMLElement | null {
  return document.getElementById(button.getAttribute('aria-controls') ?? '');
}

function openTab(button: HTMLElement | undefined): boolean {
  if (!button) return false;
  for (const b of tabButtons) {
    const selected = b === button;
    b.setAttribute('aria-selected', String(selected));
    b.tabIndex = selected ? 0 : -1;
    const panel = panelOf(b);
    if (!panel) continue;
    panel.hidden = !selected;
    if (selected) {
      // Frames load on first sight: an editor or console costs nothing until the learner wants it.
      const frame = panel.querySelector('iframe[data-src]');
      if (frame && !frame.getAttribute('src')) frame.setAttribute('src', frame.getAttribute('data-src') ?? '');
    }
  }
  fitAll();
  return true;
}

function tabNamed(name: unknown): HTMLElement | undefined {
  const wanted = String(name || '').toLowerCase();
  return tabButtons.find((b) => (b.getAttribute('data-tab') ?? '').toLowerCase() === wanted);
}

/** A tab made by an action (dashboard:create-dashboard): an iframe on the URL, next to the others. */
function addFrameTab(name: string, url: string): HTMLElement {
  const list = document.querySelector('.tabs');
  const panels = document.querySelector('.panels');
  if (!list || !panels) throw new Error('this workshop has no tabs');
  const id = `x${tabButtons.length}-${Date.now()}`;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'tab';
  button.id = `tab-${id}`;
  button.setAttribute('role', 'tab');
  button.setAttribute('data-tab', name);
  button.setAttribute('aria-controls', `panel-${id}`);
  button.textContent = name;
  const panel = document.createElement('div');
  panel.className = 'panel';
  panel.id = `panel-${id}`;
  panel.setAttribute('role', 'tabpanel');
  panel.setAttribute('aria-labelledby', button.id);
  panel.hidden = true;
  const frame = document.createElement('iframe');
  frame.className = 'frame';
  frame.title = name;
  frame.setAttribute('data-src', url);
  panel.appendChild(frame);
  list.appendChild(button);
  panels.appendChild(panel);
  tabButtons.push(button);
  wireTab(button);
  return button;
}

function terminalTab(): HTMLElement | undefined {
  return tabButtons.find((b) => panelOf(b)?.querySelector('.terminals'));
}

/** Click to open; arrow keys move along the tabs (the WAI-ARIA tabs pattern). */
function wireTab(button: HTMLElement): void {
  button.addEventListener('click', () => openTab(button));
  button.addEventListener('keydown', (event) => {
    const i = tabButtons.indexOf(button);
    const next = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    const target = tabButtons[(next + tabButtons.length) % tabButtons.length];
    openTab(target);
    target.focus();
    event.preventDefault();
  });
}
tabButtons.forEach(wireTab);

// ---------------------------------------------------------------- terminals

function socketUrl(path: string): string {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}

function createTerminal(element: HTMLElement, id: string): TerminalEntry {
  const term = new window.Terminal({
    cursorBlink: true,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#10161d', foreground: '#e6edf3', cursor: '#7ee787' },
  });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(element);
  const entry: TerminalEntry = { id, term, fit, socket: null, element, queue: [], retries: 0, connectedBefore: false };
  terminals[id] = entry;
  term.onData((data) => send(entry, { type: 'input', data }));
  new ResizeObserver(() => fitTerminal(entry)).observe(element);
  connect(entry);
  return entry;
}

function connect(entry: TerminalEntry): void {
  const socket = new WebSocket(socketUrl(`/terminal/session/${encodeURIComponent(entry.id)}`));
  entry.socket = socket;
  let opened = false;
  socket.onopen = () => {
    opened = true;
    entry.retries = 0;
    // The server replays the shell's recent output: start from a clean screen so nothing shows twice.
    entry.term.reset();
    entry.element.setAttribute('data-connected', 'true');
    // events.ts reports it (Terminal/Connect, then Terminal/Reconnect): which terminal, never what it shows
    const detail: TerminalConnected = { terminal: entry.id, reconnect: entry.connectedBefore };
    document.dispatchEvent(new CustomEvent(TERMINAL_CONNECTED, { detail }));
    entry.connectedBefore = true;
    fitTerminal(entry, true);
    for (const message of entry.queue.splice(0)) socket.send(JSON.stringify(message));
  };
  socket.onmessage = (event: MessageEvent<string>) => entry.term.write(event.data);
  socket.onclose = () => {
    entry.element.setAttribute('data-connected', 'false');
    if (!opened && entry.retries >= 2) {
      // Refused twice in a row: most likely the sign-in lapsed; the page goes through the portal again.
      checkSignedIn();
    }
    entry.retries += 1;
    setTimeout(() => connect(entry), Math.min(10000, 500 * entry.retries));
  };
}

function send(entry: TerminalEntry, message: TerminalMessage): void {
  if (entry.socket && entry.socket.readyState === WebSocket.OPEN) entry.socket.send(JSON.stringify(message));
  else entry.queue.push(message);
}

function fitTerminal(entry: TerminalEntry, force = false): void {
  if (!entry.element.offsetParent) return; // hidden: it has no size to fit to
  const before = `${entry.term.cols}x${entry.term.rows}`;
  try {
    entry.fit.fit();
  } catch {
    return;
  }
  const after = `${entry.term.cols}x${entry.term.rows}`;
  if (force || before !== after) send(entry, { type: 'resize', cols: entry.term.cols, rows: entry.term.rows });
}

function fitAll(): void {
  for (const entry of Object.values(terminals)) fitTerminal(entry);
}

/** The terminal for an action's `session`; one not in the layout is added to the terminal panel. */
function terminalFor(session: unknown): TerminalEntry | null {
  const id = String(session || '1');
  if (terminals[id]) return terminals[id];
  const holder = document.querySelector('.terminals');
  if (!holder || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) return null;
  // the same markup as the page's own panes (page.ts terminalPane): the name above, the terminal below
  const pane = document.createElement('section');
  pane.className = 'terminal-pane';
  pane.setAttribute('role', 'region');
  pane.setAttribute('aria-label', `Terminal ${id}`);
  const label = document.createElement('h3');
  label.className = 'terminal-label';
  label.textContent = `Terminal ${id}`;
  const element = document.createElement('div');
  element.className = 'terminal';
  element.setAttribute('data-terminal', id);
  pane.appendChild(label);
  pane.appendChild(element);
  holder.appendChild(pane);
  holder.setAttribute('data-count', String(holder.children.length));
  fitAll();
  return createTerminal(element, id);
}

for (const element of document.querySelectorAll<HTMLElement>('.terminal[data-terminal]')) {
  createTerminal(element, element.getAttribute('data-terminal') ?? '');
}
window.addEventListener('resize', fitAll);

// ---------------------------------------------------------------- actions in the instructions

function showTerminal(session: unknown): TerminalEntry | null {
  openTab(terminalTab());
  const entry = terminalFor(session);
  if (entry) entry.term.focus();
  return entry;
}

function typeInto(entry: TerminalEntry | null, text: string): void {
  if (!entry) throw new Error('this workshop has no terminal');
  send(entry, { type: 'input', data: text });
}

/** A refusal that is the workshop's own answer ("not yet: …"), shown as it is. */
function examinerRefusal(message: string): Error {
  return Object.assign(new Error(message), { examiner: true });
}

/**
 * An editor:* action: the Editor tab comes forward (its frame loads, and with it the editor's extension, on first
 * sight), then the dashboard forwards the action to the editor (src/dashboard/editor-bridge.ts), which waits for
 * the editor to be ready. The editor's refusal (file missing, text not found, a bad field) is shown as it says it.
 */
function editorAction(name: string): ActionHandler {
  return async (args, element) => {
    if (!openTab(tabNamed('Editor'))) throw new Error('this workshop has no editor');
    outcome(element, 'running', 'Working in the editor…');
    const response = await fetch(`/editor/actions/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(args),
    });
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    if (response.status === 401) checkSignedIn();
    if (!response.ok) throw new Error(body.message || `the editor answered ${response.status}`);
  };
}

const actions: Record<string, ActionHandler> = {
  'terminal:execute': (args) => {
    const entry = showTerminal(args.session);
    if (args.clear && entry) entry.term.clear();
    typeInto(entry, `${String(args.command || '')}\r`);
  },
  'terminal:execute-all': (args) => {
    openTab(terminalTab());
    const entries = Object.values(terminals);
    if (!entries.length) throw new Error('this workshop has no terminal');
    for (const entry of entries) {
      if (args.clear) entry.term.clear();
      typeInto(entry, `${String(args.command || '')}\r`);
    }
  },
  'terminal:input': (args) => {
    const entry = showTerminal(args.session);
    typeInto(entry, String(args.text || '') + (args.endl === false ? '' : '\r'));
  },
  'terminal:interrupt': (args) => {
    typeInto(showTerminal(args.session), '\u0003');
  },
  'terminal:clear': (args) => {
    const entry = showTerminal(args.session);
    if (entry) entry.term.clear();
  },
  'terminal:interrupt-all': () => {
    openTab(terminalTab());
    for (const entry of Object.values(terminals)) typeInto(entry, '\u0003');
  },
  'terminal:clear-all': () => {
    openTab(terminalTab());
    for (const entry of Object.values(terminals)) entry.term.clear();
  },
  'terminal:select': (args) => {
    if (!showTerminal(args.session)) throw new Error('this workshop has no terminal');
  },
  'workshop:copy': (args) => copyText(String(args.text || '')),
  'workshop:copy-and-edit': (args) => copyText(String(args.text || '')),
  'dashboard:open-dashboard': (args) => {
    if (!openTab(tabNamed(args.name))) throw new Error(`there is no tab named "${String(args.name)}"`);
  },
  'dashboard:reload-dashboard': (args) => {
    const button = tabNamed(args.name);
    if (!button || !openTab(button)) throw new Error(`there is no tab named "${String(args.name)}"`);
    const frame = panelOf(button)?.querySelector('iframe');
    if (frame) frame.setAttribute('src', frame.getAttribute('data-src') ?? '');
  },
  'section:begin': (_args, element) => {
    // Educates' collapsible sections: everything up to the matching section:end folds away.
    const open = element.getAttribute('aria-expanded') !== 'true';
    element.setAttribute('aria-expanded', String(open));
    for (let node = element.nextElementSibling; node; node = node.nextElementSibling) {
      if (node.getAttribute('data-action') === 'section:end') break;
      if (node instanceof HTMLElement) node.hidden = !open;
    }
  },
  'dashboard:create-dashboard': (args) => {
    const existing = tabNamed(args.name);
    if (existing) return openTab(existing);
    const url = String(args.url || '');
    if (url.startsWith('terminal:')) {
      showTerminal(url.slice('terminal:'.length));
      return undefined;
    }
    return openTab(addFrameTab(String(args.name), url));
  },
  'dashboard:delete-dashboard': (args) => {
    const button = tabNamed(args.name);
    if (!button) throw new Error(`there is no tab named "${String(args.name)}"`);
    const panel = panelOf(button);
    if (panel && panel.querySelector('.terminals')) throw new Error('the terminals stay');
    tabButtons.splice(tabButtons.indexOf(button), 1);
    button.remove();
    if (panel) panel.remove();
    openTab(tabButtons[0]);
  },
  'files:download-file': (args) => {
    const link = document.createElement('a');
    link.href = `/files/${String(args.path || '')
      .split('/')
      .map(encodeURIComponent)
      .join('/')}`;
    link.download = String(
      args.download ||
        String(args.path || '')
          .split('/')
          .pop(),
    );
    document.body.appendChild(link);
    link.click();
    link.remove();
  },
  'section:heading': () => undefined,
  'dashboard:open-url': (args) => window.open(String(args.url), '_blank', 'noopener'),
  'editor:open-file': editorAction('open-file'),
  'editor:select-matching-text': editorAction('select-matching-text'),
  'editor:replace-text-selection': editorAction('replace-text-selection'),
  'editor:append-lines-to-file': editorAction('append-lines-to-file'),
  'editor:insert-lines-before-line': editorAction('insert-lines-before-line'),
  'editor:append-lines-after-match': editorAction('append-lines-after-match'),
  'editor:insert-value-into-yaml': editorAction('insert-value-into-yaml'),
  'editor:execute-command': editorAction('execute-command'),
  'examiner:execute-test': async (args) => {
    const name = String(args.name || '');
    const response = await fetch(`/examiner/test/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ args: args.args || [], timeout: args.timeout }),
    });
    const result = (await response.json()) as { success?: boolean; output?: string; message?: string };
    if (!response.ok) throw new Error(result.message || 'the test could not run');
    if (!result.success) {
      throw examinerRefusal(`not yet: ${(result.output || 'the check did not pass').trim().split('\n').slice(-3).join(' ')}`);
    }
  },
};

/** What a block says when its action is done ('' for nothing; 'Done' when not named here). */
const labels: Record<string, string> = {
  'workshop:copy': 'Copied',
  'workshop:copy-and-edit': 'Copied',
  'examiner:execute-test': 'Passed',
  'section:begin': '',
  'section:heading': '',
  'files:download-file': 'Downloading',
};

function runAction(element: HTMLElement): void {
  const name = element.getAttribute('data-action') ?? '';
  const handler = actions[name];
  if (!handler) {
    outcome(element, 'failed', `This dashboard cannot do "${name}" yet.`);
    return;
  }
  if (name === 'examiner:execute-test') outcome(element, 'running', 'Checking…');
  Promise.resolve()
    .then(() => handler(argsOf(element), element))
    .then(() => {
      if (labels[name] !== '') outcome(element, 'done', labels[name] || 'Done');
    })
    .catch((error: Error & { examiner?: boolean }) => {
      outcome(element, 'failed', error.examiner ? error.message : `Could not do that: ${error.message}`);
    });
}

function prepareActions(root: ParentNode): void {
  for (const element of root.querySelectorAll<HTMLElement>('[data-action]')) {
    if (element.getAttribute('data-action') === 'section:begin') {
      // Sections start folded, as in Educates.
      element.setAttribute('aria-expanded', 'true');
      void actions['section:begin']({}, element);
    }
    if (!element.hasAttribute('tabindex')) element.tabIndex = 0;
    if (!element.hasAttribute('role')) element.setAttribute('role', 'button');
    if (element.getAttribute('data-action') === 'examiner:execute-test' && argsOf(element).autostart) runAction(element);
  }
}

const article = required('page');

document.addEventListener('click', (event) => {
  const element = actionOf(event);
  if (element && article.contains(element)) {
    event.preventDefault();
    runAction(element);
  }
});
document.addEventListener('keydown', (event) => {
  const element = actionOf(event);
  if (element && activatesAction(event, element)) {
    event.preventDefault();
    runAction(element);
  }
});

// ---------------------------------------------------------------- instructions: moving on, live updates

/** A page of the instructions (/workshop/pages/<path>). */
interface InstructionsPage {
  readonly path: string;
  readonly title: string;
  readonly article: string;
}

let currentPage = boot.page;

async function loadPage(path: string, push: boolean): Promise<void> {
  const response = await fetch(`/workshop/pages/${path.split('/').map(encodeURIComponent).join('/')}`, { headers: { accept: 'application/json' } });
  if (response.status === 401) {
    checkSignedIn();
    throw new Error('signed out');
  }
  if (response.status === 404 && path !== '') return loadPage('', push);
  if (!response.ok) throw new Error('the page cannot be loaded');
  const page = (await response.json()) as InstructionsPage | null;
  if (!page) return;
  const instructions = required('instructions');
  const scroll = push ? 0 : instructions.scrollTop;
  // the dashboard's own rendering of the instructions (src/dashboard/page.ts renderInstructions), escaped there
  article.innerHTML = page.article;
  currentPage = page.path;
  document.title = `${page.title} · ${document.querySelector('.workshop-title')?.textContent ?? ''}`;
  for (const a of document.querySelectorAll('.contents a[data-page]')) {
    if (a.getAttribute('data-page') === page.path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  prepareActions(article);
  if (push) {
    history.pushState({ page: page.path }, '', page.path ? `/page/${page.path}` : '/');
    required('page-title').focus();
  }
  instructions.scrollTop = scroll;
  document.body.setAttribute('data-content-version', String(Number(document.body.getAttribute('data-content-version') || 0) + 1));
}

document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest<HTMLAnchorElement>('a[data-page]') : null;
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  loadPage(link.getAttribute('data-page') ?? '', true).catch(() => {
    location.href = link.href;
  });
});
window.addEventListener('popstate', (event: PopStateEvent) => {
  const state = event.state as { page?: string } | null;
  void loadPage(state && state.page !== undefined ? state.page : boot.page, false);
});
history.replaceState({ page: boot.page }, '');
required('page-title').setAttribute('tabindex', '-1');
prepareActions(article);

const contentEvents = new EventSource('/events');
// Marks the page as following content changes (tests wait for it; styles may show it).
contentEvents.addEventListener('open', () => document.body.setAttribute('data-live', 'true'));
contentEvents.addEventListener('error', () => document.body.setAttribute('data-live', 'false'));
contentEvents.addEventListener('content', () => {
  // New instructions: the page re-reads them in place; the terminals keep running.
  loadPage(currentPage, false).then(
    () => say('The instructions were updated.'),
    () => undefined,
  );
});

// ---------------------------------------------------------------- session: time left, extend, end

const countdown = required('countdown');
const extendButton = required<HTMLButtonElement>('extend');
let expires: number | null = null;
let scheduleTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * The portal's schedule: the time counts only once the learner has the session (status RUNNING; while it is
 * still being prepared, or waits for its activation, the portal's expiry is not yet hers, and it is set again
 * when she gets it). It counts down the seconds the portal says are left, not to its clock time, so a browser
 * whose clock is off still shows the right time. Extend shows only when the portal's rules allow it now.
 */
function applySchedule(schedule: Schedule | null): void {
  if (!schedule) return;
  const running = !schedule.status || String(schedule.status).toUpperCase() === 'RUNNING';
  if (!running) expires = null;
  else if (typeof schedule.countdown === 'number') expires = Date.now() + schedule.countdown * 1000;
  else if (schedule.expires) expires = new Date(schedule.expires).getTime();
  else expires = null;
  countdown.hidden = !expires;
  extendButton.hidden = !(running && expires && schedule.extendable);
  document.body.setAttribute('data-session-status', running ? 'running' : String(schedule.status).toLowerCase());
  // while the session is prepared, look again soon: the time starts when it is the learner's
  clearTimeout(scheduleTimer);
  scheduleTimer = setTimeout(refreshSchedule, running ? 60000 : 2000);
  tick();
}

function tick(): void {
  if (!expires) return;
  const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
  const minutes = Math.floor(left / 60);
  const seconds = left % 60;
  countdown.hidden = false;
  countdown.textContent = `${minutes}:${seconds < 10 ? '0' : ''}${seconds} left`;
  countdown.classList.toggle('countdown-low', left < 300);
}

function refreshSchedule(): void {
  const later = () => {
    clearTimeout(scheduleTimer);
    scheduleTimer = setTimeout(refreshSchedule, 60000);
  };
  fetch('/session/schedule', { headers: { accept: 'application/json' } })
    .then((response) => (response.ok ? (response.json() as Promise<Schedule>) : null))
    .then((schedule) => (schedule ? applySchedule(schedule) : later()))
    .catch(later);
}

extendButton.addEventListener('click', () => {
  extendButton.disabled = true;
  fetch('/session/extend', { method: 'POST', headers: { accept: 'application/json' } })
    .then(async (response) => {
      const body = (await response.json()) as Schedule;
      if (!response.ok) throw new Error(body.message || 'the session cannot be extended');
      applySchedule(body);
      // The portal answers 200 with extended: false when its rules allow no more time.
      if (body.extended === false) throw new Error(body.message || 'The session cannot be extended any further.');
      say('The session was extended.');
    })
    .catch((error: Error) => say(error.message))
    .finally(() => {
      extendButton.disabled = false;
    });
});

// The portal's page asks for confirmation and ends the session; the dashboard only takes the learner there.
required('end-session').addEventListener('click', () => {
  (window.top || window).location.href = boot.endUrl;
});

refreshSchedule();
setInterval(tick, 1000);

// ---------------------------------------------------------------- the rest

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function say(message: string): void {
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    notice.hidden = true;
  }, 6000);
}

/** A lapsed sign-in shows up as refused requests: one navigation through the portal puts it right. */
function checkSignedIn(): void {
  fetch('/session/whoami', { headers: { accept: 'application/json' } }).then(
    (response) => {
      if (response.status === 401) location.reload();
    },
    () => undefined,
  );
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') fetch('/session/view', { method: 'POST' }).catch(() => undefined);
});

// The divider between instructions and tools can be dragged.
const divider = document.querySelector<HTMLElement>('.divider');
const layout = document.querySelector<HTMLElement>('.layout');
if (divider && layout) {
  divider.addEventListener('pointerdown', (event) => {
    divider.setPointerCapture(event.pointerId);
    const move = (e: PointerEvent) => {
      const share = Math.min(80, Math.max(20, (e.clientX / window.innerWidth) * 100));
      layout.style.setProperty('--instructions-width', `${share}%`);
      fitAll();
    };
    const up = () => {
      divider.removeEventListener('pointermove', move);
      divider.removeEventListener('pointerup', up);
    };
    divider.addEventListener('pointermove', move);
    divider.addEventListener('pointerup', up);
  });
}

window.dashboard = { terminals, openTab: (name) => openTab(tabNamed(name)) };
