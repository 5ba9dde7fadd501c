/** Checking every page of a workshop's instructions, for `workshops validate`, CI and the preview. */
import { ENVIRONMENT_VARIABLES, SESSION_VARIABLES } from '../constructs/variables.js';
import { loadContent } from './load-content.js';
import { WorkshopProblems } from './preview/workshop-problems.js';
import type { ContentProblem } from './problems.js';

/**
 * The variables instructions of a real workshop may use: every session and environment variable, plus the
 * author's own (e.g. from request parameters).
 */
export function workshopVariableNames(extra: readonly string[] = []): string[] {
  return [...new Set<string>([...ENVIRONMENT_VARIABLES, ...SESSION_VARIABLES, ...extra])].sort();
}

/** All problems of all pages, sorted by file then line; `{{< param X >}}` must name one of `knownVariables`. */
export async function validateContent(workshopDir: string, knownVariables: readonly string[]): Promise<ContentProblem[]> {
  const content = await loadContent(workshopDir);
  // Values do not matter for checking, only which names exist; placeholders keep any rendering readable.
  const variables = Object.fromEntries(knownVariables.map((name) => [name, `$(${name})`]));
  // The preview's tally of every page's problems, with nothing to remember between calls.
  return new WorkshopProblems(variables).of(content);
}
