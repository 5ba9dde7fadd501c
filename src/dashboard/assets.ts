/**
 * The page's style sheet (src/dashboard/assets, served as written), its scripts (src/browser, compiled into
 * lib/browser), the content module's styles for action blocks, and xterm.js with its fit add-on, straight from
 * node_modules so that their versions are the ones package-lock.json pins.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { FastifyInstance } from 'fastify';

import { browserScripts, SCRIPT_TYPE } from '../content/browser-scripts.js';
import { ACTION_STYLES } from '../content/index.js';

const require = createRequire(import.meta.url);

/** The style sheet's directory: the same from src/dashboard (tsx, jest) and lib/dashboard (the built image). */
export const ASSETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/dashboard/assets');

const FILES: Record<string, { file: string; type: string }> = {
  'dashboard.css': { file: path.join(ASSETS_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'xterm/xterm.js': { file: require.resolve('@xterm/xterm'), type: 'text/javascript; charset=utf-8' },
  'xterm/xterm.css': { file: path.join(path.dirname(require.resolve('@xterm/xterm')), '../css/xterm.css'), type: 'text/css; charset=utf-8' },
  'xterm/addon-fit.js': { file: require.resolve('@xterm/addon-fit'), type: 'text/javascript; charset=utf-8' },
};

/** Serves the assets under /assets/ (no sign-in needed: they hold nothing of the session's). */
export function registerAssets(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  for (const [name, { file }] of Object.entries(FILES)) {
    if (!fs.existsSync(file)) throw new Error(`dashboard asset ${name} is missing at ${file}: is the package installed completely?`);
  }
  // The instructions' action blocks look the same here as in the author's preview.
  cache.set('actions.css', Buffer.from(ACTION_STYLES));
  const scripts = browserScripts(['dashboard.js', 'uploads.js', 'events.js']);
  app.get('/assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    if (name === 'actions.css') return reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(cache.get(name));
    const script = scripts.get(name);
    if (script !== undefined) return reply.type(SCRIPT_TYPE).header('cache-control', 'no-cache').send(script);
    const asset = FILES[name];
    if (!asset) return reply.code(404).send({ error: 'not_found', message: `no asset named '${name}'` });
    let body = cache.get(name);
    if (!body) {
      body = fs.readFileSync(asset.file);
      cache.set(name, body);
    }
    return reply.type(asset.type).header('cache-control', 'no-cache').send(body);
  });
}
