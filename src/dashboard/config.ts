/**
 * The session's dashboard settings: `dashboard.json`, written by the session template into the session's
 * `<session>-dashboard` ConfigMap in the environment namespace (variables already filled in by the runtime). Read once at start: a session keeps
 * the settings it started with, even when the workshop's definition changes later.
 */
import * as fs from 'node:fs/promises';

export interface DashboardTabConfig {
  readonly name: string;
  /** `terminal:<id>`, a path served by the dashboard (`/files/`), or a URL (often a route's host). */
  readonly url: string;
}

export interface DashboardRouteConfig {
  readonly name: string;
  /** `<name>-<session>.<ingress domain>` */
  readonly host: string;
  readonly port: number;
  /** When set, the ingress sends the route's traffic to that Service, not through the dashboard. */
  readonly service?: string;
  readonly authenticated: boolean;
}

/** What every fetched content source may carry: path filters, and whether it needs credentials. */
export interface ContentFilterConfig {
  readonly includePaths?: readonly string[];
  readonly excludePaths?: readonly string[];
  readonly credentials?: { readonly secret: string };
  /** With several sources: the folder of the content this one fills (vendir's `path`). */
  readonly into?: string;
}

/** One fetched source: exactly one of image, git, http. */
export interface ContentFetchConfig {
  readonly image?: { readonly ref: string } & ContentFilterConfig;
  readonly git?: { readonly url: string; readonly ref?: string; readonly path?: string } & ContentFilterConfig;
  readonly http?: { readonly url: string; readonly path?: string; readonly sha256?: string } & ContentFilterConfig;
}

export interface ContentSourceConfig extends ContentFetchConfig {
  /** Several sources, each into its own folder of the content (Educates' several vendir items). */
  readonly sources?: readonly ContentFetchConfig[];
}

const KINDS = ['image', 'git', 'http'] as const;

/** The folder a source fills: '.' (the whole content) unless `into` says otherwise. */
export function intoOf(source: ContentFetchConfig): string {
  const kind = KINDS.find((k) => source[k] !== undefined);
  const into = kind ? source[kind]!.into : undefined;
  return into === undefined ? '.' : into.replace(/^\.\//, '').replace(/\/+$/, '') || '.';
}

/** Checks one source of `content` (or of `content.sources[i]`); errors name the field, its value and what is allowed. */
function checkSource(content: Record<string, unknown>, where: string, fail: (field: string, value: unknown, allowed: string) => never): void {
  if (content.image !== undefined && !(isObject(content.image) && typeof content.image.ref === 'string' && content.image.ref)) {
    fail(`${where}.image`, content.image, 'an object with a ref such as registry.example.com/acme/workshop-files:1.0');
  }
  if (content.git !== undefined && !(isObject(content.git) && typeof content.git.url === 'string' && content.git.url)) {
    fail(`${where}.git`, content.git, 'an object with a url (and a ref and path) such as {"url":"https://github.com/acme/lab.git","ref":"main"}');
  }
  if (content.http !== undefined && !(isObject(content.http) && typeof content.http.url === 'string' && content.http.url)) {
    fail(`${where}.http`, content.http, 'an object with the url of a tar.gz archive');
  }
  const kinds = KINDS.filter((k) => content[k] !== undefined);
  if (kinds.length > 1) fail(where, content, 'one content source: image, git or http, not several (list several in content.sources)');
  for (const kind of kinds) {
    const source = content[kind] as Record<string, unknown>;
    for (const field of ['includePaths', 'excludePaths']) {
      const globs = source[field];
      if (globs !== undefined && !(Array.isArray(globs) && globs.every((g) => typeof g === 'string' && g)))
        fail(`${where}.${kind}.${field}`, globs, 'a list of globs such as /workshop/**');
    }
    const into = source.into;
    if (into !== undefined && !(typeof into === 'string' && into && !into.startsWith('/') && !into.split('/').includes('..') && !into.includes('\\')))
      fail(`${where}.${kind}.into`, into, "a folder inside the content, relative, without '..'");
    if (kind === 'http' && source.sha256 !== undefined && !(typeof source.sha256 === 'string' && /^(sha256:)?[0-9a-f]{64}$/.test(source.sha256)))
      fail(`${where}.http.sha256`, source.sha256, "the 64 hexadecimal digits of the archive's sha256");
  }
}

export interface DashboardConfig {
  readonly workshop: { readonly name: string; readonly title: string };
  /** A ContentSource as JSON: `{image:{ref}}`, `{git:{url,ref,path}}`, `{http:{url,path}}`, or `{}` (content in the image). */
  readonly content: ContentSourceConfig;
  readonly capabilities: readonly string[];
  readonly tabs: readonly DashboardTabConfig[];
  readonly routes: readonly DashboardRouteConfig[];
  readonly settings: Readonly<Record<string, unknown>>;
}

/** The settings of a dashboard started without a dashboard.json (local development): one terminal. */
export function defaultConfig(title = 'Workshop'): DashboardConfig {
  return {
    workshop: { name: 'workshop', title },
    content: {},
    capabilities: ['terminal'],
    tabs: [{ name: 'Terminal', url: 'terminal:1' }],
    routes: [],
    settings: { terminal: { layout: 'default', sessions: ['1'] } },
  };
}

/** Reads and checks `dashboard.json`; errors name the file, the field and what is allowed. */
export async function readConfig(file: string): Promise<DashboardConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`dashboard settings ${file} cannot be read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`dashboard settings ${file} is not JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, file);
}

