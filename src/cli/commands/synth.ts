/** `workshops synth`: runs the project's cdk8s app (as `cdk8s synth` does) and summarizes what it wrote. */
import * as path from 'node:path';

import { Command } from 'commander';

import { countByKind, distFiles, readDist } from '../dist.js';
import { CliError } from '../errors.js';
import { commandForAppFile, type ProjectConfig, readProjectConfig, runApp } from '../project.js';
import { formatTable } from '../table.js';

export interface SynthOptions {
  /** The project folder. @default process.cwd() */
  readonly dir?: string;
  /** An app file to run instead of cdk8s.yaml's `app`. */
  readonly app?: string;
  /** The output folder. @default cdk8s.yaml's `output`, else dist */
  readonly out?: string;
  /** Collect the app's output instead of passing it through (validate reports it as problems). */
  readonly capture?: boolean;
}

export interface SynthResult {
  readonly outdir: string;
  readonly files: string[];
  readonly kinds: Array<[string, number]>;
  readonly objects: number;
}

/** Synthesizes; a failing app is a CliError whose message is the app's own output (when captured). */
export async function synthProject(options: SynthOptions = {}): Promise<SynthResult> {
  const dir = path.resolve(options.dir ?? process.cwd());
  const config: ProjectConfig = options.app
    ? { dir, app: commandForAppFile(path.relative(dir, path.resolve(dir, options.app))), output: 'dist' }
    : readProjectConfig(dir);
  const outdir = path.resolve(dir, options.out ?? config.output);
  const run = await runApp(config, outdir, { capture: options.capture });
  if (run.exitCode !== 0) {
    const detail = run.output.trim();
    if (detail) throw new CliError(`synthesis failed:\n${detail}`);
    throw new CliError(`synthesis failed: '${config.app}' exited with code ${run.exitCode}${options.capture ? '' : ' (its output is above)'}`);
  }
  const objects = readDist(outdir);
  return { outdir, files: distFiles(outdir), kinds: countByKind(objects.map((o) => o.object)), objects: objects.length };
}

export function printSynthSummary(result: SynthResult, out: NodeJS.WritableStream = process.stdout): void {
  const relative = path.relative(process.cwd(), result.outdir);
  const where = !relative ? '.' : relative.startsWith('..') ? result.outdir : relative;
  out.write(`synthesized ${result.files.length} files with ${result.objects} objects into ${where}/\n`);
  out.write(`${formatTable([['KIND', 'COUNT'], ...result.kinds.map(([kind, n]) => [kind, String(n)])]).replace(/^/gm, '  ')}\n`);
}

export function synthCommand(): Command {
  return new Command('synth')
    .summary('synthesize the project into YAML (dist/)')
    .description("Synthesize the project into YAML: runs the app of cdk8s.yaml (like 'cdk8s synth') and prints the files and objects per kind")
    .option('--app <file>', "a .ts (run with tsx) or .js app to run instead of cdk8s.yaml's 'app'")
    .option('-o, --out <dir>', "output folder (default: cdk8s.yaml's 'output', else dist)")
    .action(async (options: { app?: string; out?: string }) => {
      printSynthSummary(await synthProject(options));
    });
}
