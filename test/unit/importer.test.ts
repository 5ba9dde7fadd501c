/**
 * The Educates importer on realistic workshop definitions (test/fixtures/educates): what each Educates field becomes
 * in the generated module, the exact list of what is not carried over, and the errors for input that is not
 * Educates YAML. The integration test runs the generated modules and applies what they synthesize.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { stringify } from 'yaml';

import { importEducates, type UnsupportedField } from '../../src/importer/index.js';

const FIXTURES = path.resolve('test/fixtures/educates');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const fields = (unsupported: UnsupportedField[]) => unsupported.map((u) => `${u.resource}: ${u.field}`);

describe('importEducates maps Educates workshops to cdk8s-workshops code', () => {
  test('a Hugo lab: descriptive fields, image content, split terminals, editor, console, medium budget, route, tab and env', () => {
    const { source, unsupported } = importEducates({ workshopYaml: fixture('hugo-lab.yaml'), sourceName: 'hugo-lab.yaml' });
    expect(unsupported).toEqual([]);
    expect(source).toContain(' * Everything in the input was carried over.');
    expect(source).toContain("const labK8sFundamentals = new Workshop(app, 'lab-k8s-fundamentals', {");
    for (const line of [
      "  title: 'Kubernetes Fundamentals',",
      '  difficulty: Difficulty.BEGINNER,',
      '  duration: Duration.hours(1),',
      "  tags: ['kubernetes', 'deployments'],",
      "  labels: { track: 'platform' },",
      "  vendor: 'educates.dev',",
      "  authors: ['Graham Dumpleton'],",
      "  content: ContentSource.image('ghcr.io/educates/lab-k8s-fundamentals-files:5.0'),",
      "  workshopMemory: '1Gi',",
      // the workshop pod runs in the environment namespace, as in Educates: the learner's budget is the learner's
      '  budget: Budget.MEDIUM,',
      "  env: { APP_URL: '$(ingress_protocol)://app-$(session_name).$(ingress_domain)' },",
      '  capabilities: [new Terminal({ layout: TerminalLayout.SPLIT }), new Console(), new Editor()],',
      "labK8sFundamentals.session.addRoute({ name: 'app', port: 8080 });",
      "labK8sFundamentals.session.addDashboardTab({ name: 'App', url: '$(ingress_protocol)://app-$(session_name).$(ingress_domain)/' });",
    ])
      expect(source).toContain(line);
    // base-environment is Educates' own image: the library's dashboard image takes its place
    expect(source).not.toContain('workshopImage');
    // restricted is the default on both sides
    expect(source).not.toContain('securityPolicy');
    // no TrainingPortal given: listed as `educates deploy-workshop` would, with the duration as expiry
    expect(source).toContain("const portal = new TrainingPortal(app, 'workshops', { maximumSessions: 5 });");
    expect(source).toMatch(/portal\.addWorkshop\(labK8sFundamentals, \{\n {2}reserved: 0,\n {2}expires: Duration\.hours\(1\),/);
  });

  test('container builds: docker makes the environment namespace privileged, registry, files, edit role, routes to a Service and without login, session objects verbatim', () => {
    const { source, unsupported } = importEducates({ workshopYaml: fixture('container-builds.yaml') });
    expect(unsupported).toEqual([]);
    for (const line of [
      "  content: ContentSource.git('https://github.com/educates/lab-container-builds.git', 'main', 'workshop'),",
      // the session registry's pod is in the session namespace (the workshop pod is not): the quota grows by what it uses
      "  budget: Budget.LARGE.withOverrides({ quotaCpu: '4500m', quotaMemory: '4864Mi' }),",
      '  role: SessionRole.EDIT,',
      '  // Docker-in-docker runs privileged beside the workshop container, which runs in the environment namespace as in',
      '  // Educates; learners cannot create pods there',
      '  environmentSecurityPolicy: SecurityPolicy.PRIVILEGED,',
      "    new FileServer({ directory: 'exercises', uploads: false }),",
      "    new Docker({ memory: '1Gi', storage: '10Gi' }),",
      "    new ImageRegistry({ storage: '2Gi' }),",
      "labContainerBuilds.session.addRoute({ name: 'web', port: 8080, service: 'web' });",
      "labContainerBuilds.session.addRoute({ name: 'hooks', port: 9000, authenticated: false });",
      "new ApiObject(labContainerBuilds.session, 'ConfigMap-build-settings', {",
      "  data: { registry: '$(registry_host)', session: '$(session_name)' },",
      "            image: '$(registry_host)/web:latest',",
      "new ApiObject(labContainerBuilds.session, 'ClusterRoleBinding-session_name-node-reader', {",
    ])
      expect(source).toContain(line);
    // the session ServiceAccount is in the environment namespace, in Educates and here alike: bindings stay as written
    expect(source).toContain("subjects: [{ kind: 'ServiceAccount', namespace: '$(workshop_namespace)', name: '$(service_account)' }],");
    expect(source).toContain("import { ApiObject, Duration } from 'cdk8s';");
  });

  test('shared services: environment objects and secrets, limits as budget overrides, a secondary namespace, a SecretCopier, tabs, request parameters', () => {
    const { source, unsupported } = importEducates({ workshopYaml: fixture('shared-services.yaml') });
    expect(unsupported).toEqual([]);
    for (const line of [
      "  version: '2.1',",
      "  workshopImage: 'ghcr.io/acme/lab-shared-database-image:2.1',",
      "  budget: Budget.SMALL.withOverrides({ containerMaxCpu: '750m', containerDefaultMemory: '384Mi' }),",
      "  environmentSecrets: [{ namespace: 'acme-shared', name: 'database-credentials' }],",
      '  capabilities: [new Terminal({ layout: TerminalLayout.LOWER }), new Slides(), new Examiner()],',
      "    RequestParameter.fixed('DATABASE_USER', 'learner'),",
      "    RequestParameter.generated('DATABASE_PASSWORD', '[a-z0-9]{12}'),",
      "labSharedDatabase.session.addNamespace('db', { budget: Budget.SMALL, role: SessionRole.VIEW });",
      "labSharedDatabase.session.addDashboardTab({ name: 'Database', url: 'terminal:database' });",
      "labSharedDatabase.session.injectSecret('database-credentials', '$(workshop_namespace)');",
      "  metadata: { name: 'queries', namespace: '$(session_namespace)-db' },",
      "new ApiObject(labSharedDatabase.environment, 'ConfigMap-database-settings', {",
      "  data: { host: 'database.$(workshop_namespace).svc.$(cluster_domain)', portal: '$(training_portal)' },",
    ])
      expect(source).toContain(line);
    // the SecretCopier itself is Educates' operator's resource: it became injectSecret, not an object
    expect(source).not.toContain('SecretCopier');
  });

  test('a workshop full of Educates-only features: every one is listed, with the reason, and the rest still maps', () => {
    const { source, unsupported } = importEducates({ workshopYaml: fixture('unsupported-features.yaml') });
    const w = 'Workshop lab-virtual-clusters';
    expect(fields(unsupported)).toEqual(
      [
        'metadata.annotations',
        'spec.logo',
        'spec.workshop.image',
        'spec.workshop.files[0].inline',
        'spec.workshop.packages',
        'spec.environment.assets',
        'spec.session.namespaces.role',
        'spec.session.namespaces.security.rules',
        'spec.session.applications.vcluster',
        'spec.session.applications.webdav',
        'spec.session.applications.console.vendor',
        'spec.session.ingresses[0]',
        'spec.session.ingresses[1].path',
        'spec.session.ingresses[1].headers',
        'spec.session.env[0]',
        'spec.session.env[1]',
        'spec.session.patches',
        'spec.session.objects[1]',
        'spec.request.objects[0]',
        'spec.spec-typo',
      ].map((f) => `${w}: ${f}`),
    );
    const reason = (field: string) => unsupported.find((u) => u.field === field)?.reason;
    expect(reason('spec.session.applications.vcluster')).toBe('cdk8s-workshops has no virtual clusters: sessions get namespaces of a shared cluster');
    expect(reason('spec.session.env[0]')).toBe('uses $(vcluster_secret), which cdk8s-workshops does not define');
    // Educates' usual $(image_repository)/<name>-files:<version> is filled in with the default registry, and says so
    expect(source).toContain(
      [
        "  // Educates wrote $(image_repository)/lab-virtual-clusters-files:latest: filled in with the portal's image repository",
        "  // (registry.default.svc.cluster.local) and the workshop's version; change it if you publish elsewhere",
        "  content: ContentSource.image('registry.default.svc.cluster.local/lab-virtual-clusters-files:latest', { includePaths: ['/workshop/**'] }),",
      ].join('\n'),
    );
    expect(reason('spec.spec-typo')).toBe('not a field this importer knows; it is not carried over');
    expect(unsupported.find((u) => u.field === 'spec.session.applications.vcluster')?.value).toBe('{"enabled":true,"version":"1.33"}');
    // the report is printed: the contents of a Secret are not
    expect(unsupported.find((u) => u.field === 'spec.request.objects[0]')).toEqual({
      resource: w,
      field: 'spec.request.objects[0]',
      reason: 'uses $(username), which cdk8s-workshops does not define',
      value: '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"$(session_name)-user"},"stringData":{"user":"(hidden)"}}',
    });
    // what remains maps: baseline policy, terminal and console, the docs route, the kapp App with its kind registered
    expect(source).toContain('  securityPolicy: SecurityPolicy.BASELINE,');
    expect(source).toContain('  capabilities: [new Terminal(), new Console()],');
    expect(source).toContain("labVirtualClusters.session.addRoute({ name: 'docs', port: 8000 });");
    expect(source).toContain("registerKind('kappctrl.k14s.io/v1alpha1', 'App', { resource: 'apps', namespaced: true });");
    // and the header lists what was left out
    expect(source).toContain(' * Not carried over (20):');
    // the home's size carries over as a claim of its own
    expect(source).toContain("  storage: '5Gi',");
    expect(source).toContain(' * - Workshop lab-virtual-clusters: spec.session.applications.webdav: cdk8s-workshops has no WebDAV server;');
  });

  test('a TrainingPortal with three workshops: limits, registration, catalog, defaults and per-workshop settings as Educates computes them', () => {
    const workshopYaml = ['hugo-lab.yaml', 'container-builds.yaml', 'shared-services.yaml'].map(fixture).join('\n---\n');
    const { source, unsupported, todo } = importEducates({ workshopYaml, portalYaml: fixture('portal.yaml') });
    // the access code becomes a Secret reference, and the Secret a step before deploying; its value is nowhere
    expect(source).toContain("  accessCode: { secret: 'labs-access-code', key: 'code' },");
    expect(todo).toEqual([
      {
        resource: 'TrainingPortal labs',
        field: 'spec.portal.password',
        action:
          'create the Secret labs-access-code in the namespace labs-ui holding the event access code under the key code: kubectl -n labs-ui create secret generic labs-access-code --from-literal=code=<the code>',
      },
    ]);
    expect(`${source}${JSON.stringify(todo)}${JSON.stringify(unsupported)}`).not.toContain('let-me-in');
    expect(unsupported).toEqual([
      // a computed field sorts with the entry it belongs to
      {
        resource: 'TrainingPortal labs',
        field: 'spec.workshops[2].overtime',
        value: '900s',
        reason: 'has no effect: deadline equals expires, so sessions cannot be extended',
      },
      {
        resource: 'TrainingPortal labs',
        field: 'spec.workshops[2].labels',
        value: '[{"name":"level","value":"advanced"}]',
        reason: "the library has no catalog labels per portal entry: use the workshop's labels",
      },
    ]);
    expect(source).toContain(
      [
        "const portal = new TrainingPortal(app, 'labs', {",
        "  title: 'Educates Labs',",
        '  maximumSessions: 20,',
        '  registeredSessions: 2,',
        '  anonymousSessions: 1,',
        '  registration: Registration.ANONYMOUS,',
        '  catalogVisibility: CatalogVisibility.PUBLIC,',
        '  // the event access code, from a Secret in labs-ui (see "Before deploying" above)',
        "  accessCode: { secret: 'labs-access-code', key: 'code' },",
        '  workshopDefaults: {',
        '    reserved: 1,',
        '    orphaned: Duration.minutes(5),',
        '    overdue: Duration.minutes(2),',
        "    env: { PORTAL_EVENT: 'spring-2026' },",
        '  },',
        '});',
        'portal.addWorkshop(labK8sFundamentals, {',
        '  capacity: 10,',
        '  initial: 3,',
        '  expires: Duration.hours(1),',
        '  overtime: Duration.minutes(15),',
        '  deadline: Duration.minutes(90),',
        '});',
        'portal.addWorkshop(labContainerBuilds, {',
        '  capacity: 4,',
        // Educates clamps reserved (6) to the capacity
        '  reserved: 4,',
        '  expires: Duration.hours(1),',
        '  overtime: Duration.minutes(15),',
        '  deadline: Duration.minutes(90),',
        '  refresh: Duration.hours(24),',
        "  env: { REGISTRY_MIRROR: 'mirror.gcr.io' },",
        '});',
        // deadline (20m) below expires (30m) means no extensions in Educates: deadline = expires, overtime unused
        "portal.addWorkshop(labSharedDatabase, { alias: 'database', capacity: 5, expires: Duration.minutes(30) });",
      ].join('\n'),
    );
  });

  test('a Workshop and its TrainingPortal in one file, as in the end-to-end example of the Educates docs', () => {
    const { source, unsupported } = importEducates({ workshopYaml: fixture('one-file.yaml') });
    expect(fields(unsupported)).toEqual([]);
    expect(source).toContain(
      "  content: ContentSource.image('ghcr.io/acme/lab-cluster-tour-files:1.2', { includePaths: ['/workshop/**', '/exercises/**'] }),",
    );
    expect(source).toContain("  requestParameters: [RequestParameter.generated('TOUR_CODE', '[A-Z]{4}[0-9]{2}')],");
    expect(source).toContain(
      [
        '  workshopDefaults: {',
        '    reserved: 2,',
        '    expires: Duration.minutes(45),',
        '    overtime: Duration.minutes(10),',
        '    deadline: Duration.minutes(75),',
        '    orphaned: Duration.minutes(10),',
        '    overdue: Duration.minutes(3),',
        '  },',
        '});',
        'portal.addWorkshop(labClusterTour, { capacity: 12, initial: 4 });',
      ].join('\n'),
    );
  });

  test('the whole generated module for three workshops and a portal (snapshot: readable, stable)', () => {
    const workshopYaml = ['hugo-lab.yaml', 'container-builds.yaml', 'shared-services.yaml'].map(fixture).join('\n---\n');
    const first = importEducates({ workshopYaml, portalYaml: fixture('portal.yaml'), sourceName: 'labs/' });
    const second = importEducates({ workshopYaml, portalYaml: fixture('portal.yaml'), sourceName: 'labs/' });
    expect(second.source).toBe(first.source);
    expect(first.source).toMatchSnapshot();
  });

  test('the List that `kubectl get workshops -o yaml` prints, with what the API server adds, reads like the resources', () => {
    const exported = stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'training.educates.dev/v1beta1',
          kind: 'Workshop',
          metadata: {
            name: 'lab',
            uid: 'u-1',
            resourceVersion: '42',
            generation: 3,
            creationTimestamp: '2026-01-01T00:00:00Z',
            annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
          },
          spec: { title: 'T', description: 'D' },
          status: { educates: { phase: 'Ready' } },
        },
      ],
    });
    const { source, unsupported } = importEducates({ workshopYaml: exported });
    expect(unsupported).toEqual([]);
    expect(source).toContain("const lab = new Workshop(app, 'lab', { title: 'T', description: 'D', capabilities: [new Terminal()] });");
  });

  test('a TrainingPortal in the same YAML as the workshops is read too', () => {
    const { source } = importEducates({
      workshopYaml: `${fixture('hugo-lab.yaml')}\n---\n${fixture('portal.yaml').replace(/  - name: lab-container-builds[\s\S]*$/, '')}`,
    });
    expect(source).toContain("const portal = new TrainingPortal(app, 'labs', {");
    expect(source).toContain('portal.addWorkshop(labK8sFundamentals, {');
  });

  test('a workshop no portal lists is built but says it synthesizes nothing', () => {
    const { source } = importEducates({
      workshopYaml: `${fixture('hugo-lab.yaml')}\n---\n${fixture('container-builds.yaml')}`,
      portalYaml:
        'apiVersion: training.educates.dev/v1beta1\nkind: TrainingPortal\nmetadata: {name: labs}\nspec:\n  portal: {sessions: {maximum: 3}}\n  workshops: [{name: lab-k8s-fundamentals}]\n',
    });
    expect(source).toContain("// Educates Workshop 'lab-container-builds' (no portal lists it, so nothing is synthesized for it)");
    // Educates has no per-learner limit unless one is set; the library's default is one session
    expect(source).toContain(
      [
        "const portal = new TrainingPortal(app, 'labs', {",
        '  maximumSessions: 3,',
        "  // Educates' default: no limit per learner (the library's default is one session)",
        '  registeredSessions: 0,',
        '});',
      ].join('\n'),
    );
  });
});

/** Imports one Workshop named `lab` with the given spec fields (besides title and description). */
function importSpec(spec: Record<string, unknown>, name = 'lab') {
  const workshopYaml = stringify({
    apiVersion: 'training.educates.dev/v1beta1',
    kind: 'Workshop',
    metadata: { name },
    spec: { title: 'T', description: 'D', ...spec },
  });
  return importEducates({ workshopYaml });
}
const reasons = (unsupported: UnsupportedField[]) => Object.fromEntries(unsupported.map((u) => [u.field, u.reason]));

