/**
 * How the CLI fails: one readable line on stderr and an exit code that scripts can rely on (1 for a failure, 2 for
 * a command line the CLI does not understand). Stack traces are for developers of the CLI, so they appear only
 * with --debug or DEBUG=1.
 */

/** Exit codes of every command. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** A failure the user can act on: its message is shown as is, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode: number = ExitCode.FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Whether stack traces were asked for. */
export function debugEnabled(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || env.DEBUG === '1' || env.DEBUG === 'true';
}

/**
 * The text shown for an error: its message on one line (a multi-line message, such as a list of synthesis
 * errors, keeps its lines but gets no stack), or the stack when debugging.
 */
export function describeError(error: unknown, debug: boolean): string {
  if (debug && error instanceof Error && error.stack) return error.stack;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
