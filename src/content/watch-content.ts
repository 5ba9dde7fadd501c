/**
 * Watching a workshop's files (workshop/: content and static assets) for live reload. Editors save in bursts
 * (write, rename, chmod, swap files), so changes are gathered for a short quiet period and reported once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Quiet period after the last file event before reporting; short enough to keep save-to-screen well under 300 ms. */
export const WATCH_DEBOUNCE_MS = 40;

/**
 * Calls `onChange` with the changed paths (relative to the workshop directory, sorted) after files under
 * `<workshopDir>/workshop` change. Returns a function that stops watching.
 */
export function watchContent(workshopDir: string, onChange: (files: string[]) => void): () => void {
  const dir = path.resolve(workshopDir);
  const watched = fs.existsSync(path.join(dir, 'workshop')) ? path.join(dir, 'workshop') : dir;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    timer = undefined;
    const files = [...pending].sort();
    pending.clear();
    onChange(files);
  };
  const watcher = fs.watch(watched, { recursive: true }, (_event, name) => {
    const relative = path.relative(dir, path.join(watched, name?.toString() ?? '')).split(path.sep).join('/');
    if (watched === dir && !relative.startsWith('workshop/')) return;
    pending.add(relative);
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, WATCH_DEBOUNCE_MS);
  });
  // A watched directory that disappears (the workshop was moved) ends the watch; that is not an error to crash on.
  watcher.on('error', () => watcher.close());

  return () => {
    if (timer) clearTimeout(timer);
    watcher.close();
  };
}
