import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Budget, ContentSource, Difficulty, Docker, FileServer, ImageRegistry, SecurityPolicy, Terminal, Workshop,
} from '../../src/index.js';

/**
 * Building Container Images: a Docker daemon and a private registry per learner. Docker-in-docker runs
 * privileged, so the session namespace enforces the privileged policy; the budget is large enough for both.
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
    budget: Budget.LARGE,
    securityPolicy: SecurityPolicy.PRIVILEGED,
    capabilities: [new Terminal(), new Docker(), new ImageRegistry(), new FileServer({ directory: 'exercises' })],
  });
}
