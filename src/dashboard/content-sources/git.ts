/**
 * Workshop content from a Git repository, with the git CLI (the dashboard image has Debian's git): the ref is
 * resolved with `git ls-remote` (cheap enough to poll a branch), and a version is a shallow fetch of exactly one
 * commit into a fresh directory, checked out and stripped of `.git`.
 *
 * Credentials (a username and a token) go to git as an `http.extraHeader` in the environment of the git process
 * (GIT_CONFIG_*), never on its command line or in the URL, so they show up in no process list and no log. Only the
 * https, http, git and ssh transports are allowed (no `ext::` commands, no local files), git never prompts, and no
 * system or user git configuration is read.
 *
 * Over SSH, the private key and the server's known host keys (vendir's `ssh-privatekey` and `ssh-knownhosts`) are
 * written, mode 0600, into the private home of that one git process and removed with it; ssh reads no
 * configuration file, offers only that key, and accepts only a host key that the known hosts list (no
 * trust-on-first-use: an ssh source without known hosts is refused before connecting).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface GitAuth {
  readonly username?: string;
  readonly password?: string;
  /** An OpenSSH private key (PEM/OpenSSH format), for ssh:// and `user@host:path` URLs. */
  readonly sshPrivateKey?: string;
  /** known_hosts lines of the server (`host keytype key`); required for SSH. */
  readonly sshKnownHosts?: string;
}

/** True for the URLs git reaches over SSH: ssh://…, and scp-like `user@host:path`. */
export function isSshUrl(url: string): boolean {
  return url.startsWith('ssh://') || url.startsWith('git+ssh://') || /^[A-Za-z0-9._-]+@[^/:\s]+:/.test(url);
}

export interface ResolvedRef {
  /** The commit the ref names now. */
  readonly commit: string;
  /** What to fetch: the full ref name (`refs/heads/main`, `refs/tags/v1`) or the commit itself. */
  readonly fetch: string;
  /** True for a branch: it may move, so a session follows it. */
  readonly moves: boolean;
}

/** Errors of git, with what it said (credentials never appear in it: they are not on the command line). */
export class GitError extends Error {}

const COMMIT = /^[0-9a-f]{40}$/;

/** The environment of every git process: nothing from the user's or system configuration, no prompts. */
function gitEnv(auth: GitAuth, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_ALLOW_PROTOCOL: 'https:http:git:ssh',
    GIT_SSH_COMMAND: sshCommand(auth, home),
    LC_ALL: 'C',
  };
  const config: Array<[string, string]> = [
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'main'],
  ];
  if (auth.username || auth.password) {
    const basic = Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64');
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * How git runs ssh: no configuration files, no agent, no prompts; with a key, only that key and only the listed
 * host keys; the paths are inside the process's own temporary home (made by mkdtemp: no quotes or spaces in them).
 */
function sshCommand(auth: GitAuth, home: string): string {
  const options = ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentityAgent=none', '-o', 'StrictHostKeyChecking=yes'];
  if (auth.sshKnownHosts) options.push('-o', `UserKnownHostsFile=${path.join(home, 'known_hosts')}`, '-o', 'GlobalKnownHostsFile=/dev/null');
  if (auth.sshPrivateKey) options.push('-o', 'IdentitiesOnly=yes', '-i', path.join(home, 'id_key'));
  return ['ssh', ...options].join(' ');
}

/** Puts the SSH key and known hosts where sshCommand points, readable by this process only. */
function writeSshFiles(auth: GitAuth, home: string): void {
  if (auth.sshKnownHosts) fs.writeFileSync(path.join(home, 'known_hosts'), `${auth.sshKnownHosts.trim()}\n`, { mode: 0o600 });
  // ssh refuses a key without its final newline
  if (auth.sshPrivateKey) fs.writeFileSync(path.join(home, 'id_key'), `${auth.sshPrivateKey.trim()}\n`, { mode: 0o600 });
}

/** Refuses an SSH URL that could only be reached by trusting whatever host key the server shows. */
function checkSsh(url: string, auth: GitAuth): void {
  if (isSshUrl(url) && !auth.sshKnownHosts?.trim()) {
    throw new GitError(
      `${url} is reached over SSH, and the server's host key is not known: put the known_hosts line(s) of the server into the credentials Secret as 'ssh-knownhosts' (and the key as 'ssh-privatekey')`,
    );
  }
}

async function git(args: string[], auth: GitAuth, cwd?: string, timeoutMs = 120_000): Promise<string> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'content-git-home-'));
  try {
    writeSshFiles(auth, home);
    return await new Promise<string>((resolve, reject) => {
      execFile('git', args, { cwd, env: gitEnv(auth, home), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) {
          // git's own advice after an ssh failure would push out what ssh said (host key, permission)
          const said = String(stderr || error.message)
            .trim()
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line && !/^(Please make sure you have the correct access rights|and the repository exists\.)$/.test(line))
            .slice(-3)
            .join(' / ');
          reject(new GitError(`git ${args[0]} failed: ${said}`));
        } else {
          resolve(stdout);
        }
      });
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** What `ref` names in the repository now: a branch, a tag (peeled to its commit) or a commit. */
export async function resolveGitRef(url: string, ref: string, auth: GitAuth = {}): Promise<ResolvedRef> {
  if (ref.startsWith('-')) throw new GitError(`ref '${ref}' must be a branch, tag or commit`);
  checkSsh(url, auth);
  const wanted = ref.startsWith('refs/') ? [ref, `${ref}^{}`] : [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`];
  const out = await git(['ls-remote', '--', url, ...wanted], auth);
  const refs = new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [commit, name] = line.split('\t');
        return [name, commit] as const;
      }),
  );
  const branch = ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
  if (refs.has(branch) && (branch.startsWith('refs/heads/') || !ref.startsWith('refs/tags/'))) {
    return { commit: refs.get(branch)!, fetch: branch, moves: branch.startsWith('refs/heads/') };
  }
  const tag = ref.startsWith('refs/tags/') ? ref : `refs/tags/${ref}`;
  if (refs.has(tag)) return { commit: refs.get(`${tag}^{}`) ?? refs.get(tag)!, fetch: tag, moves: false };
  if (COMMIT.test(ref)) return { commit: ref, fetch: ref, moves: false };
  throw new GitError(`${url} has no branch or tag '${ref}'`);
}

/**
 * Fetches one commit of `url` into `dest` (a new directory), checks it out and removes `.git`. Returns the commit
 * checked out (for a branch, perhaps newer than the one resolved a moment earlier).
 */
export async function checkoutGit(url: string, ref: ResolvedRef, dest: string, auth: GitAuth = {}): Promise<string> {
  checkSsh(url, auth);
  fs.mkdirSync(dest, { recursive: true });
  await git(['init', '-q', dest], auth);
  await git(['fetch', '-q', '--depth', '1', '--no-tags', '--', url, ref.fetch], auth, dest);
  await git(['checkout', '-q', 'FETCH_HEAD'], auth, dest);
  const commit = (await git(['rev-parse', 'HEAD'], auth, dest)).trim();
  fs.rmSync(path.join(dest, '.git'), { recursive: true, force: true });
  return commit;
}
