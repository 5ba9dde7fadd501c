/**
 * The command tree of `workshops`. Every command lives in its own file under commands/ and loads what it needs
 * (the Kubernetes client, the content renderer, the OCI client) only when it runs, so `--help` and `new` start fast.
 */
import { Command } from 'commander';

import { addContextOptions } from './commands/context.js';
import { deleteCommand } from './commands/delete.js';
import { deployCommand } from './commands/deploy.js';
import { imagesCommand } from './commands/images.js';
import { importCommand } from './commands/import.js';
import { localCommand } from './commands/local.js';
import { newCommand } from './commands/new.js';
import { browseCommand, portalCommand } from './commands/portal.js';
import { publishCommand } from './commands/publish.js';
import { serveCommand } from './commands/serve.js';
import { sessionsCommand } from './commands/sessions.js';
import { synthCommand } from './commands/synth.js';
import { updateCommand } from './commands/update.js';
import { validateCommand } from './commands/validate.js';
import { packageVersion } from './package-info.js';

export function buildProgram(): Command {
  const program = new Command('workshops')
    .description('Write, check, publish and deploy hands-on Kubernetes workshops defined with cdk8s-workshops.')
    .version(packageVersion(), '-V, --version', 'print the version of cdk8s-workshops')
    .option('--debug', 'show stack traces of errors (also DEBUG=1)')
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 failure, 2 usage error.
A local loop: workshops new my-lab → workshops serve → workshops validate → workshops publish → workshops deploy.`,
    );
  for (const command of [
    newCommand(),
    synthCommand(),
    validateCommand(),
    serveCommand(),
    publishCommand(),
    updateCommand(),
    deployCommand(),
    sessionsCommand(),
    localCommand(),
    importCommand(),
    imagesCommand(),
    deleteCommand(),
    portalCommand(),
    browseCommand(),
  ]) {
    program.addCommand(command);
  }
  addContextOptions(program);
  configure(program);
  return program;
}

/**
 * Settings every command needs, applied down the tree (addCommand does not pass them on): throw instead of
 * exiting, so that main() picks the exit code, and keep complaints to one line.
 */
function configure(command: Command): void {
  command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (text, write) =>
        write(
          `workshops: ${text
            .trim()
            .split('\n')
            .map((l) => l.trim())
            .join(' ')} (see 'workshops ${commandPath(command)}--help')\n`,
        ),
    });
  for (const sub of command.commands) configure(sub);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.map((n) => `${n} `).join('');
}
