/**
 * TrainingPortal's portal settings (access code, registration, OpenID Connect, analytics webhook, labels, theme,
 * frame-ancestors, index URL) as the portal's Deployment env and portal.json carry them; secrets by reference only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';

import { type Manifest, Registration, synthesize, Terminal, TrainingPortal, type TrainingPortalProps, Workshop } from '../../src/constructs/index.js';

type Env = { name: string; value?: string; valueFrom?: unknown };

function portal(props: TrainingPortalProps) {
  const app = new App();
  new TrainingPortal(app, 'labs', props);
  const objects = synthesize(app).flatMap((f) => f.objects);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'training-portal')! as unknown as {
    spec: { template: { spec: { containers: { env: Env[] }[] } } };
  };
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'training-portal')! as Manifest & {
    data: Record<string, string>;
  };
  return { objects, env: deployment.spec.template.spec.containers[0].env, data: configMap.data, config: JSON.parse(configMap.data['portal.json']) };
}

const ALL: TrainingPortalProps = {
  registration: Registration.DISABLED,
  accessCode: { secret: 'event', key: 'code' },
  oidc: {
    issuer: 'https://id.example.com/realms/labs',
    clientId: 'labs-portal',
    clientSecret: { secret: 'oidc', key: 'client-secret' },
    name: 'Example ID',
  },
  analyticsWebhookUrl: 'https://analytics.example.com/hook',
  labels: { event: 'kubecon', 'cost-center': '42' },
  theme: { css: 'body { background: #102030; }' },
  frameAncestors: ['https://lms.example.com', 'https://*.example.org:8443'],
  indexUrl: 'https://lms.example.com/course/7',
};

describe('TrainingPortal settings', () => {
  test('every setting reaches the Deployment env (secrets by secretKeyRef) and portal.json, exactly', () => {
    const { env, data, config } = portal(ALL);
    const tail = env.slice(env.findIndex((e) => e.name === 'POD_NAME') + 1);
    expect(tail).toEqual([
      { name: 'PORTAL_ACCESS_CODE', valueFrom: { secretKeyRef: { name: 'event', key: 'code' } } },
      { name: 'OIDC_ISSUER', value: 'https://id.example.com/realms/labs' },
      { name: 'OIDC_CLIENT_ID', value: 'labs-portal' },
      { name: 'OIDC_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'oidc', key: 'client-secret' } } },
      { name: 'OIDC_NAME', value: 'Example ID' },
      { name: 'ANALYTICS_WEBHOOK_URL', value: 'https://analytics.example.com/hook' },
      { name: 'PORTAL_THEME_CSS', value: '/opt/portal/config/theme.css' },
      { name: 'PORTAL_FRAME_ANCESTORS', value: 'https://lms.example.com,https://*.example.org:8443' },
      { name: 'PORTAL_INDEX_URL', value: 'https://lms.example.com/course/7' },
    ]);
    expect(Object.keys(data).sort()).toEqual(['portal.json', 'theme.css']);
    expect(data['theme.css']).toBe('body { background: #102030; }');
    expect(config.registration).toBe('disabled');
    expect(config.labels).toEqual({ 'cost-center': '42', event: 'kubecon' });
    expect(Object.keys(config.labels)).toEqual(['cost-center', 'event']);
  });

  test("the theme's digest is a pod template annotation, so a new style sheet rolls the portal", () => {
    const annotations = (props: TrainingPortalProps) =>
      (
        portal(props).objects.find((o) => o.kind === 'Deployment')! as unknown as {
          spec: { template: { metadata: { annotations?: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations;
    const a = annotations({ theme: { css: 'body { color: red; }' } })!['training.cdk8s-workshops.dev/theme-digest'];
    const b = annotations({ theme: { css: 'body { color: blue; }' } })!['training.cdk8s-workshops.dev/theme-digest'];
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
    expect(annotations({ theme: { css: 'body { color: red; }' } })!['training.cdk8s-workshops.dev/theme-digest']).toBe(a);
    expect(annotations({})).toBeUndefined();
  });

  test('without settings nothing is added (the portal keeps its defaults)', () => {
    const { env, data, config } = portal({});
    expect(env.map((e) => e.name)).toEqual([
      'PORTAL_NAME',
      'PORTAL_NAMESPACE',
      'PORTAL_CONFIG',
      'PORTAL_URL',
      'PORT',
      'SECURE_COOKIES',
      'PORTAL_CREDENTIALS_SECRET',
      'POD_NAME',
    ]);
    expect(Object.keys(data)).toEqual(['portal.json']);
    expect(config.registration).toBe('one-step');
    expect(config.labels).toBeUndefined();
  });

  test('secrets are referenced, never synthesized: no Secret object, no value on a secret env var', () => {
    const { objects, env } = portal(ALL);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const name of ['PORTAL_ACCESS_CODE', 'OIDC_CLIENT_SECRET']) {
      const entry = env.find((e) => e.name === name)!;
      expect(entry.value).toBeUndefined();
      expect(entry.valueFrom).toBeDefined();
    }
  });

  test('in dist/, no container env var that holds a secret has a literal value', () => {
    const root = path.resolve('dist');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(dir, e.name));
        else if (e.name.endsWith('.yaml')) files.push(path.join(dir, e.name));
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(0);
    const literal: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (Array.isArray(node)) return node.forEach((n) => visit(n, where));
      if (!node || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (Array.isArray(record.env)) {
        for (const e of record.env as Env[]) {
          // a literal, not a variable the portal fills in per session, on a name that says it is a secret
          // (a *_FILE variable holding an absolute path says where a secret is mounted, which is no secret)
          const mountPath = /_FILE$/.test(e.name) && typeof e.value === 'string' && e.value.startsWith('/');
          if (
            /ACCESS_CODE|CLIENT_SECRET|PASSWORD|TOKEN/.test(e.name) &&
            typeof e.value === 'string' &&
            !/^\$\([a-z_]+\)$/.test(e.value) &&
            !mountPath
          ) {
            literal.push(`${where}: ${e.name}`);
          }
        }
      }
      Object.values(record).forEach((v) => visit(v, where));
    };
    for (const file of files) {
      for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) visit(doc.toJS(), path.relative(root, file));
    }
    expect(literal).toEqual([]);
  });

  test('each bad value is refused, naming the field, the value and what is allowed', () => {
    const bad = (props: TrainingPortalProps) => () => portal(props);
    expect(bad({ accessCode: { secret: 'Event_Code', key: 'code' } })).toThrow(
      `TrainingPortal 'labs': 'accessCode.secret' ("Event_Code") must name a Secret in the portal's namespace: a DNS subdomain such as portal-secrets`,
    );
    expect(bad({ accessCode: { secret: 'event', key: 'a code' } })).toThrow(
      `TrainingPortal 'labs': 'accessCode.key' ("a code") must be a Secret key: letters, digits, '-', '_' and '.'`,
    );
    expect(bad({ oidc: { issuer: 'http://id.example.com', clientId: 'c', clientSecret: { secret: 'oidc', key: 'k' } } })).toThrow(
      `TrainingPortal 'labs': 'oidc.issuer' ("http://id.example.com") must be an https URL (http only on a loopback address) without user or password`,
    );
    expect(bad({ oidc: { issuer: 'https://id.example.com', clientId: 'has space', clientSecret: { secret: 'oidc', key: 'k' } } })).toThrow(
      `TrainingPortal 'labs': 'oidc.clientId' ("has space") must be 1 to 200 printable characters without spaces`,
    );
    expect(bad({ oidc: { issuer: 'https://id.example.com', clientId: 'c', clientSecret: { secret: '', key: 'k' } } })).toThrow(
      `TrainingPortal 'labs': 'oidc.clientSecret.secret' ("") must name a Secret`,
    );
    expect(bad({ analyticsWebhookUrl: 'ftp://x.example.com' })).toThrow(
      `TrainingPortal 'labs': 'analyticsWebhookUrl' ("ftp://x.example.com") must be an http or https URL without user or password`,
    );
    expect(bad({ labels: { 'bad key!': 'x' } })).toThrow(
      `TrainingPortal 'labs': 'labels' key "bad key!" must be 1 to 63 letters, digits, '-', '_', '.' or '/', starting and ending with a letter or digit`,
    );
    expect(bad({ frameAncestors: ["https://lms.example.com; script-src 'unsafe-inline'"] })).toThrow(
      `TrainingPortal 'labs': 'frameAncestors[0]' ("https://lms.example.com; script-src 'unsafe-inline'") must be an origin such as https://lms.example.com or https://*.example.com (scheme, host, optional port; no path)`,
    );
    expect(bad({ frameAncestors: ['https://lms.example.com/course'] })).toThrow(
      `'frameAncestors[0]' ("https://lms.example.com/course") must be an origin`,
    );
    expect(bad({ indexUrl: 'javascript:alert(1)' })).toThrow(
      `TrainingPortal 'labs': 'indexUrl' ("javascript:alert(1)") must be an http or https URL without user or password`,
    );
  });

  describe('cookieDomain', () => {
    const hosts = { ingressDomain: 'workshops.example.com', hostname: 'labs.events.example.com' };

    test("a domain above the portal's host, apart from the sessions' domain, becomes PORTAL_COOKIE_DOMAIN", () => {
      for (const cookieDomain of ['events.example.com', 'labs.events.example.com']) {
        expect(portal({ ...hosts, cookieDomain }).env).toContainEqual({ name: 'PORTAL_COOKIE_DOMAIN', value: cookieDomain });
      }
      expect(portal(hosts).env.map((e) => e.name)).not.toContain('PORTAL_COOKIE_DOMAIN');
    });

    test("a domain that overlaps the sessions' domain is refused: learners' apps would receive the portal's cookie", () => {
      // the default portal host is under the ingress domain: no cookie domain can be above it and apart
      expect(() => portal({ ingressDomain: 'workshops.example.com', cookieDomain: 'example.com' })).toThrow(
        `TrainingPortal 'labs': 'cookieDomain' ("example.com") overlaps the ingress domain (workshops.example.com), where every session host and every learner's application lives`,
      );
      expect(() => portal({ ingressDomain: 'workshops.example.com', cookieDomain: 'labs-ui.workshops.example.com' })).toThrow(
        `'cookieDomain' ("labs-ui.workshops.example.com") overlaps the ingress domain (workshops.example.com)`,
      );
      expect(() => portal({ ingressDomain: 'example.com', hostname: 'labs.example.com', cookieDomain: 'example.com' })).toThrow(
        `'cookieDomain' ("example.com") overlaps the ingress domain (example.com)`,
      );
    });

    test("a domain the portal's host is not in, or that is not a domain, is refused naming what is allowed", () => {
      expect(() => portal({ ...hosts, cookieDomain: 'other.example.org' })).toThrow(
        `TrainingPortal 'labs': 'cookieDomain' ("other.example.org") must be the portal's host name (labs.events.example.com) or a domain above it: a browser drops a cookie for a domain its host is not in`,
      );
      for (const cookieDomain of ['com', '.events.example.com', 'Events.Example.com', '10.0.0.1', '']) {
        expect(() => portal({ ...hosts, cookieDomain })).toThrow(
          `'cookieDomain' (${JSON.stringify(cookieDomain)}) must be a DNS domain of two labels or more, without a leading dot, such as events.example.com`,
        );
      }
    });
  });

  test("a session's dashboard gets the portal's address and frame ancestors, whatever the workshop set", () => {
    const app = new App();
    const p = new TrainingPortal(app, 'labs', {
      ingressDomain: 'workshops.example.com',
      hostname: 'labs.events.example.com',
      tlsSecret: { namespace: 'certs', name: 'wildcard' },
      frameAncestors: ['https://lms.example.org'],
    });
    p.addWorkshop(new Workshop(app, 'lab', { title: 'Lab', description: 'A lab', capabilities: [new Terminal()] }), { capacity: 2 });
    const environment = synthesize(app)
      .flatMap((f) => f.objects)
      .find((o) => o.kind === 'WorkshopEnvironment')! as unknown as { spec: { session: { objects: Manifest[] } } };
    const deployment = environment.spec.session.objects.find((o) => o.kind === 'Deployment')! as unknown as {
      spec: { template: { spec: { containers: Array<{ name: string; env: Env[] }> } } };
    };
    const env = (name: string) => deployment.spec.template.spec.containers.find((c) => c.name === name)!.env;
    expect(env('dashboard')).toContainEqual({ name: 'PORTAL_URL', value: 'https://labs.events.example.com' });
    expect(env('dashboard')).toContainEqual({ name: 'PORTAL_FRAME_ANCESTORS', value: 'https://lms.example.org' });
    // the learner's container has no use for them
    expect(env('workshop').map((e) => e.name)).not.toContain('PORTAL_FRAME_ANCESTORS');
  });
});
