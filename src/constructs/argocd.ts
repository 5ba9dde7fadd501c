/**
 * Argo CD for dist/: an app-of-apps that syncs the synthesized folders from git, the AppProject that allows exactly
 * what they contain, and the health checks Argo CD needs to read our custom resources.
 *
 * Layout (under `<path>/argocd/`):
 * - `project.k8s.yaml`: the AppProject: source repository, destination namespaces and the kinds found in dist/;
 * - `applications.k8s.yaml`: one Application for `<path>/cluster` (sync wave -1: CRDs, cluster roles and admission
 *   policies first) and one per portal for `<path>/<portal>` (wave 0, `directory.recurse`);
 * - `bootstrap/root.k8s.yaml`: the root Application, applied once by hand; it syncs `<path>/argocd` (not recursive,
 *   so not itself);
 * - `bootstrap/argocd-cm-health.k8s.yaml`: the `argocd-cm` keys with the health checks; merge them into Argo CD's own
 *   ConfigMap with `kubectl apply --server-side` (only these keys change).
 */
import { registerKind } from './kinds.js';
import type { Manifest } from './manifest.js';
import { Annotations, API_GROUP, checkDnsLabel, Labels, MANAGED_BY } from './names.js';
import type { SynthFile } from './synthesizer.js';

/** Where Argo CD finds dist/ and where its objects go. */
export interface ArgoCdOptions {
  /** The git repository that holds dist/, as Argo CD clones it (https://, ssh or git://). */
  readonly repoURL: string;
  /** Branch, tag or commit. @default 'HEAD' */
  readonly targetRevision?: string;
  /** The folder of dist/ inside the repository. @default 'dist' */
  readonly path?: string;
  /** Argo CD's namespace, where Applications and the AppProject live. @default 'argocd' */
  readonly namespace?: string;
  /** The AppProject's name, also the prefix of every Application's name. @default 'workshops' */
  readonly project?: string;
  /** The cluster to deploy to. @default 'https://kubernetes.default.svc' (Argo CD's own cluster) */
  readonly server?: string;
}

const ARGO_API = 'argoproj.io/v1alpha1';
// the kinds this file synthesizes, for the clients that apply and read them
registerKind(ARGO_API, 'Application', { resource: 'applications', namespaced: true });
registerKind(ARGO_API, 'AppProject', { resource: 'appprojects', namespaced: true });
/** Code-point order: the same on every machine, whatever its locale. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Child Applications delete what they deployed when they are deleted (a portal removed from git is pruned). */
const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** Reasons of a `Ready=False` condition that need a person: Degraded. Any other reason is Progressing. */
export const DEGRADED_REASONS = ['BlueprintInvalid', 'RefillsPaused'] as const;

/**
 * The Lua health checks, by `argocd-cm` key. WorkshopEnvironment and TrainingPortal read the `Ready` condition the
 * portal runtime writes (a generation it has not observed yet is Progressing), WorkshopSession its phase; Application restores the health of
 * child Applications (Argo CD >= 1.8 reports every Application Healthy to its parent), so the root waits for the
 * cluster Application (the CRDs) before it syncs the portals.
 */
export const ARGOCD_HEALTH_CHECKS: Readonly<Record<string, string>> = {
  [`resource.customizations.health.${API_GROUP}_WorkshopEnvironment`]: readyConditionLua(
    'the portal runtime has not reported on this environment yet',
  ),
  // the portal's own readiness (runtime/portal-conditions.ts): every environment it serves Ready; the same reasons
  // are Degraded (an environment's blueprint invalid, its refills paused); filling pools and draining are Progressing
  [`resource.customizations.health.${API_GROUP}_TrainingPortal`]: readyConditionLua('the portal has not reported yet (is its Deployment running?)'),
  [`resource.customizations.health.${API_GROUP}_WorkshopSession`]: [
    // a session reports its phase (see session.ts): ready for a learner, failed, ending, or on its way
    'local phase = (obj.status ~= nil and obj.status.phase) or "Requested"',
    'local hs = { status = "Progressing", message = phase }',
    'if obj.status ~= nil and obj.status.reason ~= nil then hs.message = phase .. ": " .. obj.status.reason end',
    'if phase == "Ready" or phase == "Active" or phase == "Idle" then hs.status = "Healthy"',
    'elseif phase == "Failed" then hs.status = "Degraded"',
    'elseif phase == "Expired" or phase == "Terminating" then hs.status = "Suspended" end',
    'return hs',
    '',
  ].join('\n'),
  'resource.customizations.health.argoproj.io_Application': [
    'local hs = { status = "Progressing", message = "" }',
    'if obj.status ~= nil and obj.status.health ~= nil and obj.status.health.status ~= nil then',
    '  hs.status = obj.status.health.status',
    '  if obj.status.health.message ~= nil then hs.message = obj.status.health.message end',
    'end',
    'return hs',
    '',
  ].join('\n'),
};

