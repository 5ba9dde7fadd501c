/**
 * Downloads from the learner's home (`/files/`, the `files` capability), read through the session agent: in the
 * workshop pod the home is in the learner's container, not the dashboard's, and a link the learner plants there is
 * followed (or refused) as the learner, never with the dashboard's rights. Same answers as static-files.ts's
 * `serveFile` with listings and downloads.
 */
import * as path from 'node:path';

import type { FastifyReply } from 'fastify';

import { html, type SafeHtml } from '../content/html.js';
import { AgentError, type AgentFileInfo, type SessionAgent } from './agent/api.js';
import { formatBytes, type UploadSettings } from './routes/uploads.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.pdf': 'application/pdf',
};

/**
 * Serves `relative` (still percent-encoded, as in the URL) below `root` (relative to the home) of the learner's
 * home: a directory as a listing, a file as a download.
 */
export async function serveAgentFile(
  reply: FastifyReply,
  agent: SessionAgent,
  root: string,
  relative: string,
  options: { prefix: string; uploads?: UploadSettings | null },
): Promise<FastifyReply> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    decoded = '\0';
  }
  const notFound = () => reply.code(404).send({ error: 'not_found', message: `'${relative || '/'}' does not exist here` });
  const rootPath = path.posix.normalize(`${root}/`);
  const file = path.posix.normalize(`${rootPath}./${decoded}`);
  // stays below the root (the agent keeps everything inside the home in any case)
  const below = rootPath === './' || file.startsWith(rootPath) || `${file}/` === rootPath;
  if (decoded.includes('\0') || file === '..' || file.startsWith('../') || !below) return notFound();
  let info: AgentFileInfo | null;
  try {
    info = await agent.stat(file);
  } catch (error) {
    if (error instanceof AgentError && error.code !== 'unavailable') return notFound();
    throw error;
  }
  if (!info) return notFound();
  if (info.type === 'directory') {
    if (!relative.endsWith('/') && relative !== '') return reply.redirect(`${options.prefix}${relative}/`, 302);
    const entries = (await agent.list(file)).filter((e) => !e.name.startsWith('.'));
    const form = options.uploads ? uploadForm(options.uploads, file) : html``;
    return reply.type('text/html; charset=utf-8').send(listing(entries, relative, options.prefix, form));
  }
  if (info.type !== 'file') return reply.code(404).send({ error: 'not_found', message: `'${relative}' is not a file` });
  const stream = await agent.readFile(file);
  reply
    .type(TYPES[path.posix.extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('content-length', info.size)
    .header('x-content-type-options', 'nosniff');
  reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(path.posix.basename(file))}`);
  return reply.send(stream);
}

/**
 * The Files tab's upload form (FileServer `uploads`): the chosen files go to `/upload/files` (src/browser/uploads.ts
 * sends them and shows the outcome; the routes check paths and limits). A listing inside the upload directory
 * uploads into the folder shown, any other listing into the upload directory itself.
 */
function uploadForm(settings: UploadSettings, listed: string): SafeHtml {
  const shown = listed.replace(/^\.\/?/, '').replace(/\/+$/, '');
  const base = settings.directory;
  const below = base === '' ? shown : shown === base ? '' : shown.startsWith(`${base}/`) ? shown.slice(base.length + 1) : null;
  const sub = below ?? '';
  const target = [base, sub].filter(Boolean).join('/');
  return html`<form class="upload-form" data-upload-form method="post" action="/upload/files" enctype="multipart/form-data">
<input type="hidden" name="path" value="${sub}">
<label for="upload-files">Upload files to ~/${target ? `${target}/` : ''}</label>
<input id="upload-files" type="file" name="files" multiple required>
<button type="submit" class="button">Upload</button>
<p class="upload-limits">At most ${String(settings.maxFiles)} files at a time, each up to ${formatBytes(settings.maxBytes)}.</p>
<p class="upload-result" role="status" aria-live="polite"></p>
</form>
<script type="module" src="/assets/uploads.js"></script>`;
}

function listing(entries: AgentFileInfo[], relative: string, prefix: string, form: SafeHtml): string {
  const sorted = [...entries].sort((a, b) => Number(b.type === 'directory') - Number(a.type === 'directory') || a.name.localeCompare(b.name));
  const items = sorted.map((e) => {
    const dir = e.type === 'directory';
    return html`<li><a href="${prefix + relative + encodeURIComponent(e.name) + (dir ? '/' : '')}">${dir ? `${e.name}/` : e.name}</a></li>`;
  });
  const title = `Files: /${decodeURIComponent(relative)}`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body class="files-page" style="overflow:auto"><main class="instructions" style="flex:1"><h1 class="page-title">${title}</h1>
${relative && html`<p><a href="../">Up</a></p>`}<ul class="file-list">${items.length ? items : html`<li>(empty)</li>`}</ul>${form}</main></body></html>`.toString();
}
