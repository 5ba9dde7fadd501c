/**
 * Helpers of the portal authentication tests: the portal namespace and Role from a synthesized portal, a client
 * that acts as the portal's ServiceAccount, free ports, and a cookie-keeping HTTP client that reads forms.
 */
import * as net from 'node:net';

import { KubeConfig } from '@kubernetes/client-node';

import { KubeClient } from '../../src/runtime/index.js';
import { synthPortal } from '../support/portal-fixture.js';

/** Applies the portal's Namespace, ServiceAccount, Role and RoleBinding, as synthesized. */
export async function preparePortalNamespace(admin: KubeClient, portal: string): Promise<void> {
  const fixture = synthPortal(portal, [{ name: 'w' }]);
  const kinds = ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding'];
  // only the portal namespace's own: the Roles the portal holds in its environments' namespaces need those to exist
  const inPortalNamespace = (o: { kind: string; metadata: { name?: string; namespace?: string } }) =>
    o.kind === 'Namespace' ? o.metadata.name === `${portal}-ui` : o.metadata.namespace === `${portal}-ui`;
  const objects = fixture.files.flatMap((f) => f.objects).filter((o) => kinds.includes(o.kind) && inPortalNamespace(o));
  for (const kind of kinds) for (const object of objects.filter((o) => o.kind === kind)) await admin.apply(object);
}

/** A client with the credentials of the portal's ServiceAccount (a TokenRequest token), so tests run with its Role. */
export async function portalClient(admin: KubeClient, namespace: string): Promise<KubeClient> {
  const answer = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/training-portal/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const base = new KubeConfig();
  base.loadFromFile(process.env.KUBECONFIG!);
  const cluster = base.getCurrentCluster()!;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'portal', token: answer.status.token }],
    contexts: [{ name: 'portal', cluster: cluster.name, user: 'portal' }],
    currentContext: 'portal',
  });
  return new KubeClient(config);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A browser stand-in: keeps cookies, never follows redirects, reads hidden fields of forms. */
export class Jar {
  public readonly cookies = new Map<string, string>();
  constructor(public base: string) {}

  public async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, { method: 'GET', headers: { accept: 'text/html', ...headers } });
  }

  public async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, {
      method: 'POST',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** GETs a page and returns the hidden fields of its first form. */
  public async form(path: string): Promise<Record<string, string>> {
    const response = await this.get(path);
    const html = await response.text();
    if (response.status >= 300) throw new Error(`GET ${path}: ${response.status} ${html.slice(0, 200)}`);
    const fields: Record<string, string> = {};
    for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields[match[1]] = match[2]
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
    }
    return fields;
  }

  public async send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(path.startsWith('http') ? path : this.base + path, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...value] = pair.split('=');
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.join('='));
    }
    return response;
  }
}
