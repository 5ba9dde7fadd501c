/**
 * Educates' session set-up conventions, run by the dashboard in the workshop pod when a session starts (and again
 * when new content arrives, as Educates' `update-workshop` does):
 *
 * - `exercises/` of the workshop content is copied into the learner's home (`~/exercises`); files already there are
 *   kept, so a restarted dashboard or updated content never overwrites the learner's work;
 * - every file in `workshop/setup.d/`, in name order, runs once, in the home directory, with the shells' environment
 *   plus `WORKSHOP_ENV`: a file to which a script may append `NAME=value` lines for the learner's shells. A script
 *   that fails or runs too long is logged (`~/.local/share/workshop/setup-scripts.log`, and a `.failed` marker
 *   beside it); the session still starts;
 * - `~/.local/share/workshop/profile.sh` is written: it exports the `WORKSHOP_ENV` variables and sources the
 *   workshop's `workshop/profile`. The dashboard image's /etc/bash.bashrc sources it, so every interactive shell
 *   (the dashboard's terminals, `kubectl exec … bash`) has them.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where, below the learner's home, the set-up keeps its files (Educates: ~/.local/share/workshop). */
export const SETUP_STATE_DIR = '.local/share/workshop';
/** The file every interactive shell of the image sources (images/dashboard/Dockerfile appends it to /etc/bash.bashrc). */
export const PROFILE_SCRIPT = `${SETUP_STATE_DIR}/profile.sh`;

export interface SessionSetupOptions {
  /** The current workshop content: the directory holding `workshop/` and `exercises/`. */
  readonly contentDir: string;
  /** The learner's home. */
  readonly homeDir: string;
  /** The environment of the set-up scripts (the learner's shells' environment). */
  readonly env: Record<string, string>;
  /** Longest one set-up script may run. @default 60 */
  readonly scriptTimeoutSeconds?: number;
  readonly log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface SetupScriptResult {
  readonly name: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
}

export interface SessionSetupResult {
  /** Files copied into ~/exercises (relative to it). */
  readonly copiedExercises: string[];
  readonly scripts: SetupScriptResult[];
  /** Absolute path of the profile script written for the shells. */
  readonly profile: string;
}

/** Runs the set-up; never throws for a failing script (it is logged and reported), only for unusable directories. */
export async function runSessionSetup(options: SessionSetupOptions): Promise<SessionSetupResult> {
  const stateDir = path.join(options.homeDir, SETUP_STATE_DIR);
  fs.mkdirSync(stateDir, { recursive: true });
  const copiedExercises = copyExercises(path.join(options.contentDir, 'exercises'), path.join(options.homeDir, 'exercises'));
  if (copiedExercises.length) options.log?.info({ files: copiedExercises.length }, 'copied the workshop exercises into the home directory');

  const workshopEnv = path.join(stateDir, 'workshop-env');
  if (!fs.existsSync(workshopEnv)) fs.writeFileSync(workshopEnv, '');
  const logFile = path.join(stateDir, 'setup-scripts.log');
  const failedMarker = `${logFile}.failed`;
  fs.rmSync(failedMarker, { force: true });
  const scripts: SetupScriptResult[] = [];
  const setupDir = path.join(options.contentDir, 'workshop', 'setup.d');
  for (const name of setupScripts(setupDir)) {
    const result = await runScript(path.join(setupDir, name), name, {
      cwd: options.homeDir,
      env: { ...options.env, HOME: options.homeDir, WORKSHOP_ENV: workshopEnv },
      logFile,
      timeoutSeconds: options.scriptTimeoutSeconds ?? 60,
    });
    scripts.push(result);
    if (result.exitCode !== 0) {
      fs.appendFileSync(failedMarker, `${name}\n`);
      options.log?.warn({ script: name, exitCode: result.exitCode, timedOut: result.timedOut, log: logFile }, 'a workshop set-up script failed');
    }
  }

  const profile = path.join(options.homeDir, PROFILE_SCRIPT);
  const variables = parseWorkshopEnv(fs.readFileSync(workshopEnv, 'utf8'));
  fs.writeFileSync(profile, profileScript(variables, path.join(options.contentDir, 'workshop', 'profile')));
  return { copiedExercises, scripts, profile };
}

/**
 * WORKSHOP_ENV's lines: `NAME=value` (or `export NAME=value`), the value taken as written (one pair of surrounding
 * quotes dropped); blank lines and `#` comments skipped, as are lines that are not an assignment to a valid name.
 */
export function parseWorkshopEnv(text: string): Array<[string, string]> {
  const variables = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    variables.set(match[1], value);
  }
  return [...variables];
}

