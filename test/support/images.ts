/**
 * The project's container images for tests that run real pods: built by scripts/images/build.sh (a cache hit when
 * nothing changed; a cold build takes minutes) and pushed by scripts/images/push.sh to a registry, e.g. the loopback
 * docker-registry of test/support/registry.ts that a real node's containerd pulls from over plain HTTP.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface PushedImages {
  /** `<registry>/cdk8s-workshops/training-portal:<tag>`: TrainingPortal's `image`. */
  readonly portal: string;
  /** `<registry>/cdk8s-workshops/session-dashboard:<tag>`: the sessions' `workshopImage`. */
  readonly dashboard: string;
  /** `<registry>/cdk8s-workshops/hello-web:1.0.0`: the k8s-fundamentals example's application. */
  readonly helloWeb: string;
  /** The Docker capability's `image`. */
  readonly dockerDaemon: string;
  /** The ImageRegistry capability's `image`. */
  readonly registry: string;
  /** Every pushed reference and its manifest digest. */
  readonly digests: Map<string, string>;
}

/** Runs a script of scripts/images; its log (phases and their times) goes to the test's stderr. Resolves to its stdout. */
export function imagesScript(name: 'build.sh' | 'push.sh', args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts/images', name), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`scripts/images/${name} ${args.join(' ')} exited with ${code}: ${err.slice(-3000)}`)),
    );
  });
}

/** Builds what is not cached yet and pushes every image to `registryHost` (host:port) with `tag`. */
export async function buildAndPushImages(registryHost: string, tag: string): Promise<PushedImages> {
  await imagesScript('build.sh');
  const out = await imagesScript('push.sh', [registryHost, tag]);
  const digests = new Map(
    out
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.lastIndexOf('@');
        return [line.slice(0, at), line.slice(at + 1)] as [string, string];
      }),
  );
  const ref = (repository: string, t = tag) => {
    const name = `${registryHost}/cdk8s-workshops/${repository}:${t}`;
    if (!digests.has(name)) throw new Error(`push.sh did not report ${name} (it printed: ${out.trim()})`);
    return name;
  };
  return {
    portal: ref('training-portal'),
    dashboard: ref('session-dashboard'),
    helloWeb: ref('hello-web', '1.0.0'),
    dockerDaemon: ref('docker-daemon'),
    registry: ref('registry'),
    digests,
  };
}
