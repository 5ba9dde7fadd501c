/**
 * `workshops delete`: removes what `workshops deploy` applied from dist/, in reverse sync-wave order, then waits
 * (bounded, with progress) until the namespaces it deleted are gone. The sessions of the deleted environments are
 * deleted too (the runtime made them, not deploy; without their portal nobody else would), and with them the
 * session namespaces they own. CustomResourceDefinitions are kept unless --crds is given: deleting one deletes
 * every object of its kind, those of every other portal of the cluster included. Running it again deletes nothing
 * and succeeds. It deletes only with --yes; without it, it lists what it would delete and exits 1.
 */
import * as path from 'node:path';

import { Command } from 'commander';

import { describeManifest, type Manifest } from '../../constructs/manifest.js';
import { API_VERSION, Labels } from '../../constructs/names.js';
import { releaseEnvironments } from '../../runtime/drain.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import { readDist } from '../dist.js';
import { CliError } from '../errors.js';
import { connect, resolveKind, serverMessage } from '../kube.js';
import { Progress } from '../progress.js';

export interface DeleteResult {
  readonly server: string;
  readonly deleted: Manifest[];
  readonly absent: Manifest[];
  readonly kept: Manifest[];
  readonly sessions: string[];
  readonly failed: Array<{ object: Manifest; message: string }>;
  /** Namespaces still there when the wait ended. */
  readonly remaining: string[];
}

