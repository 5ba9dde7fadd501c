import { ALL_VARIABLES, parseDuration } from '../constructs/index.js';

/** Seconds of an Educates duration (`90m`, `1h`, `30s`, or plain seconds), or undefined when it is not one. */
export function durationSeconds(text: string | number): number | undefined {
  try {
    return parseDuration(String(text)).toSeconds();
  } catch {
    return undefined;
  }
}

/** The `$(name)` variables used anywhere in a value that the library does not define. */
export function unknownVariables(value: unknown, extra: ReadonlySet<string> = new Set()): string[] {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  const unknown = new Set<string>();
  for (const match of text.matchAll(/\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)/g)) {
    if (!ALL_VARIABLES.has(match[1]) && !extra.has(match[1]) && match[1] !== 'base64') unknown.add(match[1]);
  }
  return [...unknown];
}

/** The reason for an unsupported value that uses variables the library does not have (nor `extra`), or undefined. */
export function variablesProblem(value: unknown, extra?: ReadonlySet<string>): string | undefined {
  const unknown = unknownVariables(value, extra);
  if (!unknown.length) return undefined;
  return `uses ${unknown.map((v) => `$(${v})`).join(', ')}, which cdk8s-workshops does not define`;
}

/** Sets a key of a record made from the input as an own property, even `__proto__` (which `=` would not). */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
