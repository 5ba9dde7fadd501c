/**
 * The dashboard's analytics events (src/dashboard/routes/events.ts; served as /assets/events.js): sent to the
 * dashboard's /session/event, which forwards them to the portal and from there to the analytics webhook. What is
 * sent: the page loaded, each instructions page shown, action blocks clicked, finishing the workshop, each terminal
 * connecting (which one), and per terminal how many keys were typed since the last report (every 10 seconds, and
 * when the page goes away) — never what was typed or shown.
 */
import { actionOf, activatesAction } from './shared/actions.js';
import { TERMINAL_CONNECTED } from './shared/terminal-events.js';

function send(name: string, data: Record<string, unknown> = {}): void {
  try {
    fetch('/session/event', {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ name, data }),
    }).catch(() => undefined);
  } catch {
    // analytics never get in the learner's way
  }
}

/** The instructions page shown: /page/<path> or / (the first page). */
function currentPage(): string {
  const match = /^\/page\/(.*)$/.exec(window.location.pathname);
  if (!match) return '';
  try {
    return decodeURIComponent(match[1]).replace(/\/+$/, '');
  } catch {
    return match[1];
  }
}

let lastPage: string | null = null;
function viewed(): void {
  const page = currentPage();
  if (page === lastPage) return;
  lastPage = page;
  send('Workshop/View', { page });
}

send('Workshop/Load', {});
viewed();

// dashboard.ts swaps the article in place when the learner moves on: report the page it now shows
const article = document.getElementById('page');
if (article) new MutationObserver(viewed).observe(article, { childList: true });
window.addEventListener('popstate', viewed);

function actionEvent(event: Event): void {
  const element = actionOf(event);
  if (!element || !article || !article.contains(element)) return;
  if (event instanceof KeyboardEvent && !activatesAction(event, element)) return;
  send('Action/Event', { action: String(element.getAttribute('data-action')).slice(0, 200), page: currentPage() });
}
// capture: seen before any handler of the action can stop the event
document.addEventListener('click', actionEvent, true);
document.addEventListener('keydown', actionEvent, true);

document.addEventListener(
  'click',
  (event) => {
    if (event.target instanceof Element && event.target.closest('#finish-workshop')) send('Workshop/Finish', { page: currentPage() });
  },
  true,
);

// ---------------------------------------------------------------- terminal input: counts only
let keystrokes: Record<string, number> = {};
document.addEventListener(
  'keydown',
  (event) => {
    const terminal = event.target instanceof Element ? event.target.closest('.terminal[data-terminal]') : null;
    if (!terminal) return;
    const id = String(terminal.getAttribute('data-terminal'));
    keystrokes[id] = (keystrokes[id] || 0) + 1;
  },
  true,
);

function flushInput(): void {
  for (const [id, count] of Object.entries(keystrokes)) {
    if (count > 0) send('Terminal/Input', { terminal: id.slice(0, 200), keystrokes: count });
  }
  keystrokes = {};
}
setInterval(flushInput, 10000);
window.addEventListener('pagehide', flushInput);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') flushInput();
});

// ---------------------------------------------------------------- terminals: which one connected
// dashboard.ts says when a terminal's socket opens: the first time Terminal/Connect, after a drop Terminal/Reconnect
document.addEventListener(TERMINAL_CONNECTED, (event) => {
  const { terminal, reconnect } = event.detail;
  send(reconnect ? 'Terminal/Reconnect' : 'Terminal/Connect', { terminal: String(terminal).slice(0, 200) });
});
