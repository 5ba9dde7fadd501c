/**
 * Files the dashboard serves from disk: downloads from the learner's home (the `files` capability), the slides
 * and static files of the workshop content. Every path is resolved inside its root; nothing outside is reachable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { FastifyReply } from 'fastify';

import { html } from '../content/html.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.pdf': 'application/pdf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** The absolute path of `relative` inside `root`, or null when it would leave the root. */
export function inside(root: string, relative: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const resolved = path.resolve(root, `.${path.posix.sep}${decoded}`);
  const base = path.resolve(root);
  return resolved === base || resolved.startsWith(base + path.sep) ? resolved : null;
}

export interface ServeOptions {
  /** Directories get a listing (downloads) instead of their index.html (static sites). */
  readonly listings?: boolean;
  /** Files are offered as downloads rather than shown. */
  readonly download?: boolean;
  /** The URL prefix of `root`, for links in listings. */
  readonly prefix: string;
}

export async function serveFile(reply: FastifyReply, root: string, relative: string, options: ServeOptions): Promise<FastifyReply> {
  const file = inside(root, relative);
  const stat = file ? await fs.promises.stat(file).catch(() => null) : null;
  if (!file || !stat) return reply.code(404).send({ error: 'not_found', message: `'${relative || '/'}' does not exist here` });
  if (stat.isDirectory()) {
    if (!relative.endsWith('/') && relative !== '') return reply.redirect(`${options.prefix}${relative}/`, 302);
    if (options.listings) return reply.type('text/html; charset=utf-8').send(await listing(file, relative, options.prefix));
    return serveFile(reply, root, `${relative}index.html`, options);
  }
  if (!stat.isFile()) return reply.code(404).send({ error: 'not_found', message: `'${relative}' is not a file` });
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  reply.type(type).header('content-length', stat.size).header('x-content-type-options', 'nosniff');
  if (options.download) reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(path.basename(file))}`);
  return reply.send(fs.createReadStream(file));
}

async function listing(dir: string, relative: string, prefix: string): Promise<string> {
  const entries = (await fs.promises.readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name));
  const items = entries.map((e) => {
    const name = e.isDirectory() ? `${e.name}/` : e.name;
    return html`<li><a href="${prefix + relative + encodeURIComponent(e.name) + (e.isDirectory() ? '/' : '')}">${name}</a></li>`;
  });
  // `relative` is still percent-encoded (as links need it); inside() decoded it already, so this cannot throw.
  const title = `Files: /${decodeURIComponent(relative)}`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body class="files-page" style="overflow:auto"><main class="instructions" style="flex:1"><h1 class="page-title">${title}</h1>
${relative && html`<p><a href="../">Up</a></p>`}<ul>${items.length ? items : html`<li>(empty)</li>`}</ul></main></body></html>`.toString();
}
