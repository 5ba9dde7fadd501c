/**
 * `workshops deploy --dry-run`: every object of dist/ sent to the API server as a server-side apply with
 * dryRun=All and fieldValidation=Strict, so schemas, admission policies and quotas judge it and nothing is
 * stored. Every refusal is named with the server's message. An object in a namespace that this same deployment
 * creates, or of a kind whose CustomResourceDefinition it installs, cannot be judged before that exists: it is
 * listed as not checked (with the reason), not silently passed.
 */
import { describeManifest, type Manifest } from '../../constructs/manifest.js';
import { readDist } from '../dist.js';
import { CliError } from '../errors.js';
import { connect, resolveKind, serverMessage } from '../kube.js';
import { Progress } from '../progress.js';

export type DryRunOutcome = 'create' | 'change' | 'unchanged';

export interface DryRunResult {
  readonly server: string;
  readonly checked: Array<{ file: string; object: Manifest; outcome: DryRunOutcome }>;
  readonly refused: Array<{ file: string; object: Manifest; message: string }>;
  readonly unchecked: Array<{ file: string; object: Manifest; reason: string }>;
}

/** The object without what every write changes (resourceVersion, managedFields' times), to tell a change from none. */
function comparable(object: Manifest | undefined): string {
  if (!object) return '';
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...metadata } = object.metadata as Record<string, unknown>;
  return JSON.stringify({ ...object, metadata });
}

export async function dryRun(options: { dist: string; kubeconfig?: string }): Promise<DryRunResult> {
  const entries = readDist(options.dist);
  if (!entries.length) throw new CliError(`no objects in ${options.dist}: run 'workshops synth' first`);
  const fileOf = new Map(entries.map((e) => [e.object, e.file]));
  const { sortManifests } = await import('../../constructs/synthesizer.js');
  const ordered = sortManifests(entries.map((e) => e.object));
  const namespacesHere = new Set(ordered.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const crds = new Map<string, string>();
  for (const object of ordered.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = object.spec as { group: string; names: { kind: string } };
    crds.set(`${spec.group}/${spec.names.kind}`, object.metadata.name);
  }
  const client = await connect(options.kubeconfig);
  const result: DryRunResult = { server: client.server, checked: [], refused: [], unchecked: [] };
  const namespaceExists = new Map<string, boolean>();
  const progress = new Progress('dry run', ordered.length);
  try {
    for (const object of ordered) {
      const file = fileOf.get(object)!;
      progress.tick(describeManifest(object));
      const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
      const crd = crds.get(`${group}/${object.kind}`);
      let info;
      try {
        info = await resolveKind(client, object.apiVersion, object.kind);
      } catch (error) {
        if (crd) {
          result.unchecked.push({ file, object, reason: `its CustomResourceDefinition ${crd} is not installed yet (this deployment installs it)` });
        } else {
          result.refused.push({ file, object, message: (error as Error).message });
        }
        continue;
      }
      const namespace = object.metadata.namespace;
      if (info.namespaced && namespace && namespacesHere.has(namespace)) {
        if (!namespaceExists.has(namespace)) namespaceExists.set(namespace, Boolean(await client.get('v1', 'Namespace', namespace)));
        if (!namespaceExists.get(namespace)) {
          result.unchecked.push({ file, object, reason: `its namespace ${namespace} does not exist yet (this deployment creates it)` });
          continue;
        }
      }
      try {
        const before = await client.get<Manifest>(object.apiVersion, object.kind, object.metadata.name, namespace);
        const after = await client.apply(object, { dryRun: true });
        result.checked.push({ file, object, outcome: !before ? 'create' : comparable(before) === comparable(after) ? 'unchanged' : 'change' });
      } catch (error) {
        const message = serverMessage(error);
        result.refused.push({ file, object, message });
        progress.log(`refused: ${describeManifest(object)} (${file}): ${message}`);
      }
    }
  } finally {
    progress.finish();
    await client.close();
  }
  return result;
}

export function printDryRun(result: DryRunResult, out: NodeJS.WritableStream = process.stdout): void {
  const count = (outcome: DryRunOutcome) => result.checked.filter((c) => c.outcome === outcome).length;
  const total = result.checked.length + result.refused.length + result.unchecked.length;
  out.write(
    `dry run of ${total} objects against ${result.server} (nothing was changed): ${count('create')} would be created, ` +
      `${count('change')} changed, ${count('unchanged')} unchanged; ${result.refused.length} refused, ${result.unchecked.length} not checked\n`,
  );
  for (const { object, file, outcome } of result.checked.filter((c) => c.outcome !== 'unchanged')) {
    out.write(`  would ${outcome}: ${describeManifest(object)} (${file})\n`);
  }
  if (result.unchecked.length) {
    out.write(`not checked ${result.unchecked.length}:\n`);
    for (const { object, file, reason } of result.unchecked) out.write(`  ${describeManifest(object)} (${file}): ${reason}\n`);
  }
  if (result.refused.length) {
    out.write(`refused ${result.refused.length}:\n`);
    for (const { object, file, message } of result.refused) out.write(`  ${describeManifest(object)} (${file}): ${message}\n`);
  }
}
