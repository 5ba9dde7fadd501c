import { SecurityPolicy } from '../constructs/index.js';
import { podSecurityViolations, podSpecOf } from '../constructs/pod-security.js';
import { Commented, duration, lib } from './code.js';
import { Fields } from './fields.js';
import { fitBudget } from './fit-budget.js';
import { mapApplications } from './map-applications.js';
import { mapContent } from './map-content.js';
import { namespaceOptions, type NamespaceSettings, readNamespaceSettings, readPolicy, readSecondaryNamespaces } from './map-namespaces.js';
import { mapObjects } from './map-objects.js';
import { mapRequest } from './map-request.js';
import { mapDashboards, mapEnv, mapIngresses, mapResources, reportUnsupportedSessionFields } from './map-session.js';
import type { WorkshopModel } from './model.js';
import type { EducatesResource } from './parse.js';
import type { Report } from './report.js';
import { durationSeconds } from './values.js';

const DIFFICULTIES = ['beginner', 'intermediate', 'advanced', 'extreme'];
/** Where `$(image_repository)` points unless a portal says otherwise, in Educates (local) and in the library alike. */
export const DEFAULT_IMAGE_REPOSITORY = 'registry.default.svc.cluster.local';
/** The longest workshop name the library accepts. */
const MAX_NAME = 40;

/** Maps one Educates Workshop resource to the Workshop the generated module builds. */
export function mapWorkshop(resource: EducatesResource, report: Report, variable: string, imageRepository = DEFAULT_IMAGE_REPOSITORY): WorkshopModel {
  const metadata = new Fields(resource.document.metadata as Record<string, unknown>, 'metadata', resource.label, report);
  readMetadata(metadata);
  const root = new Fields(resource.document, '', resource.label, report);
  for (const key of ['apiVersion', 'kind', 'metadata']) root.take(key);
  const spec = root.child('spec') ?? new Fields({}, 'spec', resource.label, report);
  root.finish();

  const props: Record<string, unknown> = {};
  const model: WorkshopModel = { name: resource.name, libraryName: resource.name, variable, props, statements: [], kinds: [] };
  if (resource.name.length > MAX_NAME) {
    model.libraryName = resource.name.slice(0, MAX_NAME).replace(/-+$/, '');
    props.name = model.libraryName;
    report.unsupported(
      resource.label,
      'metadata.name',
      resource.name,
      `a workshop name has at most ${MAX_NAME} characters in cdk8s-workshops (it prefixes session host names): shortened to '${model.libraryName}'`,
    );
  }
  readCatalogEntry(spec, model);
  const content = mapContent(spec, (props.version as string | undefined) ?? 'latest', imageRepository);
  props.content = content.content;
  props.workshopImage =
    content.workshopImage &&
    new Commented(
      content.workshopImage,
      'The Educates image of this workshop: the session runs it as its dashboard container, so build it FROM the cdk8s-workshops dashboard image',
    );
  spec.unsupported('images', 'not used by Educates either');

  const session = spec.child('session') ?? new Fields({}, 'spec.session', resource.label, report);
  const isolation = readIsolation(session, model);
  const { memory, storage } = mapResources(session);
  props.storage =
    storage &&
    new Commented(storage, "Educates' session.resources.storage: the learner's home is a claim of this size, of the cluster's default StorageClass");
  const env = mapEnv(session);
  const applications = mapApplications(
    session.child('applications') ?? new Fields({}, 'spec.session.applications', resource.label, report),
    isolation.kubernetesAccess,
  );
  mapIngresses(session, model, []);
  mapDashboards(
    session,
    model,
    applications.capabilities.flatMap((c) => c.tabs),
  );
  mapObjects(session, 'session', model, isolation.sessionNamespaces);
  reportUnsupportedSessionFields(session);
  session.finish();

  const settings = isolation.settings;
  const fit = fitBudget(
    settings,
    applications.capabilities.map((c) => c.instance),
    { workshopMemory: memory, kubernetesAccess: isolation.kubernetesAccess },
  );
  const editor = applications.capabilities.some((c) => c.instance.name === 'editor');
  props.workshopMemory =
    memory && editor ? new Commented(memory, 'In Educates this memory also held the editor; here the editor has a container of its own') : memory;
  props.kubernetesAccess = isolation.kubernetesAccess ? undefined : false;
  const raised = raiseSessionPolicy(settings, session.value.objects, applications.docker);
  const options = namespaceOptions(settings);
  props.budget = options.budget && fit.comment ? new Commented(options.budget, fit.comment) : options.budget;
  props.role = options.role;
  props.securityPolicy = options.securityPolicy && raised ? new Commented(options.securityPolicy, raised) : options.securityPolicy;

  const environment = spec.child('environment');
  if (environment) readEnvironment(environment, model, isolation.sessionNamespaces);
  props.environmentSecurityPolicy = environmentPolicy(environment?.value.objects, applications.docker);
  props.env = env;
  props.capabilities = applications.capabilities.length ? applications.capabilities.map((c) => c.code) : undefined;
  props.requestParameters = mapRequest(spec.child('request'), model, isolation.sessionNamespaces);
  spec.finish();
  return model;
}

