/**
 * A workshop project as the CLI sees it: a folder with a cdk8s.yaml whose `app:` command synthesizes into an
 * output folder (as `cdk8s synth` runs it), and workshop folders that hold `workshop/content/`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { parse } from 'yaml';

import { CliError } from './errors.js';
import { packageRoot } from './package-info.js';

export interface ProjectConfig {
  /** The folder of cdk8s.yaml. */
  readonly dir: string;
  /** The shell command that synthesizes. */
  readonly app: string;
  /** The output folder, relative to `dir`. */
  readonly output: string;
}

/** Reads cdk8s.yaml in `dir`; a project without one is a usage mistake worth a clear message. */
export function readProjectConfig(dir: string): ProjectConfig {
  const file = path.join(dir, 'cdk8s.yaml');
  if (!fs.existsSync(file)) throw new CliError(`no cdk8s.yaml in ${dir}: run this in a workshop project (or pass --app <file>)`);
  let config: { app?: unknown; output?: unknown };
  try {
    config = (parse(fs.readFileSync(file, 'utf8')) ?? {}) as typeof config;
  } catch (error) {
    throw new CliError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof config.app !== 'string' || !config.app.trim())
    throw new CliError(`${file}: 'app' must be the command that runs the cdk8s app, e.g. "npx tsx main.ts"`);
  return { dir, app: config.app, output: typeof config.output === 'string' ? config.output : 'dist' };
}

/** The command that runs an app file: TypeScript through tsx, JavaScript through node. */
export function commandForAppFile(file: string): string {
  const quoted = JSON.stringify(file);
  // tsx from PATH, which runApp() starts with the project's node_modules/.bin and then this package's
  if (/\.(c|m)?ts$/.test(file)) return `tsx ${quoted}`;
  if (/\.(c|m)?js$/.test(file)) return `node ${quoted}`;
  throw new CliError(`--app '${file}': expected a .ts or .js file`);
}

export interface AppRun {
  readonly exitCode: number;
  /** What the app wrote to stderr and stdout (only when captured). */
  readonly output: string;
}

/**
 * Runs the app command in the project folder with CDK8S_OUTDIR set, the way the cdk8s CLI does (a cdk8s App takes
 * its output folder from it). The project's node_modules/.bin comes first on PATH, then this package's, so that
 * tools such as tsx are found without a download.
 */
export function runApp(config: ProjectConfig, outdir: string, options: { capture?: boolean } = {}): Promise<AppRun> {
  const ownBin = path.join(packageRoot(), 'node_modules', '.bin');
  const env = {
    ...process.env,
    CDK8S_OUTDIR: outdir,
    PATH: [path.join(config.dir, 'node_modules/.bin'), ownBin, process.env.PATH ?? ''].join(path.delimiter),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(config.app, {
      cwd: config.dir,
      env,
      shell: true,
      stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => reject(new CliError(`could not run '${config.app}': ${error.message}`)));
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1), output }));
  });
}

// output, dependencies, and test fixtures or templates (which hold deliberately broken or unfilled workshops)
const SKIPPED = new Set(['node_modules', 'dist', 'lib', 'cdk.out', 'coverage', 'test', 'tests', '__tests__', 'fixtures', 'templates', 'tmp']);

/**
 * Every folder under `root` that holds `workshop/content/` (a project with one workshop at its root, or several
 * such as examples/<name>/), sorted. Output, dependency, test and template folders are not searched.
 */
export function findWorkshopDirs(root: string, depth = 4): string[] {
  const found: string[] = [];
  const visit = (dir: string, level: number) => {
    if (fs.existsSync(path.join(dir, 'workshop', 'content'))) found.push(dir);
    if (level >= depth) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || SKIPPED.has(entry.name) || entry.name === 'workshop') continue;
      visit(path.join(dir, entry.name), level + 1);
    }
  };
  visit(root, 0);
  return found.sort();
}
