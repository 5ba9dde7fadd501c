import { isQuantity, lookupKind } from '../constructs/index.js';
import { call, Code, Literal } from './code.js';
import type { Fields } from './fields.js';
import { addNamespaceCode, type NamespaceSettings, secondarySuffix } from './map-namespaces.js';
import type { WorkshopModel } from './model.js';
import { variablesProblem } from './values.js';

type Json = Record<string, unknown>;

/** Which template an object list belongs to. */
export type ObjectScope = 'session' | 'environment' | 'request';

/**
 * Maps `spec.session.objects` or `spec.environment.objects` to `new ApiObject(<workshop>.<scope>, id, {...})`:
 * each object is kept as it is written, `$(variables)` and all, so that the runtime fills them in as Educates does.
 * Educates' own resources (SecretCopier and friends) become library calls where there is one, and objects the
 * library would refuse are reported instead of breaking synthesis.
 *
 * @param sessionNamespaces the session's namespaces so far (primary and secondary), for the placement rule
 */
export function mapObjects(
  parent: Fields,
  scope: ObjectScope,
  model: WorkshopModel,
  sessionNamespaces: string[],
  parameters: ReadonlySet<string> = new Set(),
): void {
  const ids = new Set<string>();
  const items = parent.list('objects') ?? [];
  if (scope === 'session') {
    // secondary namespaces declared as Namespace objects count wherever they appear in the list
    for (const item of items as Json[]) {
      const name = (item?.metadata as Json | undefined)?.name;
      if (item?.kind === 'Namespace' && typeof name === 'string' && secondarySuffix(name) && !sessionNamespaces.includes(name))
        sessionNamespaces.push(name);
    }
  }
  items.forEach((item, index) => {
    const path = `${parent.pathOf('objects')}[${index}]`;
    const unsupported = (reason: string) => parent.report.unsupported(parent.resource, path, item, reason);
    const object = item as Json;
    const metadata = (object?.metadata ?? {}) as Json;
    const { apiVersion, kind } = object ?? {};
    const name = metadata.name;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string' || !name) {
      return unsupported('an object needs apiVersion, kind and metadata.name');
    }
    const variables = variablesProblem(object, scope === 'request' ? parameters : undefined);
    if (variables) return unsupported(variables);
    if (scope === 'request' && kind === 'Namespace') {
      return unsupported('a session has its namespaces before it is allocated: declare it in session.objects (or spec.session.namespaces.secondary)');
    }
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    if (group.endsWith('educates.dev')) {
      const injected = scope === 'session' && kind === 'SecretCopier' ? secretCopierInjections(object) : undefined;
      if (!injected) {
        return unsupported(
          kind === 'SecretCopier'
            ? 'only a SecretCopier that copies Secrets into $(session_namespace) under their own names carries over (as session.injectSecret)'
            : `${kind} is a resource of the Educates operator, which cdk8s-workshops does not run`,
        );
      }
      for (const [secretName, namespace] of injected) {
        model.statements.push({ code: call(`${model.variable}.session.injectSecret`, [secretName, namespace]) });
      }
      return;
    }
    if (scope === 'session' && kind === 'Namespace' && apiVersion === 'v1') {
      const suffix = secondarySuffix(name);
      if (suffix) {
        model.statements.push({ code: addNamespaceCode(model.variable, suffix, namespaceFromAnnotations(object, path, parent)) });
        return;
      }
    }
    let known = lookupKind(apiVersion, kind);
    if (!known) {
      const guess = { resource: plural(kind), namespaced: !kind.startsWith('Cluster') };
      model.kinds.push(
        new Code(
          ['registerKind(', new Literal(apiVersion), ', ', new Literal(kind), ', ', new Literal(guess), ')'],
          [{ module: 'cdk8s-workshops', name: 'registerKind' }],
        ),
      );
      known = guess;
    }
    if (scope === 'session' || scope === 'request') {
      const namespace = known.namespaced ? ((metadata.namespace as string | undefined) ?? '$(session_namespace)') : undefined;
      const inSession = (namespace && sessionNamespaces.includes(namespace)) || (kind === 'Namespace' && sessionNamespaces.includes(name));
      if (!inSession && !name.includes('$(session_name)') && !name.includes('$(session_namespace)')) {
        return unsupported(
          `placed ${namespace ? `in namespace '${namespace}'` : 'in the cluster scope'}, outside the session's namespaces, so its name must contain $(session_name) to be unique per session`,
        );
      }
    }
    const id = uniqueId(`${kind}-${name}`.replace(/\$\(([a-z_]+)\)/g, '$1'), ids);
    // kept as written: the session's ServiceAccount is in $(workshop_namespace) here too, as Educates' bindings say
    model.statements.push({
      code: new Code(
        [`new ApiObject(${model.variable}.${scope}, `, new Literal(id), ', ', new Literal(object), ')'],
        [{ module: 'cdk8s', name: 'ApiObject' }],
      ),
    });
  });
}