/** The catalog fields: title, description, difficulty, duration, tags, labels, logo, url, vendor, authors, version. */
function readCatalogEntry(spec: Fields, model: WorkshopModel): void {
  const props = model.props;
  for (const field of ['title', 'description'] as const) {
    const value = spec.string(field);
    if (!value?.trim()) throw new Error(`${spec.resource}: 'spec.${field}' is missing: Educates and cdk8s-workshops both require it`);
    props[field] = value;
  }
  const difficulty = spec.string('difficulty');
  if (difficulty !== undefined) {
    if (DIFFICULTIES.includes(difficulty)) props.difficulty = lib('Difficulty', `Difficulty.${difficulty.toUpperCase()}`);
    else spec.report.unsupported(spec.resource, 'spec.difficulty', difficulty, `not a difficulty: allowed are ${DIFFICULTIES.join(', ')}`);
  }
  const durationText = spec.string('duration');
  if (durationText !== undefined) {
    const seconds = durationSeconds(durationText);
    if (seconds) {
      props.duration = duration(seconds);
      model.durationSeconds = seconds;
    } else {
      spec.report.unsupported(spec.resource, 'spec.duration', durationText, 'not a duration such as 45m or 1h');
    }
  }
  props.tags = spec.strings('tags');
  props.labels = readLabels(spec);
  const logo = spec.string('logo');
  if (logo !== undefined) {
    if (/^(data:image\/[a-z+.-]+;base64,|https:\/\/)/.test(logo)) props.logo = logo;
    else spec.report.unsupported(spec.resource, 'spec.logo', logo, 'a logo must be a data:image/…;base64 URI or an https URL');
  }
  props.url = spec.string('url');
  props.vendor = spec.string('vendor');
  props.authors = spec.strings('authors');
  props.version = spec.string('version');
}

/** `spec.session.namespaces`: budget, limits, role, security policy, token, rules, and secondary namespaces. */
function readIsolation(
  session: Fields,
  model: WorkshopModel,
): { settings: NamespaceSettings; kubernetesAccess: boolean; sessionNamespaces: string[] } {
  const namespaces = session.child('namespaces') ?? new Fields({}, 'spec.session.namespaces', session.resource, session.report);
  const settings = readNamespaceSettings(namespaces);
  let kubernetesAccess = true;
  const security = namespaces.child('security');
  if (security) {
    settings.policy = readPolicy(security);
    const token = security.child('token');
    if (token?.boolean('enabled') === false) kubernetesAccess = false;
    token?.finish();
    security.unsupported('rules', 'cdk8s-workshops has no Kyverno rules: sessions are isolated by RBAC, Pod Security and a NetworkPolicy');
    security.finish();
  }
  const secondary = readSecondaryNamespaces(namespaces, model.variable);
  namespaces.finish();
  for (const ns of secondary) model.statements.push({ code: ns.code });
  return { settings, kubernetesAccess, sessionNamespaces: ['$(session_namespace)', ...secondary.map((s) => `$(session_namespace)-${s.suffix}`)] };
}

/** `spec.environment`: copied secrets and shared objects (and the Pod Security level those need). */
function readEnvironment(environment: Fields, model: WorkshopModel, sessionNamespaces: string[]): void {
  model.props.environmentSecrets = readSecrets(environment);
  mapObjects(environment, 'environment', model, sessionNamespaces);
  environment.unsupported('assets', 'cdk8s-workshops has no assets server: serve files from an environment Deployment (environment.objects)');
  environment.unsupported('images', 'cdk8s-workshops has no image cache per environment');
  environment.unsupported('variables', 'cdk8s-workshops defines no extra environment variables');
  environment.finish();
}

