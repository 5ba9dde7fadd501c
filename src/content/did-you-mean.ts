/**
 * "Did you mean" suggestions for misspelt names (actions, fields, variables): the closest known name by edit
 * distance, offered only when it is close enough to be a plausible typo.
 */

import { editDistance } from '../constructs/edit-distance.js';

/** The known name closest to `name`, or undefined when none is within a typo's distance. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of [...known].sort()) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean 'x'?)` for a close known name, or an empty string. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const suggestion = closestName(name, known);
  return suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`;
}