export function parseConfig(raw: unknown, where = 'dashboard.json'): DashboardConfig {
  const fail = (field: string, value: unknown, allowed: string): never => {
    throw new Error(`${where}: '${field}' (${JSON.stringify(value)}) must be ${allowed}`);
  };
  if (!isObject(raw)) return fail('(root)', raw, 'an object');
  const workshop = raw.workshop;
  if (!isObject(workshop) || typeof workshop.name !== 'string' || typeof workshop.title !== 'string') {
    return fail('workshop', workshop, 'an object with a name and a title');
  }
  const content = raw.content ?? {};
  if (!isObject(content)) return fail('content', content, 'a content source: {image:{ref}}, {git:{…}} or {}');
  checkSource(content, 'content', fail);
  if (content.sources !== undefined) {
    const sources = content.sources;
    if (KINDS.some((k) => content[k] !== undefined))
      fail('content', content, 'either one source (image, git or http) or a list of them in sources, not both');
    if (!Array.isArray(sources) || sources.length === 0) return fail('content.sources', sources, 'a non-empty list of {image|git|http: {…, into}}');
    const folders: string[] = [];
    sources.forEach((source, i) => {
      if (!isObject(source) || KINDS.filter((k) => source[k] !== undefined).length !== 1)
        fail(`content.sources[${i}]`, source, 'an object with one of image, git or http');
      checkSource(source as Record<string, unknown>, `content.sources[${i}]`, fail);
      const into = intoOf(source as ContentFetchConfig);
      // one source may fill the root (the others replace their folders in it); no two others may share a folder
      const clash = folders.find((f) => f === into || (f !== '.' && into !== '.' && (into.startsWith(`${f}/`) || f.startsWith(`${into}/`))));
      if (clash !== undefined)
        fail(
          `content.sources[${i}].into`,
          into,
          `a folder of its own: '${clash}' is filled by an earlier source, and sources may not overlap (one may fill the root, '.')`,
        );
      folders.push(into);
    });
  }
  const capabilities = raw.capabilities ?? [];
  if (!Array.isArray(capabilities) || !capabilities.every((c) => typeof c === 'string')) fail('capabilities', capabilities, 'a list of names');
  const tabs = raw.tabs ?? [];
  if (!Array.isArray(tabs)) return fail('tabs', tabs, 'a list of {name, url}');
  tabs.forEach((tab, i) => {
    if (!isObject(tab) || typeof tab.name !== 'string' || typeof tab.url !== 'string') fail(`tabs[${i}]`, tab, 'an object with a name and a url');
  });
  const routes = raw.routes ?? [];
  if (!Array.isArray(routes)) return fail('routes', routes, 'a list of {name, host, port}');
  routes.forEach((route, i) => {
    if (!isObject(route) || typeof route.name !== 'string' || typeof route.host !== 'string') {
      fail(`routes[${i}]`, route, 'an object with a name, a host and a port');
    }
    const r = route as Record<string, unknown>;
    if (!Number.isInteger(r.port) || (r.port as number) < 1 || (r.port as number) > 65535)
      fail(`routes[${i}].port`, r.port, 'a whole number from 1 to 65535');
  });
  const settings = raw.settings ?? {};
  if (!isObject(settings)) return fail('settings', settings, 'an object');
  return {
    workshop: { name: workshop.name, title: workshop.title },
    content: content as DashboardConfig['content'],
    capabilities: capabilities as string[],
    tabs: tabs as DashboardTabConfig[],
    routes: (routes as Array<Record<string, unknown>>).map((r) => ({
      name: r.name as string,
      host: (r.host as string).toLowerCase(),
      port: r.port as number,
      service: typeof r.service === 'string' ? r.service : undefined,
      authenticated: r.authenticated !== false,
    })),
    settings,
  };
}

/** The terminal sessions the layout shows (`settings.terminal.sessions`), or none. */
export function terminalSessions(config: DashboardConfig): string[] {
  const terminal = config.settings.terminal;
  if (!isObject(terminal) || !Array.isArray(terminal.sessions)) return config.capabilities.includes('terminal') ? ['1'] : [];
  return terminal.sessions.filter((s): s is string => typeof s === 'string');
}

/** The terminal layout name (`default`, `split`, `split/2`, `lower`, `none`). */
export function terminalLayout(config: DashboardConfig): string {
  const terminal = config.settings.terminal;
  return isObject(terminal) && typeof terminal.layout === 'string' ? terminal.layout : 'default';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
