/**
 * Problems found in a workshop's instructions, each pointing at a file and a line so that an editor, the CLI and
 * the preview can send the author straight to it.
 */

/** One problem in the content; `file` is relative to the workshop directory, `line` is 1-based. */
export interface ContentProblem {
  file: string;
  line: number;
  message: string;
}

/** Problems sorted by file, then line, then message, without duplicates (the same check may run twice). */
export function sortProblems(problems: readonly ContentProblem[]): ContentProblem[] {
  const unique = new Map<string, ContentProblem>();
  for (const problem of problems) unique.set(`${problem.file}\u0000${problem.line}\u0000${problem.message}`, problem);
  return [...unique.values()].sort(compareProblems);
}

function compareProblems(a: ContentProblem, b: ContentProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

/** `file:line: message`, the form compilers use, which editors and terminals turn into links. */
export function formatProblem(problem: ContentProblem): string {
  return `${problem.file}:${problem.line}: ${problem.message}`;
}
