import { ApiObject, App, Duration } from 'cdk8s';

import {
  Budget,
  Capability,
  Console,
  Docker,
  Editor,
  Examiner,
  FileServer,
  GitServer,
  ImageRegistry,
  type Manifest,
  resolveWorkshop,
  restrictedContainer,
  SecurityPolicy,
  SessionRole,
  type SessionTemplate,
  Slides,
  substituteString,
  substituteVariables,
  synthesize,
  Terminal,
  TerminalLayout,
  TrainingPortal,
  Workshop,
} from '../../src/constructs/index.js';

function sessionObjects(configure: (app: App) => Workshop): Manifest[] {
  const app = new App();
  return resolveWorkshop(configure(app)).sessionObjects;
}

const byKind = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind);

describe('SessionTemplate', () => {
  test('defaults: one restricted namespace with the admin role and isolation; the dashboard pod in the environment namespace (snapshot)', () => {
    // GIVEN / WHEN
    const objects = sessionObjects((app) => new Workshop(app, 'minimal', { title: 'T', description: 'D' }));
    // THEN
    expect(objects).toMatchSnapshot();
    expect(objects.map((o) => `${o.metadata.namespace ?? '(cluster)'} ${o.kind}/${o.metadata.name}`).sort()).toEqual([
      '$(session_namespace) NetworkPolicy/workshop-isolation',
      '$(session_namespace) RoleBinding/cdk8s-workshops-portal',
      '$(session_namespace) RoleBinding/workshop-session-role',
      '$(workshop_namespace) ConfigMap/$(session_name)-dashboard',
      '$(workshop_namespace) Deployment/$(session_name)',
      '$(workshop_namespace) Ingress/$(session_name)',
      '$(workshop_namespace) NetworkPolicy/$(session_name)',
      '$(workshop_namespace) Secret/$(session_name)-session',
      '$(workshop_namespace) Service/$(session_name)',
      '$(workshop_namespace) ServiceAccount/$(service_account)',
      '(cluster) Namespace/$(session_namespace)',
    ]);
  });

  test('the session ServiceAccount lives in the environment namespace and is bound into every session namespace; the portal gets its own binding there', () => {
    const objects = sessionObjects((app) => {
      const w = new Workshop(app, 'w', { title: 'T', description: 'D' });
      w.session.addNamespace('extra', { role: SessionRole.EDIT });
      return w;
    });
    const bindings = byKind(objects, 'RoleBinding');
    expect(
      bindings
        .filter((b) => b.metadata.name === 'workshop-session-role')
        .map((b) => [b.metadata.namespace, (b as any).roleRef.name, (b as any).subjects]),
    ).toEqual([
      [
        '$(session_namespace)',
        'cdk8s-workshops-session-admin',
        [{ kind: 'ServiceAccount', name: '$(service_account)', namespace: '$(workshop_namespace)' }],
      ],
      [
        '$(session_namespace)-extra',
        'cdk8s-workshops-session-edit',
        [{ kind: 'ServiceAccount', name: '$(service_account)', namespace: '$(workshop_namespace)' }],
      ],
    ]);
    expect(
      bindings
        .filter((b) => b.metadata.name === 'cdk8s-workshops-portal')
        .map((b) => [b.metadata.namespace, (b as any).roleRef, (b as any).subjects]),
    ).toEqual(
      ['$(session_namespace)', '$(session_namespace)-extra'].map((ns) => [
        ns,
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cdk8s-workshops-portal-$(training_portal)-session' },
        [{ kind: 'ServiceAccount', name: 'training-portal', namespace: '$(portal_namespace)' }],
      ]),
    );
  });

  test('the workshop pod reads its credentials and settings from objects of its own namespace, and kubectl works on the session namespace', () => {
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Terminal()] }));
    const [deployment] = byKind(objects, 'Deployment');
    const pod = (deployment.spec as any).template.spec;
    expect(pod.serviceAccountName).toBe('$(service_account)');
    const dashboard = pod.containers[0];
    expect(dashboard.envFrom).toEqual([{ secretRef: { name: '$(session_name)-session' } }]);
    expect(pod.volumes).toContainEqual({ name: 'workshop-dashboard', configMap: { name: '$(session_name)-dashboard' } });
    expect(dashboard.env).toContainEqual({ name: 'KUBECONFIG', value: '/opt/workshop/config/kubeconfig' });
    const config = byKind(objects, 'ConfigMap').find((c) => c.metadata.name === '$(session_name)-dashboard') as any;
    expect(config.data.kubeconfig).toContain('namespace: $(session_namespace)');
    expect(config.data.kubeconfig).toContain('tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token');
    // without Kubernetes access: no token, no kubeconfig
    const offline = sessionObjects((app) => new Workshop(app, 'v', { title: 'T', description: 'D', kubernetesAccess: false }));
    expect((byKind(offline, 'ConfigMap')[0] as any).data.kubeconfig).toBeUndefined();
    expect((byKind(offline, 'Deployment')[0].spec as any).template.spec.automountServiceAccountToken).toBe(false);
  });

  test("the workshop pod's NetworkPolicy admits only its own session and non-session, non-environment namespaces", () => {
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D' }));
    const policy = byKind(objects, 'NetworkPolicy').find((p) => p.metadata.namespace === '$(workshop_namespace)')!;
    const spec = policy.spec as any;
    const [deployment] = byKind(objects, 'Deployment');
    expect(spec.podSelector.matchLabels).toEqual((deployment.spec as any).selector.matchLabels);
    expect(spec.policyTypes).toEqual(['Ingress']);
    expect(spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'training.cdk8s-workshops.dev/session.name': '$(session_name)' } } },
      {
        namespaceSelector: {
          matchExpressions: [{ key: 'training.cdk8s-workshops.dev/component', operator: 'NotIn', values: ['session', 'environment'] }],
        },
      },
    ]);
  });

  test('everything set: budget, secondary namespace, environment access, every capability (snapshot)', () => {
    const objects = sessionObjects((app) => {
      const w = new Workshop(app, 'everything', {
        title: 'T',
        description: 'D',
        budget: Budget.XX_LARGE,
        role: SessionRole.EDIT,
        securityPolicy: SecurityPolicy.BASELINE,
        environmentSecurityPolicy: SecurityPolicy.PRIVILEGED,
        environmentAccess: true,
        blockedEgressCidrs: ['169.254.169.254/32', '10.0.0.0/8'],
        env: { GREETING: 'hi $(session_name)' },
        capabilities: [
          new Terminal({ layout: TerminalLayout.SPLIT_2 }),
          new Editor(),
          new Console(),
          new FileServer(),
          new GitServer(),
          new Docker(),
          new ImageRegistry(),
          new Examiner(),
          new Slides(),
        ],
      });
      w.session.addNamespace('tools', { budget: Budget.SMALL, role: SessionRole.VIEW });
      w.session.injectSecret('pull-secret');
      return w;
    });
    expect(objects).toMatchSnapshot();
  });

  test('the session role binds a ClusterRole without bind, escalate or NetworkPolicy writes', () => {
    for (const role of SessionRole.bindable()) {
      const rules = role.toClusterRole().rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
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

  test('the NetworkPolicy admits the session itself, its own workshop pod, and namespaces that are neither sessions nor environments, and blocks the metadata endpoints', () => {
    const policy = byKind(
      sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D' })),
      'NetworkPolicy',
    ).find((p) => p.metadata.name === 'workshop-isolation')!;
    const spec = policy.spec as any;
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.podSelector).toEqual({});
    expect(spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'training.cdk8s-workshops.dev/session.name': '$(session_name)' } } },
      // the environment namespace holds every session's workshop pod: only this session's may come in
      {
        namespaceSelector: { matchLabels: { 'training.cdk8s-workshops.dev/component': 'environment' } },
        podSelector: { matchLabels: { 'training.cdk8s-workshops.dev/session.name': '$(session_name)' } },
      },
      {
        namespaceSelector: {
          matchExpressions: [{ key: 'training.cdk8s-workshops.dev/component', operator: 'NotIn', values: ['session', 'environment'] }],
        },
      },
    ]);
    expect(spec.egress[1].to).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32'] } },
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

  test("a budget gives exactly Educates' LimitRange and three ResourceQuotas", () => {
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', budget: Budget.MEDIUM }));
    const quotas = byKind(objects, 'ResourceQuota');
    expect(quotas.map((q) => [q.metadata.name, (q.spec as any).hard, (q.spec as any).scopes])).toEqual([
      ['compute-resources', { 'limits.cpu': '2', 'limits.memory': '2Gi' }, ['NotTerminating']],
      ['compute-resources-timebound', { 'limits.cpu': '2', 'limits.memory': '2Gi' }, ['Terminating']],
      [
        'object-counts',
        {
          configmaps: '25',
          'count/deployments.apps': '10',
          persistentvolumeclaims: '6',
          pods: '20',
          replicationcontrollers: '15',
          secrets: '25',
          services: '10',
          'services.loadbalancers': '0',
          'services.nodeports': '0',
        },
        undefined,
      ],
    ]);
    const [limits] = byKind(objects, 'LimitRange');
    expect((limits.spec as any).limits[1]).toEqual({
      type: 'Container',
      min: { cpu: '1m', memory: '1M' },
      max: { cpu: '2', memory: '2Gi' },
      default: { cpu: '500m', memory: '512Mi' },
      defaultRequest: { cpu: '50m', memory: '128Mi' },
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
    for (const policy of [SecurityPolicy.RESTRICTED, SecurityPolicy.BASELINE]) {
      const [ns] = byKind(
        sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', securityPolicy: policy })),
        'Namespace',
      );
      expect(ns.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': policy.name,
        'pod-security.kubernetes.io/enforce-version': 'latest',
      });
    }
  });

  test('capabilities add containers, routes and tabs; the workshop Service selects the workshop pod', () => {
    const objects = sessionObjects(
      (app) => new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Terminal(), new Editor(), new Console()] }),
    );
    const [deployment] = byKind(objects, 'Deployment');
    const pod = (deployment.spec as any).template;
    expect(pod.spec.containers.map((c: { name: string }) => c.name)).toEqual(['dashboard', 'workshop', 'editor', 'console']);
    const [service] = byKind(objects, 'Service');
    expect(pod.metadata.labels).toMatchObject((service.spec as any).selector);
    expect((deployment.spec as any).selector.matchLabels).toEqual((service.spec as any).selector);
    const [ingress] = byKind(objects, 'Ingress');
    expect((ingress.spec as any).rules.map((r: { host: string }) => r.host)).toEqual([
      '$(session_name).$(ingress_domain)',
      'editor-$(session_name).$(ingress_domain)',
      'console-$(session_name).$(ingress_domain)',
    ]);
    expect((ingress.spec as any).rules.map((r: any) => r.http.paths[0].backend.service.name)).toEqual([
      '$(session_name)',
      '$(session_name)',
      '$(session_name)',
    ]);
    const dashboard = JSON.parse((byKind(objects, 'ConfigMap')[0] as any).data['dashboard.json']);
    expect(dashboard.tabs.map((t: { name: string }) => t.name)).toEqual(['Terminal', 'Editor', 'Console']);
  });

  test("the workshop pod's objects are owned by the WorkshopSession; an author's objects outside the session by its namespace", () => {
    const objects = sessionObjects((app) => {
      const w = new Workshop(app, 'w', { title: 'T', description: 'D', environmentAccess: true });
      new ApiObject(w.session, 'elsewhere', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: '$(session_name)-notes', namespace: 'default' },
      });
      return w;
    });
    const inEnvironment = objects.filter((o) => o.metadata.namespace === '$(workshop_namespace)');
    expect(inEnvironment.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Ingress',
      'NetworkPolicy',
      'RoleBinding',
      'Secret',
      'Service',
      'ServiceAccount',
    ]);
    for (const object of inEnvironment) {
      expect(object.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'training.cdk8s-workshops.dev/v1alpha1',
          kind: 'WorkshopSession',
          name: '$(session_name)',
          uid: '$(workshop_session_uid)',
          blockOwnerDeletion: false,
        },
      ]);
    }
    expect(objects.find((o) => o.metadata.namespace === 'default')!.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', name: '$(session_namespace)', uid: '$(session_namespace_uid)', blockOwnerDeletion: false },
    ]);
  });

  test('a route to a Service of the session goes through an Ingress in the session namespace; the others through the workshop pod', () => {
    const objects = sessionObjects(
      (app) => new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Editor(), new ImageRegistry()] }),
    );
    const ingresses = byKind(objects, 'Ingress').map((i) => [
      i.metadata.namespace,
      i.metadata.name,
      (i.spec as any).rules.map((r: any) => `${r.host} -> ${r.http.paths[0].backend.service.name}:${r.http.paths[0].backend.service.port.number}`),
    ]);
    expect(ingresses).toEqual([
      [
        '$(workshop_namespace)',
        '$(session_name)',
        ['$(session_name).$(ingress_domain) -> $(session_name):80', 'editor-$(session_name).$(ingress_domain) -> $(session_name):80'],
      ],
      ['$(session_namespace)', 'session-routes', ['registry-$(session_name).$(ingress_domain) -> registry:5000']],
    ]);
  });

  test('a custom capability in a few lines', () => {
    class Jupyter extends Capability {
      public readonly name = 'jupyter';
      public bind(session: SessionTemplate) {
        session.addContainer({
          name: 'jupyter',
          image: 'quay.io/jupyter/base-notebook:2025-01-06',
          ports: [{ containerPort: 8888 }],
          securityContext: restrictedContainer(),
        });
        session.addDashboardTab({ name: 'Notebook', url: session.addRoute({ name: 'jupyter', port: 8888 }).url });
      }
    }
    const objects = sessionObjects((app) => new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Jupyter()] }));
    expect((byKind(objects, 'Deployment')[0].spec as any).template.spec.containers.map((c: { name: string }) => c.name)).toEqual([
      'dashboard',
      'workshop',
      'jupyter',
    ]);
    expect((byKind(objects, 'Ingress')[0].spec as any).rules[1].host).toBe('jupyter-$(session_name).$(ingress_domain)');
  });
});

