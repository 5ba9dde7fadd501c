/**
 * Checks of the learner's work: `examiner:execute-test` actions run an executable from the workshop content
 * (`workshop/examiner/tests/<name>`) in the learner's environment; exit code 0 means passed.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ExaminerResult {
  readonly success: boolean;
  /** What the test printed (the end of it, when long), for the learner to read. */
  readonly output: string;
  readonly timedOut: boolean;
}

export interface ExaminerOptions {
  /** The tests' directory, relative to the workshop directory. @default 'workshop/examiner/tests' */
  readonly testsDirectory?: string;
  /** Longest a test may run. @default 15 */
  readonly timeoutSeconds?: number;
  readonly cwd: string;
  readonly env: Record<string, string>;
}

export const TEST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_OUTPUT = 16 * 1024;

/** Runs test `name` of the workshop in `workshopDir`; throws when there is no such test. */
export async function runTest(
  workshopDir: string,
  name: string,
  args: string[],
  options: ExaminerOptions,
  timeoutSeconds?: number,
): Promise<ExaminerResult> {
  if (!TEST_NAME.test(name)) throw new Error(`test name '${name}' must be letters, digits, '.', '-' or '_'`);
  const file = path.join(workshopDir, options.testsDirectory ?? 'workshop/examiner/tests', name);
  if (!fs.existsSync(file)) throw new Error(`the workshop has no test named '${name}' (looked for ${path.relative(workshopDir, file)})`);
  const limit = Math.min(timeoutSeconds ?? options.timeoutSeconds ?? 15, options.timeoutSeconds ?? 600, 600);
  return new Promise((resolve) => {
    // Not every unpacked file keeps its executable bit: run scripts through their interpreter line via sh if need be.
    const executable = isExecutable(file);
    const child = spawn(executable ? file : '/bin/sh', executable ? args : [file, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-MAX_OUTPUT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the whole process group: tests often start kubectl and friends
      } catch {
        child.kill('SIGKILL');
      }
    }, limit * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ success: false, output: `the test could not start: ${error.message}`, timedOut: false });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ success: code === 0 && !timedOut, output: timedOut ? `${output}\n(stopped after ${limit} s)` : output, timedOut });
    });
  });
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
