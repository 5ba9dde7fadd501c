/**
 * File uploads in the browser (FileServer uploads, src/dashboard/routes/uploads.ts; served as /assets/uploads.js):
 * the Files tab's upload form (at the end), and the `files:upload-file` and `files:upload-files` actions: a click on
 * one opens the browser's file chooser, and the chosen file(s) go to /upload/file (as `path`, relative to the upload
 * directory) or /upload/files (into the directory `directory`). The block then says what happened, with the
 * dashboard's own message when it refused (too large, a path outside the upload directory).
 */
import { actionOf, activatesAction, argsOf, outcome } from './shared/actions.js';

const UPLOADS = new Set(['files:upload-file', 'files:upload-files']);

/** What /upload/file(s) answers. */
interface UploadResult {
  readonly uploaded?: ReadonlyArray<{ readonly path: string }>;
  readonly message?: string;
}

async function send(element: HTMLElement, many: boolean, path: string, files: readonly File[]): Promise<void> {
  const form = new FormData();
  // the path comes first: the dashboard reads the form as a stream
  form.append('path', path);
  for (const file of files) form.append(many ? 'files' : 'file', file, file.name);
  outcome(element, 'running', 'Uploading…');
  try {
    const response = await fetch(many ? '/upload/files' : '/upload/file', {
      method: 'POST',
      credentials: 'same-origin',
      body: form,
      headers: { accept: 'application/json' },
    });
    const result = (await response.json().catch(() => ({}))) as UploadResult;
    if (!response.ok) throw new Error(result.message || `the upload was refused (${response.status})`);
    outcome(element, 'done', `Uploaded ${(result.uploaded || []).map((u) => u.path).join(', ')}`);
  } catch (error) {
    outcome(element, 'failed', `Could not upload: ${(error as Error).message}`);
  }
}

function upload(element: HTMLElement): void {
  const many = element.getAttribute('data-action') === 'files:upload-files';
  const args = argsOf(element);
  const input = document.createElement('input');
  input.type = 'file';
  input.multiple = many;
  input.hidden = true;
  input.addEventListener('change', () => {
    const files = Array.from(input.files || []);
    input.remove();
    if (!files.length) return;
    void send(element, many, String((many ? args.directory || args.path : args.path) || ''), files);
  });
  document.body.appendChild(input);
  input.click();
}

function handle(event: Event): void {
  const element = actionOf(event);
  if (!element || !UPLOADS.has(element.getAttribute('data-action') ?? '')) return;
  const page = document.getElementById('page');
  if (!page || !page.contains(element)) return;
  if (event instanceof KeyboardEvent && !activatesAction(event, element)) return;
  // ours alone: the page's generic action handler (dashboard.ts) does not know uploads
  event.preventDefault();
  event.stopPropagation();
  upload(element);
}
document.addEventListener('click', handle, true);
document.addEventListener('keydown', handle, true);

// ---------------------------------------------------------------- the Files tab's upload form (agent-files.ts)
// Sends the chosen files to /upload/files, says what happened under the form, and shows the folder's new listing.

async function refreshListing(): Promise<void> {
  const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
  const text = response.ok ? await response.text() : null;
  if (!text) return;
  const fresh = new DOMParser().parseFromString(text, 'text/html').querySelector('ul.file-list');
  const list = document.querySelector('ul.file-list');
  if (fresh && list) list.replaceWith(document.importNode(fresh, true));
}

async function submitForm(form: HTMLFormElement): Promise<void> {
  const result = form.querySelector('.upload-result');
  const input = form.querySelector<HTMLInputElement>('input[type="file"]');
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
  const say = (state: string, message: string) => {
    form.setAttribute('data-state', state);
    if (result) result.textContent = message;
  };
  const count = input?.files?.length ?? 0;
  if (!input || !count) return say('failed', 'Choose one or more files first.');
  // built from the form: its hidden `path` comes before the files, as the dashboard reads the form as a stream
  const body = new FormData(form);
  if (button) button.disabled = true;
  say('running', `Uploading ${count}${count === 1 ? ' file…' : ' files…'}`);
  try {
    const response = await fetch(form.getAttribute('action') ?? '', {
      method: 'POST',
      credentials: 'same-origin',
      body,
      headers: { accept: 'application/json' },
    });
    const answer = (await response.json().catch(() => ({}))) as UploadResult;
    if (!response.ok) throw new Error(answer.message || `the upload was refused (${response.status})`);
    say('done', `Uploaded ${(answer.uploaded || []).map((u) => u.path).join(', ')}`);
    input.value = '';
    await refreshListing();
  } catch (error) {
    say('failed', `Could not upload: ${(error as Error).message}`);
  }
  if (button) button.disabled = false;
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-upload-form')) return;
  event.preventDefault();
  void submitForm(form);
});