function readMetadata(metadata: Fields): void {
  metadata.take('name');
  const annotations = { ...((metadata.take('annotations') ?? {}) as Record<string, string>) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  if (Object.keys(annotations).length) {
    metadata.report.unsupported(
      metadata.resource,
      'metadata.annotations',
      annotations,
      'annotations of the Educates resource have no place in the library',
    );
  }
  metadata.unsupported('labels', 'labels of the Educates resource have no place in the library: use spec.labels for catalog labels');
  metadata.finish();
}

function readLabels(spec: Fields): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const label of spec.children('labels')) {
    const name = label.string('name') ?? '';
    const value = label.string('value') ?? '';
    label.finish();
    if (!/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/.test(name) || value.length > 63) {
      label.report.unsupported(
        label.resource,
        label.path,
        label.value,
        'not a valid label: a name of letters, digits, -, _, . and /, and a value of at most 63 characters',
      );
      continue;
    }
    labels[name] = value;
  }
  return Object.keys(labels).length ? labels : undefined;
}

function readSecrets(environment: Fields): unknown[] | undefined {
  const secrets: unknown[] = [];
  for (const secret of environment.children('secrets')) {
    const name = secret.string('name');
    const namespace = secret.string('namespace');
    secret.unsupported('labels', 'the copy of the Secret keeps the labels of the original');
    secret.finish();
    const dns = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
    if (!name || !namespace || !dns.test(name) || !dns.test(namespace)) {
      secret.report.unsupported(secret.resource, secret.path, secret.value, 'a secret reference needs a name and a namespace, both DNS-1123 names');
      continue;
    }
    secrets.push({ namespace, name });
  }
  return secrets.length ? secrets : undefined;
}

/**
 * Raises the primary session namespace from `restricted` to `baseline` (never further: the learner creates pods
 * there) when its objects need it, or when docker is on: Educates relaxes the session namespace for docker so that
 * the images the learner builds run as they are. Returns why, for a comment, when it raised it.
 */
function raiseSessionPolicy(settings: NamespaceSettings, objects: unknown, docker: boolean): string | undefined {
  if (settings.policy && settings.policy !== 'restricted') return undefined;
  const needing: string[] = [];
  for (const object of (Array.isArray(objects) ? objects : []) as Array<Record<string, any>>) {
    const namespace = object?.metadata?.namespace;
    const pod =
      object && typeof object === 'object' && (namespace === undefined || namespace === '$(session_namespace)') ? podSpecOf(object) : undefined;
    if (pod && podSecurityViolations(pod, SecurityPolicy.RESTRICTED).length) needing.push(`${object.kind} '${object.metadata?.name}'`);
  }
  if (!needing.length && !docker) return undefined;
  settings.policy = 'baseline';
  return [
    ...(needing.length ? [`The session's ${needing.join(', ')} would not pass the 'restricted' Pod Security level`] : []),
    ...(docker
      ? [
          "Educates relaxes the session namespace for docker so that built images run as they are; 'baseline' is the most a session namespace allows here",
        ]
      : []),
  ].join('. ');
}

/**
 * The strictest Pod Security level of the environment namespace that its objects and the workshop pods still pass,
 * when it is not `restricted`. The workshop pods run there (as in Educates), so docker-in-docker makes it privileged;
 * learners cannot create pods there, and their session namespaces keep their own level.
 */
function environmentPolicy(objects: unknown, docker: boolean): unknown {
  let needed = SecurityPolicy.RESTRICTED;
  const needing: string[] = [];
  for (const object of (Array.isArray(objects) ? objects : []) as Array<Record<string, any>>) {
    const pod = object && typeof object === 'object' ? podSpecOf(object) : undefined;
    if (!pod) continue;
    const passes = [SecurityPolicy.RESTRICTED, SecurityPolicy.BASELINE, SecurityPolicy.PRIVILEGED].find(
      (p) => podSecurityViolations(pod, p).length === 0,
    )!;
    if (passes === SecurityPolicy.RESTRICTED) continue;
    needing.push(`${object.kind} '${object.metadata?.name}'`);
    if (passes.allows(needed)) needed = passes;
  }
  if (needed === SecurityPolicy.RESTRICTED && !docker) return undefined;
  const reasons = [
    ...(needing.length ? [`The environment's ${needing.join(', ')} would not pass the 'restricted' Pod Security level`] : []),
    ...(docker
      ? [
          'Docker-in-docker runs privileged beside the workshop container, which runs in the environment namespace as in Educates; learners cannot create pods there',
        ]
      : []),
  ];
  return new Commented(
    lib('SecurityPolicy', `SecurityPolicy.${(docker ? SecurityPolicy.PRIVILEGED : needed).name.toUpperCase()}`),
    reasons.join('. '),
  );
}
