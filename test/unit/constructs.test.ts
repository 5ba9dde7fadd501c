import { App, Duration } from 'cdk8s';
import {
  Budget, Capability, Console, Docker, Editor, Examiner, FileServer, GitServer, ImageRegistry, Manifest, SecurityPolicy, SessionRole, Slides, Terminal,
  SessionTemplate, TerminalLayout, TrainingPortal, Workshop, restrictedContainer, resolveWorkshop, substituteString, substituteVariables, synthesize,
} from '../../src/constructs/index.js';

function sessionObjects(configure: (app: App) => Workshop): Manifest[] {
  const app = new App();
  return resolveWorkshop(configure(app)).sessionObjects;
}

const byKind = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind);

describe('SessionTemplate', () => {
  test('defaults: one restricted namespace with the admin role, isolation and the dashboard pod (snapshot)', () => {
    // GIVEN / WHEN
    const objects = sessionObjects((app) => new Workshop(app, 'minimal', { title: 'T', description: 'D' }));
    // THEN
    expect(objects).toMatchSnapshot();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/workshop-dashboard', 'Deployment/workshop', 'Ingress/workshop', 'Namespace/$(session_namespace)', 'NetworkPolicy/workshop-isolation',
      'RoleBinding/workshop-session-role', 'Secret/workshop-session', 'Service/workshop', 'ServiceAccount/$(service_account)',
    ]);
  });

  test('everything set: budget, secondary namespace, environment access, every capability (snapshot)', () => {
    const objects = sessionObjects((app) => {
      const w = new Workshop(app, 'everything', {
        title: 'T', description: 'D', budget: Budget.XX_LARGE, role: SessionRole.EDIT, securityPolicy: SecurityPolicy.PRIVILEGED,
        environmentAccess: true, blockedEgressCidrs: ['169.254.169.254/32', '10.0.0.0/8'], env: { GREETING: 'hi $(session_name)' },
        capabilities: [new Terminal({ layout: TerminalLayout.SPLIT_2 }), new Editor(), new Console(), new FileServer(), new GitServer(), new Docker(),
          new ImageRegistry(), new Examiner(), new Slides()],
      });
      w.session.addNamespace('tools', { budget: Budget.SMALL, role: SessionRole.VIEW });
      w.session.injectSecret('pull-secret');
      return w;
    });
    expect(objects).toMatchSnapshot();
  });

  test('the session role binds a ClusterRole without bind, escalate or NetworkPolicy writes', () => {
    for (const role of SessionRole.bindable()) {
      const rules = (role.toClusterRole().rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>);
      for (const rule of rules) {
        expect(rule.verbs).not.toContain('bind');
        expect(rule.verbs).not.toContain('escalate');
        expect(rule.verbs).not.toContain('impersonate');
        for (const resource of ['networkpolicies', 'resourcequotas', 'limitranges', 'namespaces']) {
          if (rule.resources.includes(resource)) expect(rule.verbs.filter((v) => !['get', 'list', 'watch'].includes(v))).toEqual([]);
        }
      }
    }
    const view = SessionRole.VIEW.toClusterRole().rules as Array<{ resources: string[] }>;
    expect(view.flatMap((r) => r.resources)).not.toContain('secrets');
  });

  test('the NetworkPolicy admits the session itself and non-session namespaces, and blocks the metadata endpoints', () => {
    const [policy] = byKind(sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D' })), 'NetworkPolicy');
    const spec = policy.spec as any;
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.podSelector).toEqual({});
    expect(spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'training.cdk8s-workshops.dev/session.name': '$(session_name)' } } },
      { namespaceSelector: { matchExpressions: [{ key: 'training.cdk8s-workshops.dev/component', operator: 'NotIn', values: ['session'] }] } },
    ]);
    expect(spec.egress[1].to).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } },
      { ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128'] } },
    ]);
  });

  test("the NetworkPolicy's session selector matches the session's namespaces", () => {
    const objects = sessionObjects((app) => {
      const w = new Workshop(app, 'w', { title: 'T', description: 'D' });
      w.session.addNamespace('extra');
      return w;
    });
    for (const ns of byKind(objects, 'Namespace')) {
      expect(ns.metadata.labels?.['training.cdk8s-workshops.dev/session.name']).toBe('$(session_name)');
      expect(ns.metadata.labels?.['training.cdk8s-workshops.dev/component']).toBe('session');
    }
  });

  test('a budget gives exactly Educates\' LimitRange and three ResourceQuotas', () => {
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', budget: Budget.MEDIUM }));
    const quotas = byKind(objects, 'ResourceQuota');
    expect(quotas.map((q) => [q.metadata.name, (q.spec as any).hard, (q.spec as any).scopes])).toEqual([
      ['compute-resources', { 'limits.cpu': '2', 'limits.memory': '2Gi' }, ['NotTerminating']],
      ['compute-resources-timebound', { 'limits.cpu': '2', 'limits.memory': '2Gi' }, ['Terminating']],
      ['object-counts', { persistentvolumeclaims: '6', replicationcontrollers: '15', secrets: '25', services: '10' }, undefined],
    ]);
    const [limits] = byKind(objects, 'LimitRange');
    expect((limits.spec as any).limits[1]).toEqual({
      type: 'Container', min: { cpu: '1m', memory: '1M' }, max: { cpu: '2', memory: '2Gi' },
      default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '50m', memory: '128Mi' },
    });
    expect((limits.spec as any).limits[2]).toEqual({ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '5Gi' } });
  });

  test('budget overrides change single fields', () => {
    const budget = Budget.LARGE.withOverrides({ quotaMemory: '6Gi', containerDefaultMemory: '768Mi' });
    expect(budget.name).toBe('large+overrides');
    expect(budget.figures).toMatchObject({ quotaMemory: '6Gi', containerDefaultMemory: '768Mi', quotaCpu: '4', containerDefaultCpu: '500m' });
    expect(Budget.CUSTOM.figures).toBeUndefined();
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', budget: Budget.CUSTOM }));
    expect(byKind(objects, 'ResourceQuota')).toEqual([]);
  });

  test('Pod Security labels follow the policy', () => {
    for (const policy of [SecurityPolicy.RESTRICTED, SecurityPolicy.BASELINE, SecurityPolicy.PRIVILEGED]) {
      const [ns] = byKind(sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', securityPolicy: policy })), 'Namespace');
      expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': policy.name, 'pod-security.kubernetes.io/enforce-version': 'latest' });
    }
  });

  test('capabilities add containers, routes and tabs; the workshop Service selects the workshop pod', () => {
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Terminal(), new Editor(), new Console()] }));
    const [deployment] = byKind(objects, 'Deployment');
    const pod = (deployment.spec as any).template;
    expect(pod.spec.containers.map((c: { name: string }) => c.name)).toEqual(['dashboard', 'editor', 'console']);
    const [service] = byKind(objects, 'Service');
    expect(pod.metadata.labels).toMatchObject((service.spec as any).selector);
    expect((deployment.spec as any).selector.matchLabels).toEqual((service.spec as any).selector);
    const [ingress] = byKind(objects, 'Ingress');
    expect((ingress.spec as any).rules.map((r: { host: string }) => r.host)).toEqual([
      '$(session_name).$(ingress_domain)', 'editor-$(session_name).$(ingress_domain)', 'console-$(session_name).$(ingress_domain)',
    ]);
    const dashboard = JSON.parse((byKind(objects, 'ConfigMap')[0] as any).data['dashboard.json']);
    expect(dashboard.tabs.map((t: { name: string }) => t.name)).toEqual(['Terminal', 'Editor', 'Console']);
  });

  test('objects outside the session namespace are owned by it', () => {
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', environmentAccess: true }));
    const binding = objects.find((o) => o.metadata.namespace === '$(workshop_namespace)')!;
    expect(binding.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', name: '$(session_namespace)', uid: '$(session_namespace_uid)', blockOwnerDeletion: false },
    ]);
  });

  test('a custom capability in a few lines', () => {
    class Jupyter extends Capability {
      public readonly name = 'jupyter';
      public bind(session: SessionTemplate) {
        session.addContainer({ name: 'jupyter', image: 'quay.io/jupyter/base-notebook:2025-01-06', ports: [{ containerPort: 8888 }], securityContext: restrictedContainer() });
        session.addDashboardTab({ name: 'Notebook', url: session.addRoute({ name: 'jupyter', port: 8888 }).url });
      }
    }
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Jupyter()] }));
    expect((byKind(objects, 'Deployment')[0].spec as any).template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['dashboard', 'jupyter']);
    expect((byKind(objects, 'Ingress')[0].spec as any).rules[1].host).toBe('jupyter-$(session_name).$(ingress_domain)');
  });
});