describe('importEducates on single features', () => {
  test('portal: deprecated top-level settings as defaults, host name and TLS secret, settings that have no equivalent, capacity 0', () => {
    const portalYaml = stringify({
      apiVersion: 'training.educates.dev/v1beta1',
      kind: 'TrainingPortal',
      metadata: { name: 'event' },
      spec: {
        portal: {
          capacity: 3,
          expires: '20m',
          ingress: { hostname: 'event.labs.example.com', tlsCertificateRef: { name: 'wildcard', namespace: 'certs' } },
          registration: { type: 'one-step', enabled: false },
          cookies: { domain: '.labs.example.com' },
          catalog: { visibility: 'private' },
          credentials: { admin: { username: 'boss' } },
          labels: [{ name: 'event', value: 'kubecon' }],
          index: 'https://events.example.com/',
        },
        analytics: { google: { trackingId: 'G-1' }, webhook: { url: 'https://hooks.example.com/educates' } },
        workshops: [{ name: 'lab' }],
      },
    });
    const workshopYaml = stringify({
      apiVersion: 'training.educates.dev/v1beta1',
      kind: 'Workshop',
      metadata: { name: 'lab' },
      spec: { title: 'T', description: 'D' },
    });
    const { source, unsupported } = importEducates({ workshopYaml, portalYaml });
    expect(source).toContain(
      [
        "const portal = new TrainingPortal(app, 'event', {",
        "  hostname: 'event.labs.example.com',",
        "  tlsSecret: { namespace: 'certs', name: 'wildcard' },",
        "  // Educates' default: no limit per learner (the library's default is one session)",
        '  registeredSessions: 0,',
        '  registration: Registration.DISABLED,',
        "  labels: { event: 'kubecon' },",
        "  indexUrl: 'https://events.example.com/',",
        "  cookieDomain: 'labs.example.com',",
        "  analyticsWebhookUrl: 'https://hooks.example.com/educates',",
        '  workshopDefaults: { capacity: 3, expires: Duration.minutes(20) },',
        '});',
        'portal.addWorkshop(lab);',
      ].join('\n'),
    );
    expect(reasons(unsupported)).toEqual({
      'spec.portal.credentials': 'the portal generates its admin credentials',
      'spec.analytics.google': 'cdk8s-workshops sends no analytics to third parties; the webhook gets every event',
    });
    // a cookie domain over the sessions' domain (Educates' usual one) or without a host of the portal's own is named
    const noHost = importEducates({ workshopYaml, portalYaml: portalYaml.replace('hostname: event.labs.example.com', 'hostname: event') });
    expect(reasons(noHost.unsupported)['spec.portal.cookies.domain']).toBe(
      "a cookie domain needs the portal on a host name of its own (spec.portal.ingress.hostname) outside the ingress domain, where every session host and learner's application is; the cookie stays with the portal's host",
    );
    const overSessions = importEducates({
      workshopYaml,
      portalYaml: portalYaml
        .replace('hostname: event.labs.example.com', 'hostname: event.workshops.127-0-0-1.test')
        .replace('domain: .labs.example.com', 'domain: workshops.127-0-0-1.test'),
    });
    expect(reasons(overSessions.unsupported)['spec.portal.cookies.domain']).toMatch(
      /^'cookieDomain' overlaps the ingress domain \(workshops\.127-0-0-1\.test\)/,
    );
    expect(overSessions.source).not.toContain("  cookieDomain: '");
    const none = importEducates({ workshopYaml, portalYaml: portalYaml.replace('capacity: 3', 'title: Event') });
    expect(reasons(none.unsupported)['spec.workshops[0].capacity']).toBe(
      'Educates gives a workshop no sessions when neither capacity nor sessions.maximum is set; imported with capacity 1',
    );
    expect(none.source).toContain('portal.addWorkshop(lab, { capacity: 1 });');
  });

  test("portal: a registry shared by the portal's workshops becomes its imageRepository; different ones are reported", () => {
    const workshopYaml = ['a', 'b']
      .map((name) =>
        stringify({
          apiVersion: 'training.educates.dev/v1beta1',
          kind: 'Workshop',
          metadata: { name },
          spec: {
            title: 'T',
            description: 'D',
            version: '1.0',
            workshop: { files: [{ image: { url: `$(image_repository)/${name}-files:$(workshop_version)` } }] },
          },
        }),
      )
      .join('---\n');
    const portal = (workshops: unknown[]) =>
      stringify({
        apiVersion: 'training.educates.dev/v1beta1',
        kind: 'TrainingPortal',
        metadata: { name: 'p' },
        spec: {
          portal: {
            sessions: { maximum: 4, registered: 1 },
            workshop: { defaults: { registry: { host: 'registry.example.com', namespace: 'labs' } } },
          },
          workshops,
        },
      });
    const shared = importEducates({ workshopYaml, portalYaml: portal([{ name: 'a' }, { name: 'b' }]) });
    expect(shared.source).toContain(
      "const portal = new TrainingPortal(app, 'p', { maximumSessions: 4, registeredSessions: 1, imageRepository: 'registry.example.com/labs' });",
    );
    expect(shared.unsupported).toEqual([]);
    // and the content the workshops publish to $(image_repository) is looked for there
    expect(shared.source).toContain("  content: ContentSource.image('registry.example.com/labs/a-files:1.0'),");
    const different = importEducates({ workshopYaml, portalYaml: portal([{ name: 'a' }, { name: 'b', registry: { host: 'other.example.com' } }]) });
    expect(different.source).toContain("const portal = new TrainingPortal(app, 'p', { maximumSessions: 4, registeredSessions: 1 });");
    expect(fields(different.unsupported)).toEqual([
      'TrainingPortal p: spec.portal.workshop.defaults.registry',
      'TrainingPortal p: spec.workshops[1].registry',
    ]);
  });

  test('files and uploads become one FileServer; uploads alone say that downloads come with them', () => {
    expect(
      importSpec({
        session: { applications: { files: { enabled: true, directory: 'downloads' }, uploads: { enabled: true, directory: 'incoming' } } },
      }).source,
    ).toContain("capabilities: [new Terminal(), new FileServer({ directory: 'downloads', uploadDirectory: 'incoming' })],");
    expect(importSpec({ session: { applications: { uploads: { enabled: true } } } }).source).toContain(
      [
        '  capabilities: [',
        '    new Terminal(),',
        '    // Educates had uploads only; the files capability also serves downloads of the home directory',
        '    new FileServer(),',
        '  ],',
      ].join('\n'),
    );
  });

  test('a terminal switched off is left out, and so is everything of an application that is off', () => {
    const { source, unsupported } = importSpec({
      session: { applications: { terminal: { enabled: false, layout: 'split' }, vcluster: { enabled: false, version: '1.33' } } },
    });
    expect(source).not.toContain('capabilities');
    expect(unsupported).toEqual([]);
  });

  test('no Kubernetes access: kubernetesAccess false, and the console (which needs it) is reported', () => {
    const { source, unsupported } = importSpec({
      session: { namespaces: { security: { token: { enabled: false } } }, applications: { console: { enabled: true } } },
    });
    expect(source).toContain("new Workshop(app, 'lab', { title: 'T', description: 'D', kubernetesAccess: false, capabilities: [new Terminal()] });");
    expect(source).not.toContain('new Console()');
    expect(reasons(unsupported)).toEqual({
      'spec.session.applications.console': 'the console shows the cluster as the session ServiceAccount, and security.token.enabled is false',
    });
  });

  test('budgets: custom, limits without a named budget, an unknown name; roles custom and cluster-admin; legacy policy names', () => {
    const custom = importSpec({
      session: { namespaces: { budget: 'custom', role: 'custom', limits: { max: { cpu: '1' } }, security: { policy: 'anyuid' } } },
    });
    expect(custom.source).toContain('  budget: Budget.CUSTOM,\n  role: SessionRole.CUSTOM,\n  securityPolicy: SecurityPolicy.BASELINE,');
    expect(reasons(custom.unsupported)).toEqual({
      'spec.session.namespaces.limits': "Educates applies limits only on top of a named budget, and 'custom' is set",
    });
    const odd = importSpec({ session: { namespaces: { budget: 'huge', role: 'cluster-admin', security: { policy: 'nonroot' } } } });
    expect(odd.source).toContain("new Workshop(app, 'lab', { title: 'T', description: 'D', capabilities: [new Terminal()] });");
    expect(reasons(odd.unsupported)).toEqual({
      'spec.session.namespaces.budget': 'not a budget: allowed are small, medium, large, x-large, xx-large, xxx-large, custom',
      'spec.session.namespaces.role': "sessions never get cluster-admin in cdk8s-workshops; they get 'admin' in their own namespaces",
    });
  });

  test('docker with an explicit restricted policy: the environment namespace is privileged, the session namespace baseline at most', () => {
    const { source } = importSpec({ session: { namespaces: { security: { policy: 'restricted' } }, applications: { docker: { enabled: true } } } });
    expect(source).toContain('  environmentSecurityPolicy: SecurityPolicy.PRIVILEGED,');
    expect(source).toContain(
      [
        "  // Educates relaxes the session namespace for docker so that built images run as they are; 'baseline' is the most a",
        '  // session namespace allows here',
        '  securityPolicy: SecurityPolicy.BASELINE,',
      ].join('\n'),
    );
    expect(source).toContain('new Docker()');
  });

  test('a privileged session namespace is imported as baseline, and says why', () => {
    const { source, unsupported } = importSpec({ session: { namespaces: { security: { policy: 'privileged' } } } });
    expect(source).toContain('  securityPolicy: SecurityPolicy.BASELINE,');
    expect(reasons(unsupported)).toEqual({
      'spec.session.namespaces.security.policy':
        "a session namespace is at most 'baseline' in cdk8s-workshops, since the learner creates pods in it " +
        '(privileged pods would own the node): imported as baseline; run what needs privileges in the environment namespace (environment.objects)',
    });
  });

  test('content from Git with a secretRef, include/exclude paths and a new root; from an http archive; what vendir has beyond that is named', () => {
    const git = importSpec({
      workshop: {
        files: [
          {
            git: { url: 'https://git.example.com/acme/lab.git', ref: 'origin/v2', secretRef: { name: 'git-token' }, depth: 5 },
            newRootPath: 'lab',
            includePaths: ['/workshop/**'],
            excludePaths: ['/workshop/drafts/**'],
            legalPaths: ['/LICENSE'],
          },
        ],
      },
      environment: { secrets: [{ name: 'git-token', namespace: 'authors' }] },
    });
    expect(git.source).toContain(
      [
        "  content: ContentSource.git('https://git.example.com/acme/lab.git', 'v2', {",
        "    path: 'lab',",
        "    includePaths: ['/workshop/**'],",
        "    excludePaths: ['/workshop/drafts/**'],",
        "    credentials: { name: 'git-token', namespace: 'authors' },",
      ].join('\n'),
    );
    expect(reasons(git.unsupported)).toEqual({
      'spec.workshop.files[0].legalPaths': 'cdk8s-workshops keeps no legal files apart: list them in includePaths',
      'spec.workshop.files[0].git.depth': 'the content is always fetched at depth 1',
    });
    const http = importSpec({
      workshop: {
        files: [{ http: { url: 'https://example.com/lab.tar.gz', sha256: 'abc', secretRef: { name: 'not-copied' } }, newRootPath: 'lab-main' }],
      },
    });
    expect(http.source).toContain("  content: ContentSource.http('https://example.com/lab.tar.gz', { path: 'lab-main' }),");
    expect(Object.keys(reasons(http.unsupported)).sort()).toEqual(['spec.workshop.files[0].http.secretRef', 'spec.workshop.files[0].http.sha256']);
    expect(reasons(http.unsupported)['spec.workshop.files[0].http.secretRef']).toBe(
      'the credentials Secret must be one spec.environment.secrets copies (with its namespace), so that cdk8s-workshops can copy it too',
    );
    expect(reasons(http.unsupported)['spec.workshop.files[0].http.sha256']).toBe('not a sha256: 64 lower-case hexadecimal digits');
  });

  test('several vendir items: each into its path, an http archive pinned by its sha256; overlapping paths are named', () => {
    const digest = 'f'.repeat(64);
    const { source, unsupported } = importSpec({
      workshop: {
        files: [
          { image: { url: 'ghcr.io/acme/lab-files:1.0' }, includePaths: ['/workshop/**'] },
          { path: 'exercises/app', git: { url: 'https://github.com/acme/app.git', ref: 'origin/main' } },
          { path: './exercises/data/', http: { url: 'https://example.com/data.tar.gz', sha256: digest } },
          { path: 'exercises/app/sub', git: { url: 'https://github.com/acme/other.git' } },
        ],
      },
    });
    expect(source).toContain(
      [
        '  content: ContentSource.several([',
        "    ContentSource.image('ghcr.io/acme/lab-files:1.0', { includePaths: ['/workshop/**'] }),",
        "    ContentSource.git('https://github.com/acme/app.git', 'main', { into: 'exercises/app' }),",
        "    ContentSource.http('https://example.com/data.tar.gz', {",
        "      into: 'exercises/data',",
        `      sha256: '${digest}',`,
        '    }),',
        '  ]),',
      ].join('\n'),
    );
    expect(reasons(unsupported)).toEqual({
      'spec.workshop.files[3]':
        "its path 'exercises/app/sub' overlaps the folder 'exercises/app' of an earlier item: each source fills a folder of its own (one may fill the root)",
    });
  });

  test('request.objects become objects of the request scope, parameters and all; a Namespace there or an unknown variable is named', () => {
    const { source, unsupported } = importSpec({
      request: {
        parameters: [{ name: 'WELCOME', value: 'hello' }],
        objects: [
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'welcome' }, data: { text: '$(WELCOME) $(session_name)' } },
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '$(session_namespace)-late' } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'odd' }, data: { text: '$(NOT_A_PARAMETER)' } },
        ],
      },
    });
    expect(source).toContain(
      [
        "new ApiObject(lab.request, 'ConfigMap-welcome', {",
        "  apiVersion: 'v1',",
        "  kind: 'ConfigMap',",
        "  metadata: { name: 'welcome' },",
        "  data: { text: '$(WELCOME) $(session_name)' },",
        '});',
      ].join('\n'),
    );
    expect(reasons(unsupported)).toEqual({
      'spec.request.objects[1]':
        'a session has its namespaces before it is allocated: declare it in session.objects (or spec.session.namespaces.secondary)',
      'spec.request.objects[2]': 'uses $(NOT_A_PARAMETER), which cdk8s-workshops does not define',
    });
  });

  test('the deprecated content fields: content.image as the workshop image, content.files from GitHub as a Git source', () => {
    const { source, unsupported } = importSpec({ content: { image: 'quay.io/acme/lab-image:1.0', files: 'github.com/acme/lab-basics?ref=v2' } });
    expect(source).toContain("  content: ContentSource.git('https://github.com/acme/lab-basics', 'v2'),");
    expect(source).toContain("  workshopImage: 'quay.io/acme/lab-image:1.0',");
    expect(unsupported).toEqual([]);
    expect(reasons(importSpec({ content: { files: 'https://example.com/lab.tar.gz' } }).unsupported)).toEqual({
      'spec.content.files': 'only github.com/<org>/<repo>?ref=<ref> carries over (as a Git content source)',
    });
  });

  test('a workshop name longer than the library allows is shortened, and says so', () => {
    const long = 'lab-an-unusually-long-workshop-name-that-goes-on-and-on';
    const { source, unsupported } = importSpec({}, long);
    expect(source).toContain(
      `const labAnUnusuallyLongWorkshopNameThatGoesOnAndOn = new Workshop(app, '${long}', {\n  name: 'lab-an-unusually-long-workshop-name-that',`,
    );
    expect(reasons(unsupported)['metadata.name']).toBe(
      "a workshop name has at most 40 characters in cdk8s-workshops (it prefixes session host names): shortened to 'lab-an-unusually-long-workshop-name-that'",
    );
  });

  test('what the library would refuse is reported instead of breaking synthesis', () => {
    const { source, unsupported } = importSpec({
      session: {
        applications: { editor: { enabled: true } },
        ingresses: [
          { name: 'console', port: 8080 },
          { name: 'a-route-name-far-too-long', port: 80 },
        ],
        dashboards: [{ name: 'Editor', url: '/editor/' }, { name: 'Token', url: 'https://x.test/?t=$(kubernetes_token)' }, { name: 'Blank' }],
        objects: [
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'default' }, data: {} },
          { apiVersion: 'secrets.educates.dev/v1beta1', kind: 'SecretInjector', metadata: { name: '$(session_name)-pull' }, spec: {} },
          { apiVersion: 'v1', kind: 'ConfigMap' },
        ],
      },
      request: {
        parameters: [
          { name: 'PIN', generate: 'expression', from: '[^a]{4}' },
          { name: 'bad-name', value: 'x' },
        ],
      },
    });
    expect(reasons(unsupported)).toEqual({
      'spec.session.ingresses[0]': "the host name 'console-$(session_name)' is already used by the session (reserved)",
      'spec.session.ingresses[1]': 'a route name must be a DNS label of at most 20 characters',
      'spec.session.dashboards[0]': "a capability already adds the tab 'Editor'",
      'spec.session.dashboards[1].url': 'uses $(kubernetes_token), which cdk8s-workshops does not define',
      'spec.session.dashboards[2]': 'a tab needs a name and a URL (the dashboard orders its own tabs)',
      'spec.session.objects[0]':
        "placed in namespace 'default', outside the session's namespaces, so its name must contain $(session_name) to be unique per session",
      'spec.session.objects[1]': 'SecretInjector is a resource of the Educates operator, which cdk8s-workshops does not run',
      'spec.session.objects[2]': 'an object needs apiVersion, kind and metadata.name',
      'spec.request.parameters[0]':
        "request parameter 'PIN': pattern '[^a]{4}' is not supported at position 0: use literals, [A-Z0-9]-style classes, \\d, \\w and {n} or {n,m} counts",
      'spec.request.parameters[1]': "request parameter name 'bad-name' must start with a letter or '_' and contain only letters, digits and '_'",
    });
    expect(source).not.toMatch(/addRoute|addDashboardTab|ApiObject|requestParameters/);
  });
});

