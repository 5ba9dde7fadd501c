/**
 * Real Git servers on loopback for tests, from Debian's git: `git daemon` (the git:// protocol, anonymous) and
 * `git http-backend` (smart HTTP) behind a small Node server that asks for HTTP Basic credentials. Both serve the
 * bare repositories below `root`. And a helper that makes commits in a bare repository from a folder of files.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Author',
  GIT_COMMITTER_EMAIL: 'author@example.test',
};

export function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

/** A new bare repository `<root>/<name>.git` (fetching any commit by its id allowed, as GitHub does). */
export function createBareRepo(root: string, name: string): string {
  const dir = path.join(root, `${name}.git`);
  git(['init', '-q', '--bare', '--initial-branch=main', dir]);
  git(['config', 'uploadpack.allowAnySHA1InWant', 'true'], dir);
  git(['config', 'http.receivepack', 'true'], dir);
  return dir;
}

/**
 * Commits `files` (path → content; a value `{ link: target }` makes a symbolic link) as the whole tree of `branch`
 * in the bare repository, optionally tagging it; returns the commit id.
 */
export function commitFiles(bare: string, branch: string, files: Record<string, string | { link: string }>, tag?: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'git-work-'));
  try {
    git(['init', '-q', '--initial-branch', branch], work);
    const hasBranch = git(['ls-remote', '--heads', bare, branch]) !== '';
    if (hasBranch) {
      git(['fetch', '-q', bare, branch], work);
      git(['reset', '-q', '--hard', 'FETCH_HEAD'], work);
      for (const entry of fs.readdirSync(work)) if (entry !== '.git') fs.rmSync(path.join(work, entry), { recursive: true, force: true });
    }
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(work, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (typeof content === 'string') fs.writeFileSync(target, content);
      else fs.symlinkSync(content.link, target);
    }
    git(['add', '-A'], work);
    git(['commit', '-q', '--allow-empty', '-m', `commit on ${branch}`], work);
    if (tag) git(['tag', '-a', '-m', tag, tag], work);
    git(['push', '-q', bare, `HEAD:refs/heads/${branch}`, ...(tag ? [`refs/tags/${tag}`] : [])], work);
    return git(['rev-parse', 'HEAD'], work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface GitDaemon {
  /** `git://127.0.0.1:<port>`: append `/<name>.git`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** `git daemon` serving `root` on loopback; resolves once it answers. */
export async function startGitDaemon(root: string): Promise<GitDaemon> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'git',
      ['daemon', '--reuseaddr', '--export-all', '--informative-errors', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root],
      { env: GIT_ENV, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `git://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null) {
      // a connection that the daemon accepts is enough: it answers a request for a missing repository with an error
      up = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up) {
      return {
        url,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    child.kill('SIGKILL');
    await exited;
    if (attempt >= 2) throw new Error(`git daemon did not start: ${stderr}`);
  }
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`: append `/<name>.git`. */
  readonly url: string;
  /** Requests seen, with whether they carried the right credentials. */
  readonly requests: Array<{ method: string; url: string; authorized: boolean }>;
  stop(): Promise<void>;
}

/** `git http-backend` behind HTTP Basic authentication (one user) on loopback. */
export async function startGitHttp(root: string, auth: { username: string; password: string }): Promise<GitHttpServer> {
  const requests: GitHttpServer['requests'] = [];
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const authorized = req.headers.authorization === expected;
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorized });
    if (!authorized) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: auth.username,
        REMOTE_ADDR: '127.0.0.1',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(child.stdin!);
    let head = Buffer.alloc(0);
    let headerDone = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (headerDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    child.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface GitSshServer {
  /** `ssh://<user>@127.0.0.1:<port><root>`: append `/<name>.git`. */
  readonly url: string;
  /** The client's private key (OpenSSH format), whose public half is the only one authorized. */
  readonly privateKey: string;
  /** The known_hosts line of this server (`[127.0.0.1]:<port> ssh-ed25519 …`). */
  readonly knownHosts: string;
  /** Connections sshd accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * Debian's OpenSSH server on loopback, serving the bare repositories below `root` to one client key (git runs
 * git-upload-pack over it, as with GitHub's deploy keys): its own host key, configuration and port, no PAM, no
 * passwords. sshd needs its privilege separation directory (/run/sshd); made if missing, removed again at stop.
 */
export async function startGitSsh(root: string): Promise<GitSshServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'git-sshd-'));
  const keygen = (file: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', path.basename(file), '-f', path.join(dir, file)]);
  keygen('host_key');
  keygen('client_key');
  const user = os.userInfo().username;
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `restrict ${fs.readFileSync(path.join(dir, 'client_key.pub'), 'utf8')}`, { mode: 0o600 });
  const madePrivsep = !fs.existsSync('/run/sshd');
  if (madePrivsep) fs.mkdirSync('/run/sshd', { mode: 0o755 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${dir}/host_key`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    `AllowUsers ${user}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'LogLevel VERBOSE',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'sshd_config'), `${config}\n`);
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => {
    log += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (madePrivsep) fs.rmSync('/run/sshd', { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  // up once it says it listens (its log), which a connection attempt would also show, but without counting as one
  while (!/Server listening on 127\.0\.0\.1 port/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`sshd did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const hostKey = fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return {
    url: `ssh://${user}@127.0.0.1:${port}${root}`,
    privateKey: fs.readFileSync(path.join(dir, 'client_key'), 'utf8'),
    knownHosts: `[127.0.0.1]:${port} ${hostKey}`,
    connections: () => (log.match(/Connection from 127\.0\.0\.1/g) ?? []).length,
    stop,
  };
}
