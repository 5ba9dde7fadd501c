/**
 * Structured JSON logs (pino). Session passwords, keys and tokens are never passed to the logger; the redaction
 * list is a second line of defence for fields that might carry them.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['*.password', '*.token', '*.secrets', '*.authorization', 'password', 'token', 'secrets'], censor: '[redacted]' },
    base: { component: name },
  });
}
