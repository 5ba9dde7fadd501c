import { Duration } from 'cdk8s';
import type { Construct } from 'constructs';

import { Budget, Difficulty, SessionRole, Terminal, Workshop } from '../../src/index.js';

/** The smallest workshop: instructions beside one terminal, with read-only access to its namespace. */
export function helloTerminal(scope: Construct): Workshop {
  return new Workshop(scope, 'hello-terminal', {
    title: 'Hello, Terminal',
    description: 'A five-minute tour of the workshop dashboard: instructions on the left, a shell on the right.',
    difficulty: Difficulty.BEGINNER,
    duration: Duration.minutes(10),
    tags: ['intro'],
    budget: Budget.SMALL,
    role: SessionRole.VIEW,
    capabilities: [new Terminal()],
  });
}
