import { Duration } from 'cdk8s';

/** Throws unless `duration` is a positive whole number of seconds; returns the seconds. */
export function checkDuration(where: string, field: string, duration: Duration): number {
  let seconds: number;
  try {
    seconds = duration.toSeconds();
  } catch {
    throw new Error(`${where}: '${field}' (${duration.toHumanString()}) must be a whole number of seconds`);
  }
  if (seconds <= 0) throw new Error(`${where}: '${field}' (${seconds}s) must be longer than zero`);
  return seconds;
}

/**
 * Parses an Educates-style duration: a whole number with `s`, `m` or `h`, or plain seconds (`90m`, `1h`, `3600`).
 */
export function parseDuration(text: string): Duration {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration: write a whole number with s, m or h, such as 90m`);
  const amount = Number(match[1]);
  return match[2] === 'h' ? Duration.hours(amount) : match[2] === 'm' ? Duration.minutes(amount) : Duration.seconds(amount);
}

/** Formats seconds the way authors write them (`90m`, `45s`, `48h`) for messages. */
export function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 24 * 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
