/**
 * Watching a workshop's files (workshop/: content and static assets) for live reload. Editors save in bursts
 * (write, rename, chmod, swap files), so changes are gathered for a short quiet period and reported once.
 *
 * Two watchers: a recursive one on workshop/, and one on the workshop directory itself that notices workshop/
 * appearing, disappearing or being swapped for a new copy (tools that unpack content into a staging directory
 * and rename it into place), and then watches the new workshop/. The rest of the workshop directory (exercises,
 * node_modules, …) is never watched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Quiet period after the last file event before reporting; short enough to keep save-to-screen well under 300 ms. */
export const WATCH_DEBOUNCE_MS = 40;

const WORKSHOP = 'workshop';

/**
 * Calls `onChange` with the changed paths (relative to the workshop directory, sorted) after files under
 * `<workshopDir>/workshop` change. Returns a function that stops watching.
 */
export function watchContent(workshopDir: string, onChange: (files: string[]) => void): () => void {
  const dir = path.resolve(workshopDir);
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let inner: fs.FSWatcher | undefined;

  const report = (relative: string) => {
    pending.add(relative);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const files = [...pending].sort();
      pending.clear();
      onChange(files);
    }, WATCH_DEBOUNCE_MS);
  };

  const watchWorkshop = () => {
    inner?.close();
    inner = undefined;
    try {
      inner = fs.watch(path.join(dir, WORKSHOP), { recursive: true }, (_event, name) => {
        report(name ? `${WORKSHOP}/${name.toString().split(path.sep).join('/')}` : WORKSHOP);
      });
      // workshop/ was removed: the outer watcher sees it come back.
      inner.on('error', () => inner?.close());
    } catch {
      inner = undefined; // not there (yet)
    }
  };

  const outer = fs.watch(dir, (_event, name) => {
    if (name?.toString() !== WORKSHOP) return;
    watchWorkshop();
    report(WORKSHOP);
  });
  outer.on('error', () => outer.close());
  watchWorkshop();

  return () => {
    if (timer) clearTimeout(timer);
    inner?.close();
    outer.close();
  };
}
