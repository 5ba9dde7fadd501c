import { cookieDomainProblem } from '../constructs/portal-settings.js';
import { DEFAULT_INGRESS_DOMAIN } from '../constructs/training-portal.js';
import { Commented, duration, lib } from './code.js';
import { Fields } from './fields.js';
import type { PortalEntryModel, PortalModel, WorkshopModel } from './model.js';
import type { EducatesResource } from './parse.js';
import type { Report } from './report.js';
import { durationSeconds, setOwn, variablesProblem } from './values.js';

const DURATIONS = ['expires', 'overtime', 'deadline', 'orphaned', 'overdue', 'refresh'] as const;
type DurationField = (typeof DURATIONS)[number];

/** Pool and timer settings as Educates writes them (`workshops[]` and `portal.workshop.defaults`). */
interface Settings {
  capacity?: number;
  initial?: number;
  reserved?: number;
  seconds: Partial<Record<DurationField, number>>;
  env?: Record<string, string>;
  /** `registry` as `host[/namespace]` (what `$(image_repository)` becomes), with where it was written. */
  registry?: { value: string; path: string; raw: unknown };
}

/** Longest environment name the library accepts (`<portal>-<alias>`). */
const MAX_ENVIRONMENT_NAME = 40;

/**
 * Maps a TrainingPortal to `new TrainingPortal(...)` and one `addWorkshop(...)` per listed workshop. Educates
 * computes effective settings with clamps and defaults (reserved 1 at most capacity, initial at least reserved,
 * deadline at least expires) where the library refuses contradictions instead; the generated settings are the
 * effective ones, so that sessions behave as they did.
 */