describe('TrainingPortal', () => {
  function portalFiles() {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', {
      maximumSessions: 20,
      ingressClass: 'nginx',
      tlsSecret: { namespace: 'certs', name: 'wildcard' },
    });
    const w = new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Terminal()] });
    w.session.injectSecret('shared-pull-secret');
    portal.addWorkshop(w, { reserved: 2, expires: Duration.minutes(30), deadline: Duration.minutes(45), overtime: Duration.minutes(15) });
    return synthesize(app);
  }

  test('synthesizes its namespace, least-privilege RBAC, Deployment, Service and Ingress (snapshot)', () => {
    expect(portalFiles().find((f) => f.path === 'labs/portal.k8s.yaml')!.objects).toMatchSnapshot();
  });

  test("a NetworkPolicy lets the ingress controller and its environments' workshop pods reach the portal, and no session namespace", () => {
    const policy = portalFiles()
      .flatMap((f) => f.objects)
      .find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'labs-ui')!;
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'training-portal', 'training.cdk8s-workshops.dev/portal.name': 'labs' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchExpressions: [{ key: 'training.cdk8s-workshops.dev/component', operator: 'NotIn', values: ['session', 'environment'] }],
              },
            },
            {
              namespaceSelector: {
                matchLabels: { 'training.cdk8s-workshops.dev/component': 'environment', 'training.cdk8s-workshops.dev/portal.name': 'labs' },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    });
  });

  test('allowedNamespaces names who else may connect; trustedProxies reach the portal as PORTAL_TRUSTED_PROXIES; bad hops name the field', () => {
    const app = new App();
    new TrainingPortal(app, 'labs', { allowedNamespaces: ['traefik', 'monitoring'], trustedProxies: ['10.244.0.0/16', 'fd00::1'] });
    const objects = synthesize(app).flatMap((f) => f.objects);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'labs-ui')!;
    expect((policy.spec as { ingress: { from: unknown[] }[] }).ingress[0].from.slice(0, 2)).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } },
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'training-portal')!;
    const env = (deployment as unknown as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }).spec
      .template.spec.containers[0].env;
    expect(env.find((e) => e.name === 'PORTAL_TRUSTED_PROXIES')).toEqual({ name: 'PORTAL_TRUSTED_PROXIES', value: '10.244.0.0/16,fd00::1' });
    expect(() => new TrainingPortal(new App(), 'p', { trustedProxies: ['10.0.0.0/33'] })).toThrow(
      `TrainingPortal 'p': 'trustedProxies[0]' ("10.0.0.0/33") must be an IP address or CIDR such as 10.0.0.7 or 10.244.0.0/16`,
    );
    expect(() => new TrainingPortal(new App(), 'p', { trustedProxies: ['ingress.example.com'] })).toThrow(
      `TrainingPortal 'p': 'trustedProxies[0]' ("ingress.example.com") must be an IP address or CIDR such as 10.0.0.7 or 10.244.0.0/16`,
    );
  });

  test('its ClusterRole holds only what cannot be namespaced: no Secret or Deployment writes, no namespace patches, bind by name, no escalate', () => {
    const objects = portalFiles().flatMap((f) => f.objects);
    const role = objects.find((o) => o.metadata.name === 'cdk8s-workshops-portal-labs')!;
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>;
    const secretRules = rules.filter((r) => r.resources.includes('secrets'));
    expect(secretRules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['wildcard'] }]);
    expect(rules.find((r) => r.verbs.includes('bind'))).toEqual({
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles'],
      verbs: ['bind'],
      resourceNames: ['cdk8s-workshops-portal-labs-session', 'cdk8s-workshops-session-admin'],
    });
    expect(rules.some((r) => r.verbs.includes('escalate') || r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);
    // not even reading Deployments: the runtime watches those of its environment namespaces and reads a session's by name
    expect(rules.filter((r) => r.apiGroups.includes('apps'))).toEqual([]);
    expect(rules.find((r) => r.resources.includes('namespaces'))!.verbs).toEqual(['get', 'list', 'watch', 'create', 'delete']);
    expect(rules.filter((r) => r.resources.includes('rolebindings'))).toEqual([
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      // patch (the server-side apply of the session's first binding) only on that binding, by name
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['patch'], resourceNames: ['cdk8s-workshops-portal'] },
    ]);

    // in session namespaces, through the binding every session namespace starts with: what the sessions put there
    const session = objects.find((o) => o.metadata.name === 'cdk8s-workshops-portal-labs-session')!;
    expect((session.rules as any[]).map((r) => `${r.apiGroups[0]}:${r.resources.join(',')}:${r.verbs.join(',')}`)).toEqual([
      ':secrets:create,patch,delete',
      'networking.k8s.io:networkpolicies:get,list,watch,create,patch,delete',
      'rbac.authorization.k8s.io:rolebindings:get,list,watch,create,patch,delete',
    ]);

    // in the environment namespace, a Role of its own: the workshop pods' kinds, and the Secret sessions copy from there
    const environmentRole = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === 'labs-w')!;
    expect(environmentRole.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps', 'serviceaccounts', 'services'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'patch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['shared-pull-secret'] },
    ]);
    const environmentBinding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'labs-w')!;
    expect(environmentBinding).toMatchObject({
      roleRef: { kind: 'Role', name: environmentRole.metadata.name },
      subjects: [{ kind: 'ServiceAccount', name: 'training-portal', namespace: 'labs-ui' }],
    });
  });

  test('Ingresses get the portal class and TLS; the TLS secret is copied into environments and sessions', () => {
    const files = portalFiles();
    const environment = files.flatMap((f) => f.objects).find((o) => o.kind === 'WorkshopEnvironment')!;
    const spec = environment.spec as any;
    expect(spec.environment.secrets).toEqual([{ namespace: 'certs', name: 'wildcard' }]);
    expect(spec.session.secrets).toEqual([
      { name: 'shared-pull-secret', namespace: 'labs-w' },
      { name: 'wildcard', namespace: 'labs-w' },
    ]);
    const ingress = spec.session.objects.find((o: Manifest) => o.kind === 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['$(session_name).workshops.127-0-0-1.test'], secretName: 'wildcard' }]);
    expect(spec.pool).toEqual({
      capacity: 20,
      initial: 2,
      reserved: 2,
      expiresSeconds: 1800,
      overtimeSeconds: 900,
      deadlineSeconds: 2700,
      orphanedSeconds: 0,
      overdueSeconds: 0,
      refreshSeconds: 0,
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
