/**
 * `workshops update`: publishes new content to the tag running sessions already follow. Nothing is restarted or
 * re-applied: each session's dashboard checks the tag's digest itself and switches to the new content. With
 * --session it says whether a given session follows that tag at all.
 */
import { Command } from 'commander';

import { API_VERSION } from '../../constructs/names.js';
import type { WorkshopSession } from '../../runtime/session.js';
import type { WorkshopEnvironment } from '../../runtime/state.js';
import { CliError } from '../errors.js';
import { connect, ENDED_PHASES } from '../kube.js';
import { printPublished, type PublishCommandOptions, publishWorkshop } from './publish.js';

/** `registry/repository` and the tag (or digest) of a reference, with the default tag filled in. */
function splitReference(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
  const match = /^(.*?)(?::([\w][\w.-]{0,127}))?$/.exec(ref)!;
  const slash = ref.lastIndexOf('/');
  // a colon before the last '/' is a registry port, not a tag
  if (match[2] !== undefined && ref.lastIndexOf(':') > slash) return { name: match[1], tag: match[2] };
  return { name: ref, tag: 'latest' };
}

/** Whether a running session will see content published to `published`, and why (or why not). */
export async function sessionFollows(name: string, published: string, kubeconfig?: string): Promise<{ follows: boolean; message: string }> {
  const client = await connect(kubeconfig);
  try {
    const session = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
    if (!session) throw new CliError(`no WorkshopSession named '${name}' (see 'workshops sessions list')`);
    const environment = await client.get<WorkshopEnvironment>(API_VERSION, 'WorkshopEnvironment', session.spec.environment);
    const content = (environment?.spec.workshop as { content?: { image?: { ref: string } } } | undefined)?.content;
    const phase = session.status?.phase ?? 'Requested';
    if (!content?.image) {
      return {
        follows: false,
        message: `session ${name} (${phase}): its workshop does not take content from an image, so this update does not reach it`,
      };
    }
    const used = splitReference(content.image.ref);
    const target = splitReference(published);
    if (used.name !== target.name)
      return { follows: false, message: `session ${name} (${phase}) uses ${content.image.ref}, not ${published}: this update does not reach it` };
    if (used.digest) return { follows: false, message: `session ${name} (${phase}) is pinned to ${content.image.ref}: it keeps that content` };
    if (used.tag !== target.tag)
      return { follows: false, message: `session ${name} (${phase}) follows tag '${used.tag}', not '${target.tag}': this update does not reach it` };
    if (ENDED_PHASES.has(phase)) return { follows: false, message: `session ${name} is ${phase}: it will not update` };
    return {
      follows: true,
      message: `session ${name} (${phase}) follows ${content.image.ref}: its dashboard switches to the new content at its next check of the tag (every 30 s by default)`,
    };
  } finally {
    await client.close();
  }
}

export function updateCommand(): Command {
  return new Command('update')
    .summary('publish new content for running sessions to pick up')
    .description(
      'Publish the content again to the tag a workshop follows (ContentSource.image with a tag, not a digest).\n\n' +
        'What reaches running sessions: their dashboard checks the tag (every 30 s by default), pulls the new content when the digest ' +
        'changed and shows the new instructions; nothing is restarted. Sessions of workshops pinned to a digest, or following another ' +
        'tag, keep their content. Changes to workshop.ts (capabilities, budget, objects) are not content: they need synth and deploy, ' +
        'and reach only sessions created after that.',
    )
    .argument('[dir]', 'the workshop folder', '.')
    .requiredOption('--image <ref>', 'the tag the workshop follows, as in ContentSource.image(...)')
    .option('--session <name>', 'then tell whether this running session follows that tag (needs the cluster)')
    .option('--username <name>', 'registry user (default: $WORKSHOPS_REGISTRY_USERNAME)')
    .option('--password <password>', 'registry password (default: $WORKSHOPS_REGISTRY_PASSWORD)')
    .option('--insecure', 'plain HTTP to a registry that is not on loopback')
    .option('--kubeconfig <file>', 'kubeconfig for --session (default: $KUBECONFIG, else ~/.kube/config)')
    .action(async (dir: string, options: PublishCommandOptions & { session?: string; kubeconfig?: string }) => {
      const result = await publishWorkshop(dir, options);
      printPublished(result);
      if (!options.session) return;
      const { follows, message } = await sessionFollows(options.session, result.ref, options.kubeconfig);
      process.stdout.write(`${message}\n`);
      if (!follows) process.exitCode = 1;
    });
}
