/**
 * Runs the `workshops` command line: parses it, runs the command, and turns every way of failing into one line on
 * stderr and an exit code (0 ok, 1 failure, 2 usage error).
 */
import { CommanderError } from 'commander';

import { CliError, debugEnabled, describeError, ExitCode } from './errors.js';
import { buildProgram } from './program.js';

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  // `workshops sessions list | head -1`: a reader that stops early is not an error of ours
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK);
    throw error;
  });
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already written the help or its one-line complaint
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.OK;
      return ExitCode.USAGE;
    }
    process.stderr.write(`workshops: error: ${describeError(error, debugEnabled(argv))}\n`);
    return error instanceof CliError ? error.exitCode : ExitCode.FAILURE;
  }
}
