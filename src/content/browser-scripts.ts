/**
 * The scripts that run in browsers — the portal's pages, the session dashboard and the author's preview — are
 * TypeScript in src/browser, type-checked against the DOM and compiled by `npm run build` into lib/browser as ES
 * modules. Each server reads the ones its pages load at start-up and serves them under a prefix of its own
 * (/static/, /assets/, /_preview/scripts/), with the same layout as lib/browser so that `import './shared/….js'`
 * resolves. The path is the same from src/ (tsx, jest) and lib/ (the package, the images).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BROWSER_SCRIPTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lib/browser');

/** The media type the scripts are served with (module scripts need a JavaScript one). */
export const SCRIPT_TYPE = 'text/javascript; charset=utf-8';

/** The folder of the modules every page script may import. */
const SHARED = 'shared';

/**
 * The compiled page scripts named (`'session.js'`) and every shared module (`'shared/actions.js'`), keyed by their
 * path under lib/browser. Throws when one is missing, naming it and the command that builds it.
 */
export function browserScripts(pages: readonly string[]): Map<string, string> {
  const shared = fs.existsSync(path.join(BROWSER_SCRIPTS_DIR, SHARED))
    ? fs
        .readdirSync(path.join(BROWSER_SCRIPTS_DIR, SHARED))
        .filter((name) => name.endsWith('.js'))
        .map((name) => `${SHARED}/${name}`)
    : [];
  const scripts = new Map<string, string>();
  for (const name of [...pages, ...shared.sort()]) {
    const file = path.join(BROWSER_SCRIPTS_DIR, name);
    if (!fs.existsSync(file)) throw new Error(`the browser script ${name} is missing at ${file}: run 'npm run build' (it compiles src/browser)`);
    scripts.set(name, fs.readFileSync(file, 'utf8'));
  }
  return scripts;
}