function readyConditionLua(waiting: string): string {
  return [
    `local hs = { status = "Progressing", message = "${waiting}" }`,
    'if obj.status == nil or obj.status.conditions == nil then return hs end',
    'for _, c in ipairs(obj.status.conditions) do',
    '  if c.type == "Ready" then',
    '    hs.message = (c.reason or "") .. ": " .. (c.message or "")',
    '    local generation = obj.metadata.generation or 0',
    '    if c.observedGeneration ~= nil and c.observedGeneration < generation then',
    '      hs.status = "Progressing"',
    '      hs.message = "generation " .. generation .. " not observed yet (" .. hs.message .. ")"',
    '    elseif c.status == "True" then',
    '      hs.status = "Healthy"',
    `    elseif ${DEGRADED_REASONS.map((r) => `c.reason == "${r}"`).join(' or ')} then`,
    '      hs.status = "Degraded"',
    '    else',
    '      hs.status = "Progressing"',
    '    end',
    '  end',
    'end',
    'return hs',
    '',
  ].join('\n');
}

/**
 * The files of `<path>/argocd/` for a synthesis of dist/ (the output of `synthesize`), as `SynthFile`s relative to
 * dist/. Deterministic: namespaces and kinds are sorted.
 */
export function argoCdFiles(files: readonly SynthFile[], options: ArgoCdOptions): SynthFile[] {
  const opts = resolveOptions(options);
  const folders = topFolders(files);
  const project = appProject(files, opts);
  const children = folders.map((folder) => childApplication(folder, files, opts));
  const root = application(`${opts.project}-root`, opts, `${opts.path}/argocd`, { recurse: false }, opts.namespace, undefined, false);
  const health: Manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'argocd-cm',
      namespace: opts.namespace,
      labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
      annotations: {
        [`${API_GROUP}/apply`]:
          "merge these keys into Argo CD's own argocd-cm: kubectl apply --server-side --field-manager=cdk8s-workshops -f <this file>",
      },
    },
    data: { ...ARGOCD_HEALTH_CHECKS },
  };
  return [
    { path: 'argocd/project.k8s.yaml', objects: [project] },
    { path: 'argocd/applications.k8s.yaml', objects: children },
    { path: 'argocd/bootstrap/root.k8s.yaml', objects: [root] },
    { path: 'argocd/bootstrap/argocd-cm-health.k8s.yaml', objects: [health] },
  ];
}

type Resolved = Required<ArgoCdOptions>;

function resolveOptions(options: ArgoCdOptions): Resolved {
  const where = 'WorkshopApp argocd';
  if (!/^(https?:\/\/|ssh:\/\/|git:\/\/|[\w.-]+@[\w.-]+:)\S+$/.test(options.repoURL ?? '')) {
    throw new Error(`${where}: repoURL '${options.repoURL}' is not a git URL: use https://, http://, ssh://, git:// or user@host:path`);
  }
  const path = (options.path ?? 'dist').replace(/^\.?\/+|\/+$/g, '');
  if (path === '' || path.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`${where}: path '${options.path}' must be a relative folder inside the repository, such as 'dist' or 'deploy/dist'`);
  }
  const resolved: Resolved = {
    repoURL: options.repoURL,
    targetRevision: options.targetRevision ?? 'HEAD',
    path,
    namespace: options.namespace ?? 'argocd',
    project: options.project ?? 'workshops',
    server: options.server ?? 'https://kubernetes.default.svc',
  };
  if (resolved.targetRevision.trim() === '') throw new Error(`${where}: targetRevision '' is empty: use a branch, tag, commit or 'HEAD'`);
  checkDnsLabel(where, 'namespace', resolved.namespace);
  // Application names are `<project>-<folder>`, at most 63 characters with the longest folder name
  checkDnsLabel(where, 'project', resolved.project, 40);
  return resolved;
}

/** The first path segment of every file, in order: `cluster` first, then the portals. */
function topFolders(files: readonly SynthFile[]): string[] {
  const folders = [...new Set(files.map((f) => f.path.split('/')[0]))].filter((f) => f !== 'argocd');
  return folders.sort((a, b) => (a === 'cluster' ? -1 : b === 'cluster' ? 1 : byCodePoint(a, b)));
}

