/**
 * What every page with action blocks needs (the session dashboard and the author's preview): an action's fields,
 * the action an event is about, what a block says about its action, and copying to the clipboard. An action block
 * is rendered by src/content/action-html.ts as `<div class="action" data-action="terminal:execute" data-args='{"command":"…"}'>`.
 */

/** An action block's fields (the JSON of `data-args`). */
export type ActionArgs = Record<string, unknown>;

/** The fields of an action block: an object; a bare value becomes `{ text }`; missing or broken JSON `{}`. */
export function argsOf(element: Element): ActionArgs {
  const raw = element.getAttribute('data-args');
  if (!raw) return {};
  try {
    const args: unknown = JSON.parse(raw);
    return args && typeof args === 'object' ? (args as ActionArgs) : { text: String(args) };
  } catch {
    return {};
  }
}

/** The action block an event happened in (its target or an ancestor with `data-action`), if any. */
export function actionOf(event: Event): HTMLElement | null {
  const target = event.target;
  return target instanceof Element ? target.closest<HTMLElement>('[data-action]') : null;
}

/** Whether a keydown is Enter or Space on the action block itself (a button-like block, not a field inside it). */
export function activatesAction(event: KeyboardEvent, element: Element): boolean {
  return (event.key === 'Enter' || event.key === ' ') && element === event.target;
}

/** Shows how a block's action went: `data-state` (running, done, failed) and a status line in the block. */
export function outcome(element: HTMLElement, state: 'running' | 'done' | 'failed', message: string): void {
  element.setAttribute('data-state', state);
  let status = element.querySelector('.action-status');
  if (!status) {
    status = document.createElement('span');
    status.className = 'action-status';
    status.setAttribute('role', 'status');
    element.appendChild(status);
  }
  status.textContent = message;
}

/** Copies text; rejects when the browser refuses. */
export function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  // Plain-HTTP sessions have no clipboard API: the old way still works from a click.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } finally {
    area.remove();
  }
  return ok ? Promise.resolve() : Promise.reject(new Error('the browser refused to copy'));
}
