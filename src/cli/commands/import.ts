/**
 * `workshops import`: turns Educates resources into a cdk8s-workshops module. The TypeScript goes to stdout or a
 * file; every field that could not be carried over goes to stderr, so nothing is dropped silently.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command } from 'commander';

import { CliError } from '../errors.js';

function readInput(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

export function importCommand(): Command {
  return new Command('import')
    .summary('convert an Educates Workshop (and TrainingPortal) into TypeScript')
    .description(
      'Convert an Educates Workshop YAML (and optionally its TrainingPortal) into a TypeScript workshop definition that ' +
        "uses 'cdk8s-workshops'; every field that has no equivalent is listed on stderr with the reason",
    )
    .argument('<workshop.yaml>', 'the Educates Workshop resource(s)')
    .argument('[trainingportal.yaml]', 'the Educates TrainingPortal resource (default: a portal like educates deploy-workshop makes)')
    .option('-o, --output <file>', 'write the TypeScript here instead of stdout')
    .action(async (workshopFile: string, portalFile: string | undefined, options: { output?: string }) => {
      const workshopYaml = readInput(workshopFile);
      const portalYaml = portalFile === undefined ? undefined : readInput(portalFile);
      const { importEducates } = await import('../../importer/index.js');
      let result: ReturnType<typeof importEducates>;
      try {
        result = importEducates({ workshopYaml, portalYaml, sourceName: path.basename(workshopFile) });
      } catch (error) {
        // the importer names the document, field and value; that is the whole message the user needs
        throw new CliError(`${workshopFile}: ${(error as Error).message}`);
      }
      for (const field of result.unsupported) {
        process.stderr.write(
          `unsupported: ${field.resource}: ${field.field}${field.value !== undefined ? ` = ${field.value}` : ''}: ${field.reason}\n`,
        );
      }
      for (const step of result.todo) process.stderr.write(`to do before deploying: ${step.resource}: ${step.field}: ${step.action}\n`);
      if (options.output) {
        fs.mkdirSync(path.dirname(path.resolve(options.output)), { recursive: true });
        fs.writeFileSync(options.output, result.source);
      } else {
        process.stdout.write(result.source);
      }
      const count = result.unsupported.length;
      process.stderr.write(
        `${options.output ? `wrote ${options.output}; ` : ''}${count ? `${count} field${count === 1 ? ' was' : 's were'} not carried over (listed above)` : 'every field was carried over'}\n`,
      );
    });
}