function objectsUnder(files: readonly SynthFile[], folder: string): Manifest[] {
  return files.filter((f) => f.path.startsWith(`${folder}/`)).flatMap((f) => f.objects);
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

function childApplication(folder: string, files: readonly SynthFile[], opts: Resolved): Manifest {
  const objects = objectsUnder(files, folder);
  // the destination namespace: the portal's own namespace (its Namespace object), or none for cluster-scoped only
  const portalNamespace = objects.find((o) => o.kind === 'Namespace' && o.metadata.labels?.[Labels.COMPONENT] === 'portal')?.metadata.name;
  const hasNamespaced = objects.some((o) => o.metadata.namespace !== undefined);
  const namespace = portalNamespace ?? (hasNamespaced ? undefined : '');
  if (namespace === undefined) {
    throw new Error(
      `dist/${folder}: has namespaced objects but no Namespace labelled ${Labels.COMPONENT}=portal to deploy the Argo CD Application to`,
    );
  }
  const wave = folder === 'cluster' ? '-1' : '0';
  return application(
    `${opts.project}-${folder}`,
    opts,
    `${opts.path}/${folder}`,
    folder === 'cluster' ? undefined : { recurse: true },
    namespace,
    wave,
    true,
  );
}

function application(
  name: string,
  opts: Resolved,
  path: string,
  directory: Record<string, unknown> | undefined,
  namespace: string,
  wave: string | undefined,
  child: boolean,
): Manifest {
  const annotations: Record<string, string> = {};
  if (wave !== undefined) annotations[Annotations.SYNC_WAVE] = wave;
  return {
    apiVersion: ARGO_API,
    kind: 'Application',
    metadata: {
      name,
      namespace: opts.namespace,
      labels: { [Labels.MANAGED_BY]: MANAGED_BY },
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(child ? { finalizers: [RESOURCES_FINALIZER] } : {}),
    },
    spec: {
      project: opts.project,
      // no `directory: {}`: Argo CD drops an empty one from the live Application, and the root would see drift
      source: { repoURL: opts.repoURL, targetRevision: opts.targetRevision, path, ...(directory ? { directory } : {}) },
      destination: { server: opts.server, ...(namespace ? { namespace } : {}) },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        // server-side apply: WorkshopEnvironments carry whole session blueprints, too big for the
        // last-applied-configuration annotation of client-side apply (256 KiB). No PruneLast: it would prune
        // everything in one wave, an environment's namespace with the environment; without it Argo CD prunes in
        // the reverse order of the waves and waits for each pruned object to be gone, so a removed environment
        // drains (its learners' sessions end, runtime/drain.ts) before its namespace is deleted
        // ApplyOutOfSyncOnly: a sync applies what changed, not every object of the folder again (a portal with 100
        // environments: one changed workshop synced in seconds instead of minutes, see bench/gitops.bench.ts)
        syncOptions: ['ServerSideApply=true', 'ApplyOutOfSyncOnly=true'],
        // refresh: a retry takes the newest commit, so a fix pushed after a refused commit is not stuck behind the
        // retries of the refused one (Argo CD >= 3.1; older versions drop the field)
        retry: { limit: 10, refresh: true, backoff: { duration: '5s', factor: 2, maxDuration: '1m' } },
      },
    },
  };
}

/**
 * WorkshopEnvironment is allowed whenever dist/ has a portal, even one without workshops: Argo CD ignores live
 * objects of kinds its project does not allow, so removing a portal's last workshop would otherwise leave its
 * environment behind, never pruned.
 */
function withEnvironments(kinds: Array<{ group: string; kind: string }>, files: readonly SynthFile[]): Array<{ group: string; kind: string }> {
  const hasPortal = topFolders(files).some((folder) => folder !== 'cluster');
  if (!hasPortal || kinds.some((k) => k.group === API_GROUP && k.kind === 'WorkshopEnvironment')) return kinds;
  return [...kinds, { group: API_GROUP, kind: 'WorkshopEnvironment' }].sort((a, b) => byCodePoint(`${a.group}/${a.kind}`, `${b.group}/${b.kind}`));
}

function appProject(files: readonly SynthFile[], opts: Resolved): Manifest {
  const objects = files.filter((f) => !f.path.startsWith('argocd/')).flatMap((f) => f.objects);
  const kinds = (namespaced: boolean) => {
    const seen = new Map<string, { group: string; kind: string }>();
    for (const o of objects) {
      if ((o.metadata.namespace !== undefined) !== namespaced) continue;
      const entry = { group: groupOf(o.apiVersion), kind: o.kind };
      seen.set(`${entry.group}/${entry.kind}`, entry);
    }
    return [...seen.entries()].sort(([a], [b]) => byCodePoint(a, b)).map(([, v]) => v);
  };
  const namespaced = kinds(true);
  // the root Application deploys the child Applications and this project into Argo CD's namespace
  for (const kind of ['AppProject', 'Application']) namespaced.push({ group: 'argoproj.io', kind });
  namespaced.sort((a, b) => byCodePoint(`${a.group}/${a.kind}`, `${b.group}/${b.kind}`));
  const namespaces = [...new Set([...objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])), opts.namespace])].sort(
    byCodePoint,
  );
  return {
    apiVersion: ARGO_API,
    kind: 'AppProject',
    metadata: {
      name: opts.project,
      namespace: opts.namespace,
      labels: { [Labels.MANAGED_BY]: MANAGED_BY },
      annotations: { [Annotations.SYNC_WAVE]: '-2' },
    },
    spec: {
      description: 'cdk8s-workshops: the objects of dist/, and nothing else',
      sourceRepos: [opts.repoURL],
      // '' is the destination of the cluster Application, whose objects are all cluster-scoped
      destinations: ['', ...namespaces].map((namespace) => ({ server: opts.server, namespace })),
      clusterResourceWhitelist: withEnvironments(kinds(false), files),
      namespaceResourceWhitelist: namespaced,
    },
  };
}
