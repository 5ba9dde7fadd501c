/**
 * `workshops deploy`: applies dist/ to the cluster of the current kubeconfig the way Argo CD would, but from a
 * laptop: strict server-side apply of every object, in sync-wave order, waiting for the CRDs to be Established
 * before objects of their kinds. It tells created, configured and unchanged objects apart by comparing the
 * resourceVersion before and after (a server-side apply that changes nothing writes nothing).
 */
import * as path from 'node:path';

import { Command } from 'commander';

import { describeManifest, type Manifest } from '../../constructs/manifest.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import { readDist } from '../dist.js';
import { CliError } from '../errors.js';
import { connect, resolveKind, serverMessage } from '../kube.js';
import { Progress } from '../progress.js';
import { formatTable } from '../table.js';

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

export interface DeployResult {
  readonly server: string;
  readonly applied: Array<{ file: string; object: Manifest; outcome: ApplyOutcome }>;
  readonly failed: Array<{ file: string; object: Manifest; message: string }>;
}

export interface DeployOptions {
  readonly dist: string;
  readonly kubeconfig?: string;
  /** How long to wait for a CRD to be Established. @default 60000 */
  readonly crdTimeoutMs?: number;
}

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const entries = readDist(options.dist);
  if (!entries.length) throw new CliError(`no objects in ${options.dist}: run 'workshops synth' first`);
  const fileOf = new Map(entries.map((e) => [e.object, e.file]));
  // loaded here, not at start-up: the synthesizer pulls in cdk8s
  const { sortManifests } = await import('../../constructs/synthesizer.js');
  const ordered = sortManifests(entries.map((e) => e.object));
  const client = await connect(options.kubeconfig);
  const result: DeployResult = { server: client.server, applied: [], failed: [] };
  // group/Kind of every CRD in this deployment → its name, so objects of those kinds wait for it
  const crds = new Map<string, string>();
  for (const object of ordered.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = object.spec as { group: string; names: { kind: string } };
    crds.set(`${spec.group}/${spec.names.kind}`, object.metadata.name);
  }
  const established = new Set<string>();
  const failedCrds = new Set<string>();
  const progress = new Progress('deploy', ordered.length);
  try {
    for (const object of ordered) {
      const file = fileOf.get(object)!;
      progress.tick(describeManifest(object));
      try {
        const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
        const crd = crds.get(`${group}/${object.kind}`);
        if (crd && failedCrds.has(crd)) throw new CliError(`its CustomResourceDefinition ${crd} was not applied`);
        if (crd && !established.has(crd)) {
          await waitEstablished(client, crd, options.crdTimeoutMs ?? 60_000);
          established.add(crd);
        }
        const outcome = await applyOne(client, object, crd ? 15_000 : 0);
        result.applied.push({ file, object, outcome });
      } catch (error) {
        if (object.kind === 'CustomResourceDefinition') failedCrds.add(object.metadata.name);
        const message = error instanceof CliError ? error.message : serverMessage(error);
        result.failed.push({ file, object, message });
        progress.log(`failed: ${describeManifest(object)} (${file}): ${message}`);
      }
    }
  } finally {
    progress.finish();
    await client.close();
  }
  return result;
}

/** Applies one object; for a kind whose CRD was just Established, a 404 (not served yet) is tried again for `waitMs`. */
async function applyOne(client: KubeClient, object: Manifest, waitMs: number): Promise<ApplyOutcome> {
  await resolveKind(client, object.apiVersion, object.kind, waitMs);
  const deadline = Date.now() + waitMs;
  const { KubeError } = await import('../../runtime/kube-client.js');
  let before: Manifest | undefined;
  let after: Manifest;
  for (;;) {
    try {
      before = await client.get(object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace);
      after = await client.apply(object);
      break;
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404 && error.reason === 'NotFound' && Date.now() < deadline)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  if (!before) return 'created';
  return (before.metadata as { resourceVersion?: string }).resourceVersion === (after.metadata as { resourceVersion?: string }).resourceVersion
    ? 'unchanged'
    : 'configured';
}

async function waitEstablished(client: KubeClient, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await client.get<{ status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }>(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      name,
    );
    const conditions = crd?.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) {
      const why = conditions.find((c) => c.status !== 'True' && c.message)?.message;
      throw new CliError(`CustomResourceDefinition ${name} was not Established within ${Math.round(timeoutMs / 1000)}s${why ? `: ${why}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function printDeploySummary(result: DeployResult, seconds: number, out: NodeJS.WritableStream = process.stdout): void {
  const counts = new Map<string, Record<ApplyOutcome, number>>();
  for (const { object, outcome } of result.applied) {
    const row = counts.get(object.kind) ?? { created: 0, configured: 0, unchanged: 0 };
    row[outcome]++;
    counts.set(object.kind, row);
  }
  const total = (outcome: ApplyOutcome) => result.applied.filter((a) => a.outcome === outcome).length;
  out.write(
    `applied ${result.applied.length} objects to ${result.server} in ${seconds.toFixed(1)}s: ` +
      `${total('created')} created, ${total('configured')} configured, ${total('unchanged')} unchanged\n`,
  );
  const rows = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, c]) => [kind, String(c.created), String(c.configured), String(c.unchanged)]);
  out.write(`${formatTable([['KIND', 'CREATED', 'CONFIGURED', 'UNCHANGED'], ...rows]).replace(/^/gm, '  ')}\n`);
  if (result.failed.length) {
    out.write(`failed ${result.failed.length}:\n`);
    for (const failure of result.failed) out.write(`  ${describeManifest(failure.object)} (${failure.file}): ${failure.message}\n`);
  }
}

export function deployCommand(): Command {
  return new Command('deploy')
    .summary('apply dist/ to the cluster of the current kubeconfig')
    .description(
      'Apply the synthesized YAML to the cluster of the current kubeconfig (strict server-side apply, CRDs first), ' +
        'like Argo CD would; prints what was created, configured or unchanged per kind',
    )
    .option('--dist <dir>', 'folder of synthesized YAML', 'dist')
    .option('--dry-run', 'only ask the API server to judge every object (server-side dry run, strict): nothing is changed; exit 1 on any refusal')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)')
    .action(async (options: { dist: string; dryRun?: boolean; kubeconfig?: string }) => {
      if (options.dryRun) {
        const { dryRun, printDryRun } = await import('./deploy-dry-run.js');
        const result = await dryRun({ dist: path.resolve(options.dist), kubeconfig: options.kubeconfig });
        printDryRun(result);
        const total = result.checked.length + result.refused.length + result.unchecked.length;
        if (result.refused.length)
          throw new CliError(`${result.refused.length} of ${total} objects were refused by the server (dry run: nothing was changed)`);
        return;
      }
      const started = Date.now();
      const result = await deploy({ dist: path.resolve(options.dist), kubeconfig: options.kubeconfig });
      printDeploySummary(result, (Date.now() - started) / 1000);
      if (result.failed.length)
        throw new CliError(`${result.failed.length} of ${result.applied.length + result.failed.length} objects were not applied`);
    });
}
