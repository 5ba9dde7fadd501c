/**
 * workshop/static served at the site root, as Hugo does, so `{{< baseurl >}}/images/x.png` (baseurl "") and
 * `/images/x.png` both find workshop/static/images/x.png. Only files inside that directory are ever served.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.gif': 'image/gif',
  '.html': 'text/html; charset=utf-8',
  '.ico': 'image/x-icon',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The file under `staticDir` for a decoded URL path, or undefined when there is none (or it would escape). */
export async function readStaticFile(staticDir: string, urlPath: string): Promise<StaticFile | undefined> {
  if (urlPath.includes('\0')) return undefined;
  const root = path.resolve(staticDir);
  const file = path.resolve(root, `.${path.posix.normalize(`/${urlPath}`)}`);
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) return undefined;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return undefined;
    return { body: await fs.readFile(file), contentType: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}
