/**
 * Static assets of the portal: the style sheet (a string in the code) and the small scripts that enhance pages
 * (src/browser, compiled into lib/browser and read at start-up), cacheable for an hour.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

import { browserScripts, SCRIPT_TYPE } from '../../content/browser-scripts.js';
import { FAVICON_URL, THEME_STYLESHEET_URL } from './layout.js';
import { PORTAL_CSS } from './styles.js';

/** The portal's icon: a terminal prompt on the accent colour. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="6" fill="#0b5cad"/>' +
  '<path d="M8 10l6 6-6 6" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>' +
  '<path d="M17 22h7" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>';

const assets = new Map<string, { type: string; body: string }>([
  ['/static/portal.css', { type: 'text/css; charset=utf-8', body: PORTAL_CSS }],
  [FAVICON_URL, { type: 'image/svg+xml', body: FAVICON_SVG }],
]);

/** Adds a script or style the pages can reference (each page module registers its own enhancement). */
function addStaticAsset(path: string, type: string, body: string): void {
  assets.set(path, { type, body });
}

/** Adds page scripts of src/browser ('session.js') and the shared modules they import, as /static/<name>. */
export function addBrowserScripts(pages: readonly string[]): void {
  for (const [name, body] of browserScripts(pages)) addStaticAsset(`/static/${name}`, SCRIPT_TYPE, body);
}

/** Serves the assets, and the operator's theme style sheet at /static/theme.css when there is one. */
export function registerStatic(app: FastifyInstance, themeCss?: string): void {
  const theme = themeCss === undefined ? undefined : { type: 'text/css; charset=utf-8', body: themeCss };
  const serve = async (path: string, reply: FastifyReply) => {
    const asset = path === THEME_STYLESHEET_URL ? theme : assets.get(path);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return reply.type(asset.type).header('Cache-Control', 'public, max-age=3600').send(asset.body);
  };
  app.get<{ Params: { file: string } }>('/static/:file', async (request, reply) => serve(`/static/${request.params.file}`, reply));
  // the modules the page scripts import (src/browser/shared)
  app.get<{ Params: { file: string } }>('/static/shared/:file', async (request, reply) => serve(`/static/shared/${request.params.file}`, reply));
  // browsers ask for it by themselves, before or without reading the page's <link rel="icon">
  app.get('/favicon.ico', async (_request, reply) => reply.type('image/svg+xml').header('Cache-Control', 'public, max-age=86400').send(FAVICON_SVG));
}
