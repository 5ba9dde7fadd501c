/**
 * Runs the `workshops` CLI as users run it: the real bin/workshops.js (the compiled lib/, built by `pretest`) in a
 * child process, and gives tests scratch folders that are removed after the file's tests.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve('.');
export const BIN = path.join(ROOT, 'bin', 'workshops.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command (cwd: the repository) without the test's NODE_OPTIONS and DEBUG, and collects its output. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NODE_OPTIONS: '', DEBUG: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `workshops <args>`. */
export const workshops = (args: string[], options: RunOptions = {}) => run(process.execPath, [BIN, ...args], options);

/** A fresh folder under the system's temporary directory. */
export const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/**
 * Returns a maker of scratch folders inside the repository (tmp/ is ignored by git), where 'cdk8s' and
 * 'cdk8s-workshops' resolve; the folders are removed after the calling file's tests.
 */
export function scratchFolders(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  return (prefix) => {
    fs.mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, 'tmp', prefix));
    dirs.push(dir);
    return dir;
  };
}
