/**
 * The author's preview (src/content/preview, served as /_preview/scripts/preview.js). It gives actions a
 * response — copying for workshop:copy, a note of what would run in a session for the rest, folding for sections —
 * and keeps the page current: on a change event it fetches the page again and swaps the table of contents and the
 * main region in place, so there is no full-page flash and the scroll position stays.
 */
import { type ActionArgs, actionOf, activatesAction, argsOf, copyText } from './shared/actions.js';

const toast = document.getElementById('preview-toast');
const status = document.getElementById('preview-status');
let toastTimer: ReturnType<typeof setTimeout> | undefined;

function showToast(text: string): void {
  if (!toast) return;
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.hidden = true;
  }, 3500);
}

function showStatus(text: string): void {
  if (status) status.textContent = text;
}

/** The first line of what the action would act on. */
function summary(args: ActionArgs): string {
  const detail = args.command || args.text || args.url || args.file || args.path || args.name || '';
  return String(detail).split('\n')[0];
}

function activate(element: HTMLElement): void {
  const action = element.getAttribute('data-action');
  const args = argsOf(element);
  if (action === 'section:begin') {
    toggleSection(element);
    return;
  }
  if (action === 'workshop:copy' || action === 'workshop:copy-and-edit') {
    copyText(String(args.text ?? '')).then(
      () => showToast(action === 'workshop:copy' ? 'Copied to the clipboard' : 'Copied to the clipboard: change it before use'),
      () => showToast('The browser did not allow copying'),
    );
  } else {
    const detail = summary(args);
    showToast(`Would run in the session: ${action}${detail ? ` — ${detail}` : ''}`);
  }
  element.classList.add('action-done');
}

document.addEventListener('click', (event) => {
  const element = actionOf(event);
  if (element && !element.hidden) activate(element);
});
document.addEventListener('keydown', (event) => {
  const element = actionOf(event);
  if (element && activatesAction(event, element)) {
    event.preventDefault();
    activate(element);
  }
});

/** A section is everything between a section:begin and the section:end of the same name, at the same depth. */
function sectionMembers(begin: Element): HTMLElement[] {
  const name = argsOf(begin).name;
  const members: HTMLElement[] = [];
  let depth = 0;
  for (let node = begin.nextElementSibling; node; node = node.nextElementSibling) {
    const action = node.getAttribute('data-action');
    if (action === 'section:begin') depth++;
    if (action === 'section:end') {
      if (depth === 0 && argsOf(node).name === name) break;
      depth--;
    }
    if (node instanceof HTMLElement) members.push(node);
  }
  return members;
}

function setExpanded(begin: Element, expanded: boolean): void {
  begin.setAttribute('aria-expanded', String(expanded));
  for (const node of sectionMembers(begin)) {
    if (!expanded) {
      node.setAttribute('data-folded', '');
      node.hidden = true;
    } else if (node.hasAttribute('data-folded')) {
      node.removeAttribute('data-folded');
      node.hidden = false;
    }
  }
  // Opening a section must not open the sections inside it that are still folded.
  if (expanded) {
    for (const node of sectionMembers(begin)) {
      if (node.getAttribute('data-action') === 'section:begin' && node.getAttribute('aria-expanded') === 'false') setExpanded(node, false);
    }
  }
}

function toggleSection(begin: Element): void {
  setExpanded(begin, begin.getAttribute('aria-expanded') !== 'true');
}

/** Sections start folded, as a learner sees them; without this script they simply stay open. */
function foldSections(root: ParentNode): void {
  const begins = root.querySelectorAll('[data-action="section:begin"]');
  for (let i = begins.length - 1; i >= 0; i--) setExpanded(begins[i], false);
}
foldSections(document);

let refreshing = false;
let again = false;
async function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const response = await fetch(location.pathname + location.search, { cache: 'no-store' });
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const id of ['preview-nav', 'preview-main']) {
      const current = document.getElementById(id);
      const replacement = fresh.getElementById(id);
      if (current && replacement) current.replaceWith(replacement);
    }
    document.title = fresh.title;
    const main = document.getElementById('preview-main');
    if (main) foldSections(main);
    showStatus(`Updated ${new Date().toLocaleTimeString()}`);
  } catch {
    showStatus('Could not reload the page');
  }
  refreshing = false;
  if (again) {
    again = false;
    void refresh();
  }
}

const events = new EventSource('/_preview/events');
let lost = false;
events.addEventListener('change', () => void refresh());
events.addEventListener('open', () => {
  showStatus('Live');
  if (lost) {
    lost = false;
    void refresh();
  }
});
events.addEventListener('error', () => {
  lost = true;
  showStatus('Reconnecting…');
});
