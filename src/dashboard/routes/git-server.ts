/**
 * The session's Git server (GitServer capability): Git's own smart-HTTP server, `git http-backend` (Debian's git,
 * in the dashboard image), run per request as a CGI program behind a small listener of the dashboard on the
 * capability's port (127.0.0.1:10087 in the pod). The session's route `git-<session>.<domain>` reaches it through
 * the dashboard's proxy, and the learner's terminal at `localhost:$GIT_PORT`.
 *
 * Every request needs HTTP Basic with the session's Git credentials (`GIT_USERNAME`, `GIT_PASSWORD`); there is no
 * anonymous access. A push to a repository that does not exist yet creates it (bare, in the repositories
 * directory), as Educates' git server does, so `git push` of a new project just works. Repository names are
 * `<name>.git` (letters, digits, '.', '_', '-'), one level, nothing else is served.
 */
import { spawn } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import type { CapabilityLog } from './index.js';

/** The capability's port in the workshop pod (GIT_PORT of src/constructs/capabilities/git-server.ts). */
export const DEFAULT_GIT_PORT = 10087;
const REPOSITORY = /^\/([A-Za-z0-9][A-Za-z0-9._-]{0,99}\.git)(\/.*)?$/;

export interface GitServerOptions {
  /** `settings.git` of dashboard.json: `port`, `repositories`, `host`. */
  readonly settings: Record<string, unknown>;
  readonly username?: string;
  readonly password?: string;
  readonly log: CapabilityLog;
}

export interface GitServer {
  readonly port: number;
  readonly repositories: string;
  close(): Promise<void>;
}

export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const { settings, log } = options;
  if (!options.username || !options.password) {
    throw new Error("the GitServer capability needs GIT_USERNAME and GIT_PASSWORD in the dashboard's environment (the session template sets them)");
  }
  const port = settings.port === undefined ? DEFAULT_GIT_PORT : settings.port;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
    throw new Error(`dashboard.json: 'settings.git.port' (${JSON.stringify(port)}) must be a whole number from 0 to 65535`);
  const fallback = path.join(os.tmpdir(), 'workshop-git');
  let repositories = typeof settings.repositories === 'string' ? settings.repositories : fallback;
  try {
    fs.mkdirSync(repositories, { recursive: true, mode: 0o700 });
  } catch (error) {
    // e.g. a session made from an older blueprint, naming a directory of the learner's container
    log.warn({ repositories, message: (error as Error).message }, `git server: cannot use the repositories directory; using ${fallback}`);
    repositories = fallback;
    fs.mkdirSync(repositories, { recursive: true, mode: 0o700 });
  }
  const expected = createHash('sha256').update(`${options.username}:${options.password}`).digest();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      log.warn({ message: (error as Error).message }, 'git server: request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end("the git server failed; see the dashboard's log\n");
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const given = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const supplied = createHash('sha256')
      .update(given ? Buffer.from(given, 'base64').toString('utf8') : '\0')
      .digest();
    if (!given || !timingSafeEqual(supplied, expected)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Workshop session git server"', 'content-type': 'text/plain' });
      res.end("the session's git credentials are needed: $GIT_USERNAME and $GIT_PASSWORD\n");
      req.resume();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://git');
    const match = REPOSITORY.exec(url.pathname);
    if (!match) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('repositories are at /<name>.git\n');
      req.resume();
      return;
    }
    const repository = path.join(repositories, match[1]);
    const pushing = url.searchParams.get('service') === 'git-receive-pack' || match[2] === '/git-receive-pack';
    if (!fs.existsSync(repository)) {
      if (!pushing) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no repository ${match[1]} yet: push to create it\n`);
        req.resume();
        return;
      }
      await initRepository(repository);
      log.info({ repository: match[1] }, 'git server: created a repository for its first push');
    }
    // after a push, HEAD is set before the answer ends: the client's `git push` returns only then, and a clone
    // right after it must find HEAD naming a branch that exists
    const receiving = match[2] === '/git-receive-pack';
    const beforeEnd = receiving
      ? () => pointHead(repository).catch((error) => log.warn({ message: (error as Error).message }, 'git server: cannot set HEAD'))
      : undefined;
    await cgi(
      req,
      res,
      {
        GIT_PROJECT_ROOT: repositories,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: options.username!,
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
      beforeEnd,
    );
  };

  const host = typeof settings.host === 'string' ? settings.host : '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port as number, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  log.info({ port: actual, repositories }, 'git server ready');
  return {
    port: actual,
    repositories,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function initRepository(repository: string): Promise<void> {
  await run('git', ['init', '--quiet', '--bare', repository]);
  // pushes over HTTP are off by default unless a user is authenticated; say so explicitly
  await run('git', ['--git-dir', repository, 'config', 'http.receivepack', 'true']);
}

/**
 * A new repository's HEAD names the default branch of `git init`, which the learner's first push may not have
 * (main vs master): then HEAD is pointed at a branch that exists (main, master, else the first), so that a clone
 * checks it out instead of warning that the remote HEAD refers to nothing.
 */
async function pointHead(repository: string): Promise<void> {
  const head = await run('git', ['--git-dir', repository, 'symbolic-ref', 'HEAD']).catch(() => '');
  const branches = (await run('git', ['--git-dir', repository, 'for-each-ref', '--format=%(refname)', 'refs/heads/'])).split('\n').filter(Boolean);
  if (!branches.length || branches.includes(head.trim())) return;
  const chosen = branches.find((b) => b === 'refs/heads/main') ?? branches.find((b) => b === 'refs/heads/master') ?? branches[0];
  await run('git', ['--git-dir', repository, 'symbolic-ref', 'HEAD', chosen]);
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} failed: ${err.trim()}`))));
  });
}

/**
 * Runs `git http-backend` for one request: the request body to its stdin, its CGI answer back as HTTP.
 * `beforeEnd` runs after the program exits and before the answer's end is sent.
 */
function cgi(req: http.IncomingMessage, res: http.ServerResponse, env: Record<string, string>, beforeEnd?: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', reject);
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf('\r\n\r\n');
      let separator = 4;
      if (end < 0) {
        end = head.indexOf('\n\n');
        separator = 2;
      }
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + separator));
    });
    child.on('close', (code) => {
      if (!headersDone) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`git http-backend failed (exit ${code}): ${stderr.trim()}\n`);
        resolve();
        return;
      }
      void Promise.resolve(beforeEnd?.()).then(() => {
        res.end();
        resolve();
      });
    });
    res.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
  });
}