export function mapPortal(resource: EducatesResource, report: Report, variable: string, workshops: WorkshopModel[]): PortalModel {
  const root = new Fields(resource.document, '', resource.label, report);
  for (const key of ['apiVersion', 'kind']) root.take(key);
  const metadata = root.child('metadata')!;
  metadata.take('name');
  metadata.unsupported('labels', 'labels of the Educates resource have no place in the library');
  metadata.unsupported('annotations', 'annotations of the Educates resource have no place in the library');
  metadata.finish();
  const spec = root.child('spec') ?? new Fields({}, 'spec', resource.label, report);
  root.finish();
  if (resource.name.length > 20 || resource.name.startsWith('kube-')) {
    throw new Error(
      `${resource.label}: 'metadata.name' (${JSON.stringify(resource.name)}) must have at most 20 characters and not start with 'kube-' (cdk8s-workshops names the portal's namespace <name>-ui)`,
    );
  }

  const props: Record<string, unknown> = {};
  const { maximum, defaults } = readPortalSection(
    spec.child('portal') ?? new Fields({}, 'spec.portal', resource.label, report),
    props,
    resource.name,
  );
  const analytics = spec.child('analytics');
  if (analytics) {
    const webhook = analytics.child('webhook');
    const url = webhook?.string('url');
    webhook?.finish();
    if (url !== undefined && /^https?:\/\//.test(url)) props.analyticsWebhookUrl = url;
    else if (url !== undefined) report.unsupported(resource.label, 'spec.analytics.webhook.url', url, 'the webhook must be an http or https URL');
    for (const key of ['google', 'clarity', 'amplitude'])
      analytics.unsupported(key, 'cdk8s-workshops sends no analytics to third parties; the webhook gets every event');
    analytics.finish();
  }

  const entries: Array<{ workshop: WorkshopModel; alias?: string; settings: Settings; path: string }> = [];
  for (const entry of spec.children('workshops')) {
    const name = entry.string('name');
    const workshop = workshops.find((w) => w.name === name);
    if (!workshop) {
      throw new Error(
        `${resource.label}: '${entry.pathOf('name')}' (${JSON.stringify(name)}) names no Workshop of the input: ` +
          `the input has ${workshops.map((w) => w.name).join(', ') || 'none'}`,
      );
    }
    const alias = entry.string('alias');
    const settings = readSettings(entry);
    entry.finish();
    entries.push({ workshop, alias, settings, path: entry.path });
  }
  spec.finish();
  // $(image_repository) is one value per portal here: the defaults' registry, or one that every listed workshop shares
  const registries = entries.length ? entries.map((e) => e.settings.registry ?? defaults.registry) : [defaults.registry];
  const registry = registries[0];
  if (registry && registries.every((r) => r?.value === registry.value)) {
    props.imageRepository = registry.value;
  } else {
    for (const r of new Set([defaults.registry, ...entries.map((e) => e.settings.registry)])) {
      if (r)
        report.unsupported(
          resource.label,
          r.path,
          r.raw,
          '$(image_repository) is one registry per portal (imageRepository): list these workshops in portals of their own',
        );
    }
  }

  // A duration shared by every listed workshop stays a portal default; any other is written per workshop.
  const effective = entries.map((e) =>
    effectiveSettings(e.settings, defaults, maximum, (field, value, reason) =>
      report.unsupported(resource.label, `${e.path}.${field}`, value, reason),
    ),
  );
  const shared: Partial<Record<DurationField, number>> = {};
  for (const field of DURATIONS) {
    const value = defaults.seconds[field];
    if (value && effective.length && effective.every((e) => e.seconds[field] === value)) shared[field] = value;
  }
  props.workshopDefaults = compact({
    capacity: defaults.capacity || undefined,
    initial: defaults.initial,
    reserved: defaults.reserved,
    ...durationProps(shared),
    env: defaults.env,
  });

  const model: PortalModel = { name: resource.name, variable, props, entries: [] };
  entries.forEach((entry, index) => {
    const e = effective[index];
    const seconds = Object.fromEntries(DURATIONS.filter((f) => e.seconds[f] && shared[f] === undefined).map((f) => [f, e.seconds[f]]));
    const capacity = entry.settings.capacity ?? ((defaults.capacity || maximum) === e.capacity ? undefined : e.capacity);
    const writtenReserved = entry.settings.reserved ?? defaults.reserved;
    const reserved =
      writtenReserved === e.reserved || (writtenReserved === undefined && e.reserved === Math.min(1, e.capacity))
        ? entry.settings.reserved
        : e.reserved;
    const libraryReserved = reserved ?? defaults.reserved ?? Math.min(1, e.capacity);
    const writtenInitial = entry.settings.initial ?? defaults.initial ?? libraryReserved;
    const libraryInitial = writtenInitial !== 0 && writtenInitial < libraryReserved ? libraryReserved : writtenInitial;
    const options: Record<string, unknown> = {
      alias: entry.alias,
      capacity,
      initial: libraryInitial === e.initial ? entry.settings.initial : e.initial,
      reserved,
      ...durationProps(seconds),
      env: entry.settings.env,
    };
    let comment: string | undefined;
    const alias = entry.alias ?? entry.workshop.libraryName;
    if (`${resource.name}-${alias}`.length > MAX_ENVIRONMENT_NAME) {
      options.alias = `w${String(index + 1).padStart(2, '0')}`;
      comment = `'${resource.name}-${alias}' is too long for an environment name; Educates numbers environments the same way`;
    }
    model.entries.push({ workshop: entry.workshop.variable, options: compact(options) ?? {}, comment });
  });
  return model;
}

/** `spec.portal`: title, logo, host, TLS, session limits, registration, catalog and the workshop defaults. */
function readPortalSection(portal: Fields, props: Record<string, unknown>, name: string): { maximum: number; defaults: Settings } {
  const report = portal.report;
  props.title = portal.string('title');
  const logo = portal.string('logo');
  if (logo !== undefined && /^(data:image\/[a-z+.-]+;base64,|https:\/\/)/.test(logo)) props.logo = logo;
  else if (logo !== undefined)
    report.unsupported(portal.resource, 'spec.portal.logo', logo, 'a logo must be a data:image/…;base64 URI or an https URL');
  const ingress = portal.child('ingress');
  if (ingress) {
    const hostname = ingress.string('hostname');
    if (hostname?.includes('.')) props.hostname = hostname;
    else if (hostname)
      report.unsupported(
        portal.resource,
        'spec.portal.ingress.hostname',
        hostname,
        'the portal host name must be a full domain name; by default it is <portal>-ui.<ingress domain>',
      );
    const tls = ingress.child('tlsCertificateRef');
    if (tls) {
      const name = tls.string('name');
      const namespace = tls.string('namespace');
      tls.finish();
      if (name && namespace) props.tlsSecret = { namespace, name };
      else report.unsupported(portal.resource, tls.path, tls.value, 'a TLS secret reference needs a name and a namespace');
    }
    ingress.finish();
  }
  const sessions = portal.child('sessions');
  const maximum = sessions?.integer('maximum') ?? 0;
  props.maximumSessions = maximum || undefined;
  const registered = sessions?.integer('registered');
  props.registeredSessions = registered ?? new Commented(0, "Educates' default: no limit per learner (the library's default is one session)");
  props.anonymousSessions = sessions?.integer('anonymous');
  sessions?.finish();
  const registration = portal.child('registration');
  if (registration) {
    const type = registration.string('type');
    if (type === 'anonymous') props.registration = lib('Registration', 'Registration.ANONYMOUS');
    else if (type !== undefined && type !== 'one-step')
      report.unsupported(portal.resource, registration.pathOf('type'), type, 'allowed are one-step and anonymous');
    // Educates: nobody registers, only the admin signs in to the web pages (learners come through a REST front end)
    if (registration.boolean('enabled') === false) props.registration = lib('Registration', 'Registration.DISABLED');
    registration.finish();
  }
  const catalog = portal.child('catalog');
  if (catalog) {
    const visibility = catalog.string('visibility');
    if (visibility === 'public') props.catalogVisibility = lib('CatalogVisibility', 'CatalogVisibility.PUBLIC');
    else if (visibility !== undefined && visibility !== 'private')
      report.unsupported(portal.resource, catalog.pathOf('visibility'), visibility, 'allowed are private and public');
    catalog.finish();
  }
  // the deprecated top-level settings are defaults that portal.workshop.defaults overrides
  const deprecated = readSettings(portal, ['capacity', 'initial', 'reserved', 'expires', 'orphaned']);
  const workshopSection = portal.child('workshop');
  const defaultsFields = workshopSection?.child('defaults');
  const explicitDefaults = defaultsFields ? readSettings(defaultsFields) : { seconds: {} };
  defaultsFields?.finish();
  workshopSection?.finish();
  const defaults: Settings = {
    capacity: explicitDefaults.capacity ?? deprecated.capacity,
    initial: explicitDefaults.initial ?? deprecated.initial,
    reserved: explicitDefaults.reserved ?? deprecated.reserved,
    seconds: { ...deprecated.seconds, ...explicitDefaults.seconds },
    env: explicitDefaults.env,
    registry: explicitDefaults.registry,
  };
  // portal labels (Educates' list of {name, value}) and the index URL learners return to
  const labels: Record<string, string> = {};
  for (const label of portal.children('labels')) {
    const name = label.string('name');
    const value = label.string('value') ?? '';
    label.finish();
    if (name) labels[name] = value;
    else portal.report.unsupported(portal.resource, label.path, label.value, 'a portal label needs a name');
  }
  if (Object.keys(labels).length) props.labels = labels;
  const index = portal.string('index');
  if (index !== undefined && /^https?:\/\//.test(index)) props.indexUrl = index;
  else if (index !== undefined)
    portal.report.unsupported(portal.resource, portal.pathOf('index'), index, 'the index URL must be an http or https URL');
  // the event access code: never written into the manifests, so the portal reads it from a Secret the user creates
  if (portal.string('password') !== undefined) {
    const secret = `${name}-access-code`;
    props.accessCode = new Commented({ secret, key: 'code' }, `the event access code, from a Secret in ${name}-ui (see "Before deploying" above)`);
    report.todoFor(
      portal.resource,
      portal.pathOf('password'),
      `create the Secret ${secret} in the namespace ${name}-ui holding the event access code under the key code: ` +
        `kubectl -n ${name}-ui create secret generic ${secret} --from-literal=code=<the code>`,
    );
  }
  readCookieDomain(portal, props);
  for (const [key, reason] of Object.entries({
    theme: "Educates' themes are named resources: give the TrainingPortal a theme: { css } instead",
    credentials: 'the portal generates its admin credentials',
    clients: 'the portal generates its OAuth clients',
    updates: 'Argo CD applies changed workshops; running sessions finish on the old one',
  }))
    portal.unsupported(key, reason);
  portal.finish();
  return { maximum, defaults };
}

/**
 * `portal.cookies.domain`, when the library would take it: the portal needs a host name of its own outside the
 * ingress domain, since a cookie domain over the sessions' hosts would hand the portal's cookie to learners' apps
 * (Educates' usual value, the ingress domain itself, is such a one).
 */
function readCookieDomain(portal: Fields, props: Record<string, unknown>): void {
  const cookies = portal.child('cookies');
  if (!cookies) return;
  const written = cookies.string('domain');
  cookies.finish();
  if (written === undefined) return;
  const domain = written.replace(/^\./, '').toLowerCase();
  const hostname = typeof props.hostname === 'string' ? props.hostname : undefined;
  const problem = hostname
    ? cookieDomainProblem(domain, { hostname, ingressDomain: DEFAULT_INGRESS_DOMAIN })
    : "a cookie domain needs the portal on a host name of its own (spec.portal.ingress.hostname) outside the ingress domain, where every session host and learner's application is; the cookie stays with the portal's host";
  if (problem) portal.report.unsupported(portal.resource, cookies.pathOf('domain'), written, hostname ? `'cookieDomain' ${problem}` : problem);
  else props.cookieDomain = domain;
}

/** A portal for workshops given without one, set up as `educates deploy-workshop` sets up its `educates-cli` portal. */
export function defaultPortal(workshops: WorkshopModel[], variable: string): PortalModel {
  const entries: PortalEntryModel[] = workshops.map((workshop) => ({
    workshop: workshop.variable,
    options:
      compact({
        reserved: 0,
        expires: workshop.durationSeconds ? duration(workshop.durationSeconds) : undefined,
        orphaned: duration(300),
        overdue: duration(120),
      }) ?? {},
  }));
  return {
    name: 'workshops',
    variable,
    props: { maximumSessions: 5 },
    entries,
    comment: 'The input had no TrainingPortal: this one lists the workshops the way `educates deploy-workshop` does (5 sessions, none reserved).',
  };
}

function readSettings(fields: Fields, only?: string[]): Settings {
  const wanted = (key: string) => !only || only.includes(key);
  const settings: Settings = { seconds: {} };
  for (const key of ['capacity', 'initial', 'reserved'] as const) if (wanted(key)) settings[key] = fields.integer(key);
  for (const key of DURATIONS) {
    if (!wanted(key)) continue;
    const text = fields.string(key);
    if (text === undefined) continue;
    const seconds = durationSeconds(text);
    if (seconds === undefined) fields.report.unsupported(fields.resource, fields.pathOf(key), text, 'not a duration such as 30m, 1h or 3600');
    else settings.seconds[key] = seconds;
  }
  if (only) return settings;
  const env: Record<string, string> = {};
  for (const entry of fields.children('env')) {
    const name = entry.string('name');
    const value = entry.string('value') ?? '';
    entry.finish();
    const problem =
      !name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? 'an environment variable name is letters, digits and _' : variablesProblem(value);
    if (problem) entry.report.unsupported(entry.resource, entry.path, entry.value, problem);
    else setOwn(env, name!, value);
  }
  if (Object.keys(env).length) settings.env = env;
  fields.unsupported('labels', "the library has no catalog labels per portal entry: use the workshop's labels");
  const registry = fields.child('registry');
  if (registry) {
    const host = registry.string('host');
    const namespace = registry.string('namespace');
    registry.finish();
    if (host) settings.registry = { value: namespace ? `${host}/${namespace}` : host, path: registry.path, raw: registry.value };
    else registry.report.unsupported(registry.resource, registry.path, registry.value, 'a registry needs a host');
  }
  return settings;
}

interface Effective {
  capacity: number;
  reserved: number;
  initial: number;
  seconds: Record<DurationField, number>;
}

/** Educates' effective settings of one listed workshop (manager/portal.py), made acceptable to the library. */
function effectiveSettings(
  entry: Settings,
  defaults: Settings,
  maximum: number,
  problem: (field: string, value: unknown, reason: string) => void,
): Effective {
  let capacity = entry.capacity ?? defaults.capacity ?? maximum;
  if (capacity === 0) {
    problem('capacity', 0, 'Educates gives a workshop no sessions when neither capacity nor sessions.maximum is set; imported with capacity 1');
    capacity = 1;
  }
  const clamp = (n: number) => Math.max(0, Math.min(n, capacity));
  const reserved = clamp(entry.reserved ?? defaults.reserved ?? 1);
  let initial = clamp(entry.initial ?? defaults.initial ?? reserved);
  if (initial !== 0) initial = Math.max(initial, reserved);
  const seconds = Object.fromEntries(DURATIONS.map((f) => [f, entry.seconds[f] ?? defaults.seconds[f] ?? 0])) as Record<DurationField, number>;
  if (!seconds.expires && seconds.deadline) {
    problem('deadline', `${seconds.deadline}s`, 'has no effect without expires');
    seconds.deadline = 0;
  }
  if (seconds.deadline < seconds.expires) seconds.deadline = seconds.expires;
  if (seconds.overtime && seconds.deadline === seconds.expires) {
    problem('overtime', `${seconds.overtime}s`, 'has no effect: deadline equals expires, so sessions cannot be extended');
    seconds.overtime = 0;
  }
  if (seconds.deadline === seconds.expires) seconds.deadline = 0;
  return { capacity, reserved, initial, seconds };
}

function durationProps(seconds: Partial<Record<DurationField, number>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(seconds)
      .filter(([, s]) => s)
      .map(([field, s]) => [field, duration(s!)]),
  );
}

function compact(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}
