/**
 * `workshops images build|push`: the container images the in-cluster half runs (the training portal, the session
 * dashboard, and the k8s-fundamentals example's hello-web), built from images/*\/Dockerfile without a Docker daemon
 * and pushed to the user's own registry. The work is done by scripts/images/build.sh and push.sh of this package
 * (buildah, mmdebstrap and skopeo from Debian; root); this command finds them, checks its arguments and says what
 * to set in the constructs afterwards.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command } from 'commander';

import { CliError, ExitCode } from '../errors.js';
import { packageRoot, packageVersion } from '../package-info.js';

/** host[:port][/path]: where images go, e.g. `127.0.0.1:5000` or `registry.example.com/team`. */
const REGISTRY = /^[A-Za-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._/-]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const IMAGE_NAMES = ['portal', 'dashboard', 'hello-web', 'docker-daemon', 'registry'] as const;

export function checkRegistry(registry: string): string {
  const value = registry.replace(/^(https?|docker):\/\//, '').replace(/\/+$/, '');
  if (!REGISTRY.test(value)) {
    throw new CliError(`--registry '${registry}' is not host[:port][/path] (e.g. 127.0.0.1:5000 or registry.example.com/team)`, ExitCode.USAGE);
  }
  return value;
}

export function checkTag(tag: string): string {
  if (!TAG.test(tag))
    throw new CliError(
      `--tag '${tag}' is not an image tag: letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'`,
      ExitCode.USAGE,
    );
  return tag;
}

/** The references push.sh writes for a registry and tag, and the construct settings that use them. */
export function imageSettings(registry: string, tag: string): { portal: string; dashboard: string; text: string } {
  const portal = `${registry}/cdk8s-workshops/training-portal:${tag}`;
  const dashboard = `${registry}/cdk8s-workshops/session-dashboard:${tag}`;
  return {
    portal,
    dashboard,
    text:
      'point the constructs at these images:\n' +
      `  new TrainingPortal(app, 'labs', { image: '${portal}', ... })\n` +
      `  new Workshop(app, 'my-lab', { workshopImage: '${dashboard}', ... })   (SessionTemplate's workshopImage)\n` +
      `  new Docker({ image: '${registry}/cdk8s-workshops/docker-daemon:${tag}' }), new ImageRegistry({ image: '${registry}/cdk8s-workshops/registry:${tag}' })\n`,
  };
}

function script(name: 'build.sh' | 'push.sh'): string {
  const file = path.join(packageRoot(), 'scripts', 'images', name);
  if (!fs.existsSync(file))
    throw new CliError(`${file} is missing: this installation of cdk8s-workshops has no image scripts; use a checkout of the repository`);
  return file;
}

/** Runs a script with the terminal's stdio (its phases and times go to stderr); its exit code becomes ours. */
async function runScript(file: string, args: string[], capture = false): Promise<string> {
  const child = spawn('bash', [file, ...args], { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    process.stdout.write(d);
  });
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('exit', resolve));
  if (code !== 0) throw new CliError(`${path.basename(file)} ${args.join(' ')} failed (exit code ${code}); its log is above`);
  return out;
}

export function imagesCommand(): Command {
  const images = new Command('images')
    .summary('build the portal and dashboard images, and push them to your registry')
    .description(
      'Build the container images of the training portal, the session dashboard (with kubectl, git and the docker CLI) ' +
        'and the examples from images/*/Dockerfile with buildah, without a Docker daemon, and push them to a registry. ' +
        'Needs root and the Debian packages buildah, mmdebstrap and skopeo; each image is cached by a hash of its inputs ' +
        'under ~/.cache/cdk8s-workshops. With Docker instead: docker build -f images/<name>/Dockerfile (see the Dockerfiles).',
    );
  images.addCommand(
    new Command('build')
      .summary('build the images (cached: unchanged inputs build nothing)')
      .argument('[image...]', `which: ${IMAGE_NAMES.join(', ')} (default: all)`)
      .action(async (names: string[]) => {
        for (const name of names) {
          if (!(IMAGE_NAMES as readonly string[]).includes(name))
            throw new CliError(`unknown image '${name}': known are ${IMAGE_NAMES.join(', ')}`, ExitCode.USAGE);
        }
        await runScript(script('build.sh'), names);
      }),
  );
  images.addCommand(
    new Command('push')
      .summary('push the images to a registry (building what is not built yet)')
      .requiredOption('--registry <host>', 'host[:port][/path] to push to, e.g. 127.0.0.1:5000 or registry.example.com/team')
      .option('--tag <tag>', 'tag of the portal and dashboard images (default: the package version)')
      .option('--insecure', "do not verify the registry's TLS certificate (loopback registries are plain HTTP anyway)")
      .action(async (options: { registry: string; tag?: string; insecure?: boolean }) => {
        const registry = checkRegistry(options.registry);
        const tag = checkTag(options.tag ?? packageVersion());
        if (options.insecure) process.env.PUSH_TLS_VERIFY = 'false';
        await runScript(script('push.sh'), [registry, tag], true);
        process.stdout.write(imageSettings(registry, tag).text);
      }),
  );
  return images;
}