export interface DeleteOptions {
  readonly dist: string;
  readonly kubeconfig?: string;
  readonly crds?: boolean;
  /** How long to wait for the namespaces to be gone. @default 300000 */
  readonly timeoutMs?: number;
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The objects of dist/ in the order delete removes them: the reverse of the order deploy applies them. */
export async function deletionOrder(dist: string): Promise<Manifest[]> {
  const entries = readDist(dist);
  if (!entries.length) throw new CliError(`no objects in ${dist}: run 'workshops synth' first`);
  const { sortManifests } = await import('../../constructs/synthesizer.js');
  return sortManifests(entries.map((e) => e.object)).reverse();
}

async function exists(client: KubeClient, object: Manifest): Promise<boolean> {
  try {
    await resolveKind(client, object.apiVersion, object.kind);
  } catch {
    return false; // its kind is not served any more (its CRD is gone), so neither is the object
  }
  return Boolean(await client.get(object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace));
}

export async function deleteDeployed(options: DeleteOptions): Promise<DeleteResult> {
  const objects = await deletionOrder(options.dist);
  const client = await connect(options.kubeconfig);
  const result: DeleteResult = { server: client.server, deleted: [], absent: [], kept: [], sessions: [], failed: [], remaining: [] };
  const stream = options.stream ?? process.stderr;
  const namespaces = new Set<string>();
  try {
    const progress = new Progress('delete', objects.length, { stream });
    for (const object of objects) {
      progress.tick(describeManifest(object));
      if (object.kind === 'CustomResourceDefinition' && !options.crds) {
        result.kept.push(object);
        continue;
      }
      try {
        if (!(await exists(client, object))) {
          result.absent.push(object);
        } else {
          await client.delete(object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace);
          result.deleted.push(object);
        }
        if (object.kind === 'Namespace') namespaces.add(object.metadata.name);
        if (object.kind === 'WorkshopEnvironment' && object.apiVersion === API_VERSION) {
          // the environment is gone, so its portal starts no new session in it: its sessions can go now
          for (const name of await deleteSessions(client, object.metadata.name, namespaces)) result.sessions.push(name);
          // the drain finalizer is the runtime's, and the portal that would release it goes in this same run
          await releaseEnvironments(client, object.metadata.labels?.[Labels.PORTAL]);
        }
      } catch (error) {
        const message = serverMessage(error);
        result.failed.push({ object, message });
        progress.log(`failed: ${describeManifest(object)}: ${message}`);
      }
    }
    progress.finish();
    result.remaining.push(...(await waitGone(client, namespaces, options.timeoutMs ?? 300_000, stream)));
  } finally {
    await client.close();
  }
  return result;
}

/** Deletes the WorkshopSessions of an environment; adds the namespaces they own (GC removes them) to `namespaces`. */
async function deleteSessions(client: KubeClient, environment: string, namespaces: Set<string>): Promise<string[]> {
  let sessions: Manifest[];
  try {
    sessions = await client.list(API_VERSION, 'WorkshopSession', { labelSelector: `${Labels.ENVIRONMENT}=${environment}` });
  } catch {
    return [];
  }
  if (!sessions.length) return [];
  const uids = new Set(sessions.map((s) => (s.metadata as { uid?: string }).uid));
  for (const ns of await client.list('v1', 'Namespace')) {
    if (ns.metadata.ownerReferences?.some((o) => uids.has(o.uid as string))) namespaces.add(ns.metadata.name);
  }
  const names: string[] = [];
  for (const session of sessions) {
    if (await client.delete(API_VERSION, 'WorkshopSession', session.metadata.name)) names.push(session.metadata.name);
  }
  return names;
}

/** Waits until none of `names` exists, printing how many are left; returns those left at the deadline. */
async function waitGone(
  client: KubeClient,
  names: Set<string>,
  timeoutMs: number,
  stream: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<string[]> {
  if (!names.size) return [];
  const started = Date.now();
  const progress = new Progress('namespaces gone', names.size, { stream });
  let left = [...names].sort();
  let shown = '';
  for (;;) {
    const still: string[] = [];
    for (const name of left) if (await client.get('v1', 'Namespace', name)) still.push(name);
    left = still;
    progress.update(names.size - left.length);
    const line = left.join(', ');
    if (left.length && line !== shown) {
      progress.log(
        `waiting for ${left.length} namespace${left.length === 1 ? '' : 's'} to be gone (${Math.round((Date.now() - started) / 1000)}s): ${line}`,
      );
      shown = line;
    }
    if (!left.length || Date.now() - started >= timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  progress.finish();
  return left;
}

export function deleteCommand(): Command {
  return new Command('delete')
    .summary('remove from the cluster what deploy applied')
    .description(
      'Remove the objects of dist/ from the cluster of the current kubeconfig, in reverse sync-wave order, with the sessions of ' +
        'the environments removed, and wait until the namespaces are gone. CustomResourceDefinitions are kept unless --crds (deleting one ' +
        'deletes every object of its kind in the cluster). Deletes only with --yes: without it, it lists what it would delete and exits 1.',
    )
    .option('--dist <dir>', 'folder of synthesized YAML', 'dist')
    .option('--yes', 'really delete')
    .option('--crds', 'delete the CustomResourceDefinitions too')
    .option('--timeout <seconds>', 'how long to wait for the namespaces to be gone', '300')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)')
    .action(async (options: { dist: string; yes?: boolean; crds?: boolean; timeout: string; kubeconfig?: string }) => {
      const timeout = Number(options.timeout);
      if (!/^\d+$/.test(options.timeout) || timeout < 1) throw new CliError(`--timeout '${options.timeout}' must be whole seconds, at least 1`, 2);
      const dist = path.resolve(options.dist);
      if (!options.yes) {
        const objects = (await deletionOrder(dist)).filter((o) => options.crds || o.kind !== 'CustomResourceDefinition');
        process.stdout.write(`would delete ${objects.length} objects of ${dist}, in this order, and the sessions of their environments:\n`);
        for (const object of objects) process.stdout.write(`  ${describeManifest(object)}\n`);
        throw new CliError('nothing deleted: add --yes to delete');
      }
      const started = Date.now();
      const result = await deleteDeployed({ dist, kubeconfig: options.kubeconfig, crds: options.crds, timeoutMs: timeout * 1000 });
      process.stdout.write(
        `deleted ${result.deleted.length} objects from ${result.server} in ${((Date.now() - started) / 1000).toFixed(1)}s ` +
          `(${result.absent.length} already gone), and ${result.sessions.length} sessions\n`,
      );
      if (result.kept.length) process.stdout.write(`kept ${result.kept.map((o) => describeManifest(o)).join(', ')} (--crds deletes them too)\n`);
      for (const failure of result.failed) process.stdout.write(`failed: ${describeManifest(failure.object)}: ${failure.message}\n`);
      if (result.failed.length) throw new CliError(`${result.failed.length} objects could not be deleted`);
      if (result.remaining.length)
        throw new CliError(
          `namespaces still there after ${timeout}s: ${result.remaining.join(', ')} (see 'kubectl get namespace ${result.remaining[0]} -o yaml')`,
        );
    });
}