/** The shells' profile: the WORKSHOP_ENV variables exported, then the workshop's own profile sourced. */
export function profileScript(variables: Array<[string, string]>, workshopProfile: string): string {
  return [
    '# Written by the session dashboard at session start (src/dashboard/session-setup.ts); sourced by every',
    '# interactive shell (/etc/bash.bashrc of the dashboard image).',
    ...variables.map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    `if [ -r ${shellQuote(workshopProfile)} ]; then . ${shellQuote(workshopProfile)}; fi`,
    '',
  ].join('\n');
}

/** The set-up scripts: regular files of setup.d in name order, without hidden files. */
function setupScripts(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Copies the exercises that are not in the home yet; returns their relative paths. Never follows symlinks out. */
function copyExercises(from: string, to: string): string[] {
  if (!fs.existsSync(from) || !fs.statSync(from).isDirectory()) return [];
  const copied: string[] = [];
  const walk = (rel: string) => {
    const source = path.join(from, rel);
    const target = path.join(to, rel);
    fs.mkdirSync(target, { recursive: true });
    for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
      const childRel = path.join(rel, entry.name);
      const childTarget = path.join(to, childRel);
      if (entry.isDirectory()) {
        walk(childRel);
      } else if (entry.isFile()) {
        if (fs.existsSync(childTarget) || isSymlink(childTarget)) continue;
        fs.copyFileSync(path.join(from, childRel), childTarget, fs.constants.COPYFILE_EXCL);
        fs.chmodSync(childTarget, fs.statSync(path.join(from, childRel)).mode & 0o777);
        copied.push(childRel.split(path.sep).join('/'));
      } else if (entry.isSymbolicLink() && !fs.existsSync(childTarget) && !isSymlink(childTarget)) {
        // a link stays a link (pointing where it pointed in the content), as cp -a would leave it
        fs.symlinkSync(fs.readlinkSync(path.join(from, childRel)), childTarget);
        copied.push(childRel.split(path.sep).join('/'));
      }
    }
  };
  walk('');
  return copied;
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Runs one script: directly when executable, else through bash (unpacked content does not always keep the
 * executable bit; Educates makes setup.d scripts executable for the same reason). Output goes to the log file.
 */
function runScript(
  file: string,
  name: string,
  opts: { cwd: string; env: Record<string, string>; logFile: string; timeoutSeconds: number },
): Promise<SetupScriptResult> {
  return new Promise((resolve) => {
    const out = fs.openSync(opts.logFile, 'a');
    fs.writeSync(out, `--- ${new Date().toISOString()} ${name}\n`);
    let executable = false;
    try {
      fs.accessSync(file, fs.constants.X_OK);
      executable = true;
    } catch {
      // not executable: run it with bash below
    }
    const child = spawn(executable ? file : '/bin/bash', executable ? [] : [file], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', out, out],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutSeconds * 1000);
    let done = false;
    const finish = (exitCode: number | null, message?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (message) fs.writeSync(out, `${message}\n`);
      fs.writeSync(out, `--- ${name}: ${timedOut ? `killed after ${opts.timeoutSeconds}s` : `exit code ${exitCode}`}\n`);
      fs.closeSync(out);
      resolve({ name, exitCode: timedOut ? null : exitCode, timedOut });
    };
    child.on('error', (error) => finish(null, `cannot start ${name}: ${error.message}`));
    child.on('exit', (code, signal) => finish(code ?? (signal ? 128 : null)));
  });
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
