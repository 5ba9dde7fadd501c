/**
 * The one error type of the OCI module. Its message is meant for the person who ran `workshops publish` or who reads
 * a dashboard's log: it names the reference or the registry, says what went wrong and what to do about it, and never
 * carries a stack trace, a password or a token.
 */
export class OciError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OciError';
  }
}
