/**
 * The session agent inside the current process: the learner's terminals, commands, examiner tests, session set-up
 * and home-directory files, run as whoever runs this process. The agent process of the workshop pod
 * (src/apps/session-agent.ts) serves one of these on its socket; on a developer's machine the dashboard uses one
 * directly.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { WebSocket } from 'ws';

import { runTest, TEST_NAME } from '../examiner.js';
import { runSessionSetup } from '../session-setup.js';
import { TERMINAL_ID, Terminals } from '../terminals.js';
import {
  AGENT_MAX_WRITE_BYTES,
  AgentError,
  type AgentExecRequest,
  type AgentExecResult,
  type AgentFileInfo,
  type AgentSetupResult,
  type AgentTestRequest,
  type AgentTestResult,
  type AgentWriteOptions,
  type SessionAgent,
} from './api.js';

export interface LocalAgentOptions {
  /** The learner's home: terminals start there, files are confined to it. */
  readonly homeDir: string;
  /** The learner's environment (without any dashboard secret). HOME is set to homeDir. */
  readonly env: Record<string, string>;
  /** @default /bin/bash */
  readonly shell?: string;
  /** Called whenever the learner types in a terminal. */
  readonly onInput?: () => void;
  /** Most terminal sessions at once. @default 16 */
  readonly maxTerminals?: number;
  readonly log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

const MAX_OUTPUT = 64 * 1024;

export function createLocalAgent(options: LocalAgentOptions): SessionAgent {
  return new LocalAgent(options);
}

class LocalAgent implements SessionAgent {
  public readonly homeDir: string;
  private readonly env: Record<string, string>;
  private readonly terminals: Terminals;

  constructor(private readonly options: LocalAgentOptions) {
    this.homeDir = path.resolve(options.homeDir);
    this.env = { ...options.env, HOME: this.homeDir };
    this.terminals = new Terminals({
      shell: options.shell ?? '/bin/bash',
      cwd: this.homeDir,
      env: this.env,
      onInput: options.onInput,
      maxSessions: options.maxTerminals,
    });
  }

  public async attachTerminal(id: string, socket: WebSocket): Promise<void> {
    if (!TERMINAL_ID.test(id)) return socket.close(1008, 'terminal session ids are 1 to 32 letters, digits, - or _');
    if (!this.terminals.attach(id, socket)) socket.close(1013, 'too many terminal sessions');
  }