describe('TrainingPortal', () => {
  function portalFiles() {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 20, ingressClass: 'nginx', tlsSecret: { namespace: 'certs', name: 'wildcard' } });
    const w = new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Terminal()] });
    w.session.injectSecret('shared-pull-secret');
    portal.addWorkshop(w, { reserved: 2, expires: Duration.minutes(30), deadline: Duration.minutes(45), overtime: Duration.minutes(15) });
    return synthesize(app);
  }

  test('synthesizes its namespace, least-privilege RBAC, Deployment, Service and Ingress (snapshot)', () => {
    expect(portalFiles().find((f) => f.path === 'labs/portal.k8s.yaml')!.objects).toMatchSnapshot();
  });

  test('its ClusterRole grants what the sessions contain, reads Secrets only by name, and binds only the session roles', () => {
    const role = portalFiles().flatMap((f) => f.objects).find((o) => o.metadata.name === 'cdk8s-workshops-portal-labs')!;
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>;
    const secretReads = rules.filter((r) => r.resources.includes('secrets') && r.verbs.some((v) => ['get', 'list', 'watch'].includes(v)));
    expect(secretReads).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['shared-pull-secret', 'wildcard'] }]);
    expect(rules.find((r) => r.verbs.includes('bind'))).toEqual({
      apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'],
      resourceNames: ['cdk8s-workshops-session-admin', 'cdk8s-workshops-session-edit', 'cdk8s-workshops-session-view'],
    });
    expect(rules.some((r) => r.verbs.includes('escalate') || r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);
    expect(rules.find((r) => r.apiGroups.includes('apps') && r.verbs.includes('create'))!.resources).toEqual(['deployments']);
  });

  test('Ingresses get the portal class and TLS; the TLS secret is copied into environments and sessions', () => {
    const files = portalFiles();
    const environment = files.flatMap((f) => f.objects).find((o) => o.kind === 'WorkshopEnvironment')!;
    const spec = environment.spec as any;
    expect(spec.environment.secrets).toEqual([{ namespace: 'certs', name: 'wildcard' }]);
    expect(spec.session.secrets).toEqual([{ name: 'shared-pull-secret', namespace: 'labs-w' }, { name: 'wildcard', namespace: 'labs-w' }]);
    const ingress = spec.session.objects.find((o: Manifest) => o.kind === 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['$(session_name).workshops.127-0-0-1.test'], secretName: 'wildcard' }]);
    expect(spec.pool).toEqual({
      capacity: 20, initial: 2, reserved: 2, expiresSeconds: 1800, overtimeSeconds: 900, deadlineSeconds: 2700,
      orphanedSeconds: 0, overdueSeconds: 0, refreshSeconds: 0,
    });
  });
});

describe('variables', () => {
  test('substitution follows Educates: repeated passes, unknown left alone, base64 of a whole value', () => {
    const values = { a: '$(b)', b: 'B', user: 'u', password: 'p' };
    expect(substituteString('x-$(a)-$(unknown)', values)).toBe('x-B-$(unknown)');
    expect(substituteString('$(base64($(user):$(password)))', values)).toBe(Buffer.from('u:p').toString('base64'));
    expect(substituteVariables({ '$(b)': ['$(a)', 1, true, null] }, values)).toEqual({ B: ['B', 1, true, null] });
    expect(substituteString('$(a)', { a: '$(a)x' })).toBe('$(a)xxxxxx');
  });
});
