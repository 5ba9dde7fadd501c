/**
 * `workshops validate`: everything that can be checked without a cluster. Synthesizes into a temporary folder (so
 * author mistakes in workshop.ts show up, and dist/ is left alone), checks every synthesized object for fields the
 * API server's strict field validation would refuse (as Argo CD's server-side apply does: see field-check.ts), then
 * every workshop's Markdown content (front matter, actions, links, variables); prints every problem as
 * `file:line: message`, the file of an object being where synthesis writes it in dist/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Command } from 'commander';

import type { Manifest } from '../../constructs/manifest.js';
import { readDist } from '../dist.js';
import { CliError } from '../errors.js';
import { describeUnknownField, unknownFields } from '../field-check.js';
import { findWorkshopDirs, readProjectConfig } from '../project.js';
import { synthProject } from './synth.js';

export interface Problem {
  /** Relative to the current folder. */
  readonly file: string;
  readonly line?: number;
  readonly message: string;
}

export interface ValidateResult {
  readonly workshops: string[];
  readonly objects: number;
  readonly problems: Problem[];
}

export async function validateProject(options: { dir?: string; app?: string } = {}): Promise<ValidateResult> {
  const dir = path.resolve(options.dir ?? process.cwd());
  const problems: Problem[] = [];
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'workshops-validate-'));
  let objects = 0;
  try {
    objects = (await synthProject({ dir, app: options.app, out: outdir, capture: true })).objects;
    const output = options.app ? 'dist' : readProjectConfig(dir).output;
    problems.push(...fieldProblems(readDist(outdir), (file) => path.relative(process.cwd(), path.resolve(dir, output, file))));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    for (const message of synthesisMessages(error.message)) problems.push({ file: 'synth', message });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  const workshops = findWorkshopDirs(dir);
  problems.push(...(await contentProblems(workshops)));
  return { workshops, objects, problems };
}

/** Unknown fields of the synthesized objects, file by file (the CRDs of every file judge the custom resources). */
export function fieldProblems(dist: ReadonlyArray<{ file: string; object: Manifest }>, where: (file: string) => string): Problem[] {
  const crds = dist.map((d) => d.object).filter((o) => o.kind === 'CustomResourceDefinition');
  const files = [...new Set(dist.map((d) => d.file))];
  return files.flatMap((file) =>
    unknownFields(
      dist.filter((d) => d.file === file).map((d) => d.object),
      crds,
    ).map((problem) => ({ file: where(file), message: describeUnknownField(problem) })),
  );
}

/**
 * The author mistakes in a failed app's output, one per line (synthesis reports all it finds at once). An app that
 * let its error escape printed a stack trace: only the error's message is kept.
 */
export function synthesisMessages(output: string): string[] {
  const lines = output.replace(/^synthesis failed:\n?/, '').split('\n');
  const thrown = lines.findIndex((l) => /^\w*Error: /.test(l));
  if (thrown >= 0) {
    const end = lines.findIndex((l, i) => i > thrown && /^\s+at /.test(l));
    const message = lines.slice(thrown, end < 0 ? undefined : end);
    message[0] = message[0].replace(/^\w*Error: /, '');
    return message.map((l) => l.trim()).filter(Boolean);
  }
  return lines.map((l) => l.trim()).filter((l) => l && l !== 'synthesis failed:');
}

/** Problems of every workshop's Markdown, with paths relative to the current folder so editors can open them. */
async function contentProblems(workshopDirs: string[]): Promise<Problem[]> {
  // loaded here: the Markdown renderer is not needed for the other commands
  const { validateContent, workshopVariableNames } = await import('../../content/index.js');
  const known = workshopVariableNames();
  const problems: Problem[] = [];
  for (const dir of workshopDirs) {
    for (const problem of await validateContent(dir, known)) {
      problems.push({ file: path.relative(process.cwd(), path.join(dir, problem.file)), line: problem.line, message: problem.message });
    }
  }
  return problems;
}

export function formatProblem(problem: Problem): string {
  return `${problem.file}${problem.line ? `:${problem.line}` : ''}: ${problem.message}`;
}

export function validateCommand(): Command {
  return new Command('validate')
    .summary("synthesize, check the objects' fields and the content; problems as file:line: message")
    .description(
      'Check the project without a cluster: synthesize into a temporary folder, check every object for fields the API ' +
        "server's strict validation would refuse (unknown fields), then check the Markdown content of every workshop (folders with " +
        'workshop/content/); prints problems as file:line: message and exits 1 if there are any',
    )
    .option('--app <file>', "a .ts or .js app to run instead of cdk8s.yaml's 'app'")
    .action(async (options: { app?: string }) => {
      const result = await validateProject(options);
      for (const problem of result.problems) process.stdout.write(`${formatProblem(problem)}\n`);
      const summary = `${result.workshops.length} workshop folder${result.workshops.length === 1 ? '' : 's'}, ${result.objects} objects synthesized`;
      if (result.problems.length) throw new CliError(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} (${summary})`);
      process.stdout.write(`no problems (${summary})\n`);
    });
}
