/** Wording shared by the problems about YAML (front matter and action blocks). */

/** A short description of a YAML value for messages: its text for scalars, its kind otherwise. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'nothing';
  if (typeof value === 'object') return 'a mapping';
  return `'${String(value)}'`;
}

/** yaml's messages end with "at line N, column M:" and a code frame; the problem already carries the line. */
export function yamlErrorMessage(error: Error): string {
  return error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
