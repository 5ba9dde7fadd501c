import { Duration } from 'cdk8s';
import type { Construct } from 'constructs';

import { Budget, ContentSource, Difficulty, Docker, FileServer, ImageRegistry, SecurityPolicy, Terminal, Workshop } from '../../src/index.js';

/**
 * Building Container Images: a Docker daemon and a private registry per learner. Docker-in-docker runs
 * privileged beside the dashboard in the workshop pod, which lives in the environment namespace: that namespace
 * allows privileged pods (learners cannot create any there), while the learner's own namespace stays restricted.
 * The budget covers the registry and what the learner runs; the workshop pod does not count against it.
 */
export function containerBuilds(scope: Construct): Workshop {
  return new Workshop(scope, 'container-builds', {
    title: 'Building Container Images',
    description: 'Write a Dockerfile, build an image, push it to your own registry and run it on Kubernetes.',
    difficulty: Difficulty.INTERMEDIATE,
    duration: Duration.minutes(45),
    tags: ['containers', 'docker', 'registry'],
    vendor: 'cdk8s-workshops',
    version: '1.0.0',
    content: ContentSource.git('https://github.com/cdk8s-workshops/container-builds.git', 'v1.0.0', 'workshop'),
    budget: Budget.MEDIUM,
    environmentSecurityPolicy: SecurityPolicy.PRIVILEGED,
    capabilities: [new Terminal(), new Docker(), new ImageRegistry(), new FileServer({ directory: 'exercises' })],
  });
}