  public async exec(request: AgentExecRequest): Promise<AgentExecResult> {
    if (!Array.isArray(request.command) || !request.command.length || !request.command.every((a) => typeof a === 'string')) {
      throw new AgentError('bad_request', `exec: 'command' (${JSON.stringify(request.command)}) must be a non-empty list of strings`);
    }
    const timeout = request.timeoutSeconds ?? 60;
    if (!(typeof timeout === 'number' && timeout > 0 && timeout <= 3600)) {
      throw new AgentError('bad_request', `exec: 'timeoutSeconds' (${JSON.stringify(timeout)}) must be a number of seconds from 1 to 3600`);
    }
    const cwd = request.cwd === undefined ? this.homeDir : path.resolve(this.homeDir, request.cwd);
    return new Promise((resolve) => {
      const child = spawn(request.command[0], request.command.slice(1), {
        cwd,
        env: { ...this.env, ...request.env },
        stdio: [request.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      const collect = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-MAX_OUTPUT);
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      if (request.input !== undefined) {
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(request.input);
      }
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, () => child.kill('SIGKILL'));
      }, timeout * 1000);
      let done = false;
      const finish = (exitCode: number | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ exitCode: timedOut ? null : exitCode, output, timedOut });
      };
      child.on('error', (error) => {
        output += `cannot start ${request.command[0]}: ${error.message}`;
        finish(null);
      });
      child.on('close', (code) => finish(code));
    });
  }

  public async runTest(request: AgentTestRequest): Promise<AgentTestResult> {
    if (typeof request.name !== 'string' || !TEST_NAME.test(request.name)) {
      throw new AgentError('bad_request', `test name '${request.name}' must be letters, digits, '.', '-' or '_'`);
    }
    if (typeof request.contentDir !== 'string' || !path.isAbsolute(request.contentDir)) {
      throw new AgentError('bad_request', `runTest: 'contentDir' (${JSON.stringify(request.contentDir)}) must be an absolute path`);
    }
    try {
      return await runTest(
        request.contentDir,
        request.name,
        (request.args ?? []).map(String),
        {
          testsDirectory: request.testsDirectory,
          timeoutSeconds: request.timeoutSeconds,
          cwd: this.homeDir,
          env: this.env,
        },
        request.requestedTimeoutSeconds,
      );
    } catch (error) {
      throw new AgentError('not_found', (error as Error).message);
    }
  }

  public async sessionSetup(contentDir: string): Promise<AgentSetupResult> {
    if (typeof contentDir !== 'string' || !path.isAbsolute(contentDir)) {
      throw new AgentError('bad_request', `sessionSetup: 'contentDir' (${JSON.stringify(contentDir)}) must be an absolute path`);
    }
    return runSessionSetup({ contentDir, homeDir: this.homeDir, env: this.env, log: this.options.log });
  }

  public async stat(file: string): Promise<AgentFileInfo | null> {
    const target = this.resolve(file);
    const stat = await fs.promises.stat(target).catch(() => null);
    return stat ? this.info(target, stat) : null;
  }

  public async list(dir: string): Promise<AgentFileInfo[]> {
    const target = this.resolve(dir);
    const stat = await fs.promises.stat(target).catch(() => null);
    if (!stat) throw new AgentError('not_found', `'${dir}' does not exist in the home directory`);
    if (!stat.isDirectory()) throw new AgentError('not_a_directory', `'${dir}' is not a directory`);
    const names = (await fs.promises.readdir(target)).sort();
    const entries: AgentFileInfo[] = [];
    for (const name of names) {
      const child = path.join(target, name);
      const link = await fs.promises.lstat(child).catch(() => null);
      if (!link) continue;
      // a link shows as what it points at when that is inside the home, else as a link
      const followed = link.isSymbolicLink() && this.within(child) ? await fs.promises.stat(child).catch(() => null) : null;
      entries.push(this.info(child, followed ?? link));
    }
    return entries;
  }

  public async readFile(file: string): Promise<Readable> {
    const target = this.resolve(file);
    const stat = await fs.promises.stat(target).catch(() => null);
    if (!stat) throw new AgentError('not_found', `'${file}' does not exist in the home directory`);
    if (!stat.isFile()) throw new AgentError('not_a_file', `'${file}' is not a file`);
    return fs.createReadStream(target);
  }

  public async writeFile(file: string, data: Uint8Array | Readable, options: AgentWriteOptions = {}): Promise<AgentFileInfo> {
    const target = this.resolve(file);
    if (target === this.homeDir) throw new AgentError('bad_request', `'${file}' is the home directory itself, not a file`);
    const mode = options.mode ?? 0o644;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777)
      throw new AgentError('bad_request', `writeFile: 'mode' (${mode}) must be permission bits from 0 to 0o777`);
    if (options.mkdirs ?? true) {
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      this.resolve(file); // a parent created meanwhile through a link must not lead out
    }
    const existing = await fs.promises.lstat(target).catch(() => null);
    if (existing && !(options.overwrite ?? true)) throw new AgentError('exists', `'${file}' exists already`);
    if (existing && !existing.isFile()) throw new AgentError('not_a_file', `'${file}' exists and is not a file`);
    // Written beside the target and renamed over it: a reader never sees half a file, and a link at the target is
    // replaced rather than followed.
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.agent-${process.pid}-${Date.now()}`);
    try {
      const out = fs.createWriteStream(temporary, { flags: 'wx', mode });
      let written = 0;
      const source = data instanceof Readable ? data : Readable.from([Buffer.from(data)]);
      await pipeline(
        source,
        async function* limit(chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            written += chunk.length;
            if (written > AGENT_MAX_WRITE_BYTES) throw new AgentError('too_large', `'${file}' is larger than ${AGENT_MAX_WRITE_BYTES} bytes`);
            yield chunk;
          }
        },
        out,
      );
      await fs.promises.chmod(temporary, mode);
      await fs.promises.rename(temporary, target);
    } catch (error) {
      await fs.promises.rm(temporary, { force: true });
      throw error;
    }
    return this.info(target, await fs.promises.lstat(target));
  }

  public async mkdir(dir: string): Promise<AgentFileInfo> {
    const target = this.resolve(dir);
    await fs.promises.mkdir(target, { recursive: true });
    this.resolve(dir);
    const stat = await fs.promises.lstat(target);
    if (!stat.isDirectory()) throw new AgentError('not_a_directory', `'${dir}' exists and is not a directory`);
    return this.info(target, stat);
  }

  public async remove(file: string): Promise<void> {
    const target = this.resolve(file);
    if (target === this.homeDir) throw new AgentError('bad_request', `'${file}' is the home directory itself; it is not removed`);
    await fs.promises.rm(target, { recursive: true, force: true });
  }

  public async close(): Promise<void> {
    this.terminals.closeAll();
  }

  /**
   * The absolute path of `file` inside the home, or AgentError 'outside_home': lexically (`..`, absolute paths
   * elsewhere) and through links (the real path of the target, or of its deepest existing ancestor, must be inside
   * the home too). Not a security boundary (the agent runs as the learner): it keeps callers to the home.
   */
  private resolve(file: string): string {
    if (typeof file !== 'string' || file.includes('\0'))
      throw new AgentError('bad_request', `path ${JSON.stringify(file)} must be a string without NUL`);
    const target = path.resolve(this.homeDir, file);
    if (!isInside(this.homeDir, target)) throw new AgentError('outside_home', `'${file}' is outside the home directory ${this.homeDir}`);
    if (!this.within(target))
      throw new AgentError('outside_home', `'${file}' leads outside the home directory ${this.homeDir} through a symbolic link`);
    return target;
  }

  /** Whether the real path of `target` (or of its deepest existing ancestor; a dangling link's own folder) is inside the home. */
  private within(target: string): boolean {
    const realHome = fs.realpathSync(this.homeDir);
    let probe = target;
    for (;;) {
      try {
        return isInside(realHome, fs.realpathSync(probe));
      } catch {
        if (probe === this.homeDir || probe === path.dirname(probe)) return false;
        probe = path.dirname(probe);
      }
    }
  }

  private info(target: string, stat: fs.Stats): AgentFileInfo {
    return {
      path: path.relative(this.homeDir, target).split(path.sep).join('/'),
      name: path.basename(target),
      type: stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'other',
      size: stat.size,
      mode: stat.mode & 0o777,
      mtimeMs: Math.round(stat.mtimeMs),
    };
  }
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function killGroup(pid: number | undefined, fallback: () => void): void {
  try {
    process.kill(-pid!, 'SIGKILL'); // the whole process group: commands often start kubectl and friends
  } catch {
    fallback();
  }
}