/** The Secrets a SecretCopier copies into the session namespace, when that is all it does. */
function secretCopierInjections(object: Json): Array<[string, string]> | undefined {
  const spec = object.spec as { rules?: Json[] } | undefined;
  if (!spec || Object.keys(spec).some((k) => k !== 'rules') || !Array.isArray(spec.rules) || !spec.rules.length) return undefined;
  const result: Array<[string, string]> = [];
  for (const rule of spec.rules) {
    const source = rule.sourceSecret as { name?: string; namespace?: string } | undefined;
    const target = JSON.stringify(rule.targetNamespaces ?? {});
    const keys = Object.keys(rule).filter((k) => k !== 'sourceSecret' && k !== 'targetNamespaces');
    if (!source?.name || !source.namespace || keys.length || target !== '{"nameSelector":{"matchNames":["$(session_namespace)"]}}') return undefined;
    result.push([source.name, source.namespace]);
  }
  return result;
}

const ANNOTATION = 'training.educates.dev/session.';

/** A Namespace object of session.objects configured by Educates' annotations, as library namespace settings. */
function namespaceFromAnnotations(object: Json, path: string, parent: Fields): NamespaceSettings {
  const metadata = object.metadata as Json;
  const annotations = { ...((metadata.annotations ?? {}) as Record<string, string>) };
  const settings: NamespaceSettings = { overrides: {} };
  const take = (key: string) => {
    const value = annotations[ANNOTATION + key];
    delete annotations[ANNOTATION + key];
    return value;
  };
  const budget = take('budget');
  if (budget && ['small', 'medium', 'large', 'x-large', 'xx-large', 'xxx-large', 'custom'].includes(budget)) settings.budget = budget;
  else if (budget) annotations[ANNOTATION + 'budget'] = budget;
  const role = take('role');
  if (role && ['admin', 'edit', 'view', 'custom'].includes(role)) settings.role = role;
  else if (role) annotations[ANNOTATION + 'role'] = role;
  const policy = take('policy') ?? take('security.policy');
  // a session namespace is at most baseline (the learner creates pods in it): privileged stays reported
  if (policy && ['restricted', 'baseline'].includes(policy)) settings.policy = policy;
  else if (policy) annotations[ANNOTATION + 'policy'] = policy;
  const limits: Record<string, string> = {
    'limits.min.cpu': 'containerMinCpu',
    'limits.min.memory': 'containerMinMemory',
    'limits.max.cpu': 'containerMaxCpu',
    'limits.max.memory': 'containerMaxMemory',
    'limits.default.cpu': 'containerDefaultCpu',
    'limits.default.memory': 'containerDefaultMemory',
    'limits.defaultrequest.cpu': 'containerDefaultRequestCpu',
    'limits.defaultrequest.memory': 'containerDefaultRequestMemory',
  };
  for (const [key, override] of Object.entries(limits)) {
    const value = take(key);
    if (value === undefined) continue;
    if (isQuantity(value) && settings.budget && settings.budget !== 'custom') (settings.overrides as Record<string, string>)[override] = value;
    else annotations[ANNOTATION + key] = value;
  }
  const rest: Json = { ...object, metadata: { ...metadata, annotations } };
  delete (rest.metadata as Json).name;
  if (!Object.keys(annotations).length) delete (rest.metadata as Json).annotations;
  for (const key of ['apiVersion', 'kind']) delete rest[key];
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'metadata') {
      for (const [field, v] of Object.entries(value as Json)) {
        parent.report.unsupported(
          parent.resource,
          `${path}.metadata.${field}`,
          v,
          'a secondary session namespace is made by the library; only its budget, role, policy and limits carry over',
        );
      }
    } else {
      parent.report.unsupported(
        parent.resource,
        `${path}.${key}`,
        value,
        'a secondary session namespace is made by the library; only its budget, role, policy and limits carry over',
      );
    }
  }
  return settings;
}

/** A guess of the REST resource name of a kind: lower case, plural. */
function plural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/** A construct id from the kind and name, unique within the list: letters, digits, `_`, `.` and `-` only. */
function uniqueId(text: string, ids: Set<string>): string {
  const base = text.replace(/[^A-Za-z0-9_.-]+/g, '-');
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  ids.add(id);
  return id;
}