describe('importEducates refuses input that is not Educates YAML, naming the document, field and value', () => {
  const minimal = 'apiVersion: training.educates.dev/v1beta1\nkind: Workshop\nmetadata:\n  name: lab\nspec:\n  title: T\n  description: D\n';

  test('not YAML', () => {
    expect(() => importEducates({ workshopYaml: 'kind: [Workshop' })).toThrow(/^workshopYaml is not valid YAML: /);
  });
  test('not a mapping', () => {
    expect(() => importEducates({ workshopYaml: '- a\n- b\n' })).toThrow(
      'workshopYaml must be a Kubernetes resource (a mapping with apiVersion, kind and metadata), not ["a","b"]',
    );
  });
  test('a wrong kind', () => {
    expect(() => importEducates({ workshopYaml: `${minimal}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n` })).toThrow(
      'workshopYaml document 2: \'kind\' ("ConfigMap") must be Workshop or TrainingPortal',
    );
  });
  test('a wrong apiVersion', () => {
    expect(() => importEducates({ workshopYaml: minimal.replace('training.educates.dev/v1beta1', 'training.eduk8s.io/v1alpha2') })).toThrow(
      'workshopYaml: \'apiVersion\' ("training.eduk8s.io/v1alpha2") of the Workshop must be training.educates.dev/v1beta1',
    );
  });
  test('a missing name', () => {
    expect(() => importEducates({ workshopYaml: minimal.replace('  name: lab\n', '  labels: {}\n') })).toThrow(
      "workshopYaml: 'metadata.name' (undefined) of the Workshop is missing: every resource needs a name",
    );
  });
  test('a missing title', () => {
    expect(() => importEducates({ workshopYaml: minimal.replace('  title: T\n', '') })).toThrow(
      "Workshop lab: 'spec.title' is missing: Educates and cdk8s-workshops both require it",
    );
  });
  test('a field of the wrong type', () => {
    expect(() => importEducates({ workshopYaml: `${minimal}  tags: kubernetes\n` })).toThrow(
      'Workshop lab: \'spec.tags\' ("kubernetes") must be a list',
    );
  });
  test('no workshop at all', () => {
    expect(() => importEducates({ workshopYaml: '' })).toThrow(
      'workshopYaml: no Workshop resource found (kind: Workshop, apiVersion: training.educates.dev/v1beta1)',
    );
  });
  test('a portal listing a workshop the input does not have', () => {
    expect(() =>
      importEducates({
        workshopYaml: minimal,
        portalYaml:
          'apiVersion: training.educates.dev/v1beta1\nkind: TrainingPortal\nmetadata: {name: labs}\nspec:\n  workshops: [{name: lab-missing}]\n',
      }),
    ).toThrow('TrainingPortal labs: \'spec.workshops[0].name\' ("lab-missing") names no Workshop of the input: the input has lab');
  });
});
