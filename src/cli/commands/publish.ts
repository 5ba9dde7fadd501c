/**
 * `workshops publish`: packs a workshop's content and pushes it to a registry as an OCI artifact, the way
 * `educates publish-workshop` does with imgpkg; sessions then pull it when they start (ContentSource.image).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command } from 'commander';

import type { PublishResult } from '../../oci/index.js';
import { CliError } from '../errors.js';
import { formatBytes, Progress } from '../progress.js';

export interface RegistryOptions {
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
}

export interface PublishCommandOptions extends RegistryOptions {
  readonly image: string;
}

/** Credentials from the options, else from the environment (so that passwords stay out of shell history and ps). */
export function registryCredentials(options: RegistryOptions, env: NodeJS.ProcessEnv = process.env): RegistryOptions {
  const username = options.username ?? env.WORKSHOPS_REGISTRY_USERNAME;
  const password = options.password ?? env.WORKSHOPS_REGISTRY_PASSWORD;
  if (!!username !== !!password)
    throw new CliError('give both a registry username and a password (--username/--password or WORKSHOPS_REGISTRY_USERNAME/PASSWORD), or neither');
  return { username, password, insecure: options.insecure };
}

/** Publishes with a progress bar on stderr; registry errors become one-line CLI errors. */
export async function publishWorkshop(dir: string, options: PublishCommandOptions): Promise<PublishResult> {
  const workshopDir = path.resolve(dir);
  if (!fs.existsSync(path.join(workshopDir, 'workshop'))) {
    throw new CliError(`${dir} has no workshop/ folder: publish the folder that holds workshop/content/`);
  }
  const { publishContent, OciError } = await import('../../oci/index.js');
  const progress = new Progress('publish', 0, { unit: 'bytes' });
  try {
    return await publishContent({
      dir: workshopDir,
      ref: options.image,
      ...registryCredentials(options),
      onProgress: (done, total) => progress.update(done, total),
    });
  } catch (error) {
    if (error instanceof OciError) throw new CliError(error.message);
    throw error;
  } finally {
    progress.finish();
  }
}

/** The reference pinned to the digest: `registry/repository@sha256:…` (ContentSource.image takes a tag or a digest, not both). */
export function pinnedReference(ref: string, digest: string): string {
  return `${ref.replace(/@sha256:[a-f0-9]+$/, '').replace(/:[\w][\w.-]{0,127}$/, '')}@${digest}`;
}

export function printPublished(result: PublishResult, out: NodeJS.WritableStream = process.stdout): void {
  out.write(
    `published ${formatBytes(result.bytes)} to ${result.ref}\ndigest: ${result.digest}\n` +
      'in workshop.ts, either follow this tag (running sessions pick up later publishes):\n' +
      `  content: ContentSource.image('${result.ref}'),\n` +
      'or pin exactly this content:\n' +
      `  content: ContentSource.image('${pinnedReference(result.ref, result.digest)}'),\n`,
  );
}

export function publishCommand(): Command {
  return new Command('publish')
    .summary('push the workshop content to a registry as an OCI artifact')
    .description(
      'Pack the workshop content of a folder (workshop/, exercises/, README.md) and push it to a registry as an OCI artifact; ' +
        'prints the digest and the ContentSource.image(...) line for workshop.ts. Publishing unchanged content changes nothing.',
    )
    .argument('[dir]', 'the workshop folder', '.')
    .requiredOption('--image <ref>', 'where to push: registry/repository:tag, e.g. localhost:5000/my-lab-files:latest')
    .option('--username <name>', 'registry user (default: $WORKSHOPS_REGISTRY_USERNAME)')
    .option('--password <password>', 'registry password (default: $WORKSHOPS_REGISTRY_PASSWORD, which keeps it out of the shell history)')
    .option('--insecure', 'plain HTTP to a registry that is not on loopback (loopback registries use HTTP anyway)')
    .action(async (dir: string, options: PublishCommandOptions) => {
      printPublished(await publishWorkshop(dir, options));
    });
}
