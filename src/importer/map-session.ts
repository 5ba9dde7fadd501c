import { isQuantity } from '../constructs/index.js';
import { call } from './code.js';
import type { Fields } from './fields.js';
import type { WorkshopModel } from './model.js';
import { setOwn, variablesProblem } from './values.js';

/** Host names the library's session already uses (the dashboard itself, and routes of capabilities). */
const RESERVED_ROUTES = ['workshop', 'console', 'editor', 'git', 'registry'];

/**
 * Maps `spec.session.ingresses` to `session.addRoute(...)`. A route without `host` goes to a port of the workshop
 * pod through the dashboard, as in Educates; one whose `host` is a Service of the session namespace goes to that
 * Service. What a route cannot express (paths, headers, TLS to the backend) is reported.
 */
export function mapIngresses(session: Fields, model: WorkshopModel, usedRoutes: string[]): void {
  for (const ingress of session.children('ingresses')) {
    const name = ingress.string('name');
    if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 20) {
      ingress.unsupportedAll('a route name must be a DNS label of at most 20 characters');
      continue;
    }
    if (RESERVED_ROUTES.includes(name) || usedRoutes.includes(name)) {
      ingress.unsupportedAll(
        `the host name '${name}-$(session_name)' is already used by the session${RESERVED_ROUTES.includes(name) ? ' (reserved)' : ''}`,
      );
      continue;
    }
    const host = ingress.string('host');
    let service: string | undefined;
    if (host !== undefined) {
      const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.\$\(session_namespace\)(\.svc(\.\$\(cluster_domain\)|\.cluster\.local)?)?)?$/.exec(host);
      if (!match) {
        ingress.report.unsupported(
          ingress.resource,
          ingress.path,
          ingress.value,
          'a route goes to the workshop pod or to a Service of the session namespace; this host is neither',
        );
        for (const key of Object.keys(ingress.value)) ingress.take(key);
        continue;
      }
      service = match[1];
    }
    const protocol = ingress.string('protocol');
    const port = ingress.integer('port') ?? (protocol === 'https' ? 443 : 80);
    if (protocol === 'https')
      ingress.report.unsupported(ingress.resource, ingress.pathOf('protocol'), protocol, 'routes reach their backend over plain HTTP');
    else if (protocol !== undefined && protocol !== 'http')
      ingress.report.unsupported(ingress.resource, ingress.pathOf('protocol'), protocol, 'routes carry HTTP only');
    const authentication = ingress.child('authentication');
    const type = authentication?.string('type');
    if (type !== undefined && type !== 'session' && type !== 'none') {
      authentication!.report.unsupported(authentication!.resource, authentication!.pathOf('type'), type, 'allowed are session and none');
    }
    authentication?.finish();
    ingress.unsupported('path', 'a route serves its whole host from /');
    ingress.unsupported('pathRewrite', 'a route passes paths through unchanged');
    ingress.unsupported('headers', 'a route adds no request headers');
    ingress.unsupported('changeOrigin', 'a route passes the Host header through unchanged');
    ingress.unsupported('secure', 'routes reach their backend over plain HTTP');
    ingress.finish();
    usedRoutes.push(name);
    const route = { name, port, service, authenticated: type === 'none' ? false : undefined };
    model.statements.push({ code: call(`${model.variable}.session.addRoute`, [route]) });
  }
}

/** Maps `spec.session.dashboards` to `session.addDashboardTab(...)`. */
export function mapDashboards(session: Fields, model: WorkshopModel, usedTabs: string[]): void {
  for (const dashboard of session.children('dashboards')) {
    const name = dashboard.string('name');
    const url = dashboard.string('url');
    dashboard.finish();
    if (!name || !url) {
      dashboard.report.unsupported(
        dashboard.resource,
        dashboard.path,
        dashboard.value,
        'a tab needs a name and a URL (the dashboard orders its own tabs)',
      );
      continue;
    }
    if (usedTabs.includes(name)) {
      dashboard.report.unsupported(dashboard.resource, dashboard.path, dashboard.value, `a capability already adds the tab '${name}'`);
      continue;
    }
    const problem = variablesProblem(url);
    if (problem) {
      dashboard.report.unsupported(dashboard.resource, dashboard.pathOf('url'), url, problem);
      continue;
    }
    usedTabs.push(name);
    model.statements.push({ code: call(`${model.variable}.session.addDashboardTab`, [{ name, url }]) });
  }
}

/** Maps `spec.session.env` (plain values) to the workshop's `env`. */
export function mapEnv(session: Fields): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const entry of session.children('env')) {
    const name = entry.string('name');
    if (entry.has('valueFrom')) {
      entry.unsupportedAll('only plain values carry over: put the value in a ConfigMap or Secret of session.objects and read it in the terminal');
      continue;
    }
    const value = entry.string('value') ?? '';
    entry.finish();
    const problem =
      !name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? 'an environment variable name is letters, digits and _' : variablesProblem(value);
    if (problem) {
      entry.report.unsupported(entry.resource, entry.path, entry.value, problem);
      continue;
    }
    setOwn(env, name!, value);
  }
  return Object.keys(env).length ? env : undefined;
}

/** Maps `spec.session.resources`: the memory of the workshop container. */
export function mapResources(session: Fields): { memory?: string; storage?: string } {
  const resources = session.child('resources');
  if (!resources) return {};
  const memory = resources.string('memory');
  const storage = resources.string('storage');
  resources.unsupported(
    'volume',
    "the learner's home is the library's (an emptyDir, or a claim of its own with `storage`); an existing volume cannot be mounted there",
  );
  resources.finish();
  const quantity = (field: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    if (isQuantity(value)) return value;
    resources.report.unsupported(resources.resource, resources.pathOf(field), value, 'not a Kubernetes quantity such as 1Gi');
    return undefined;
  };
  return { memory: quantity('memory', memory), storage: quantity('storage', storage) };
}

/** Fields of spec.session the library has no equivalent for. */
export function reportUnsupportedSessionFields(session: Fields): void {
  session.unsupported('envFrom', 'only plain env values carry over');
  session.unsupported('volumes', "the workshop pod's volumes are the library's; add a Capability to mount more");
  session.unsupported('volumeMounts', "the workshop pod's volumes are the library's; add a Capability to mount more");
  session.unsupported('initContainers', "the workshop pod's containers are the library's; add a Capability for more");
  session.unsupported('patches', "the workshop pod is the library's; write a Capability to change it");
}
