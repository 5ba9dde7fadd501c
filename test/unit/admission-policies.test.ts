/**
 * The admission policies as synthesized (what dist/cluster carries), their TypeScript twins that synthesis runs
 * over the blueprints, the session namespace labels they read, and the budgets' object counts.
 */
import { ApiObject, App, Chart } from 'cdk8s';

import {
  admissionPolicies,
  admissionProblems,
  AdmissionRule,
  Budget,
  Editor,
  INGRESS_DOMAIN_ANNOTATION,
  isSessionHost,
  type Manifest,
  METADATA_CIDRS,
  PORTAL_SCOPE_POLICY,
  reachesSocket,
  RESERVED_HOSTS_ANNOTATION,
  resolveWorkshop,
  SecurityPolicy,
  SessionNamespace,
  synthesize,
  TrainingPortal,
  Workshop,
  type WorkshopProps,
} from '../../src/constructs/index.js';

const basics = { title: 'T', description: 'D' };
const context = { sessionName: '$(session_name)', ingressDomain: 'workshops.example.com' };

function synthWith(props: Partial<WorkshopProps>, add?: (w: Workshop) => void) {
  const app = new App();
  const w = new Workshop(app, 'w', { ...basics, ...props });
  add?.(w);
  new TrainingPortal(app, 'labs', { ingressDomain: 'workshops.example.com', maximumSessions: 2 }).addWorkshop(w);
  return () => synthesize(app);
}

const ingressTo = (host: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'app' },
  spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } }] } }] },
});

describe('dist/cluster/admission-policies.k8s.yaml', () => {
  const files = synthWith({})();
  const file = files.find((f) => f.path === 'cluster/admission-policies.k8s.yaml')!;

  test('one policy and one binding per rule, plus the portal scope, all cluster-scoped and in a wave before the namespaces', () => {
    expect(file.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      `ValidatingAdmissionPolicy/${PORTAL_SCOPE_POLICY}`,
      ...AdmissionRule.all()
        .map((r) => `ValidatingAdmissionPolicy/${r.policyName}`)
        .sort(),
      `ValidatingAdmissionPolicyBinding/${PORTAL_SCOPE_POLICY}`,
      ...AdmissionRule.all()
        .map((r) => `ValidatingAdmissionPolicyBinding/${r.policyName}`)
        .sort(),
    ]);
    expect(file.objects).toHaveLength(admissionPolicies().length);
    for (const object of file.objects) {
      expect(object.apiVersion).toBe('admissionregistration.k8s.io/v1');
      expect(object.metadata.namespace).toBeUndefined();
      expect(object.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe('-8');
    }
    const namespaces = files.flatMap((f) => f.objects).filter((o) => o.kind === 'Namespace');
    for (const ns of namespaces) expect(Number(ns.metadata.annotations?.['argocd.argoproj.io/sync-wave'])).toBeGreaterThan(-8);
  });

  test('each binding denies, in session namespaces that do not carry its exception label', () => {
    for (const rule of AdmissionRule.all()) {
      const binding = file.objects.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === rule.policyName)!;
      expect(binding.spec).toEqual({
        policyName: rule.policyName,
        validationActions: ['Deny'],
        matchResources: {
          namespaceSelector: {
            matchLabels: { 'training.cdk8s-workshops.dev/component': 'session' },
            matchExpressions: [{ key: `training.cdk8s-workshops.dev/admission-exception.${rule.name}`, operator: 'DoesNotExist' }],
          },
        },
      });
      const policy = file.objects.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === rule.policyName)!;
      const spec = policy.spec as { failurePolicy: string; validations: Array<{ messageExpression: string }> };
      expect(spec.failurePolicy).toBe('Fail');
      for (const v of spec.validations) expect(v.messageExpression.startsWith(`"cdk8s-workshops [${rule.name}]: " + `)).toBe(true);
    }
  });

  test("the portal policy matches any training-portal ServiceAccount's writes, except Events", () => {
    const policy = file.objects.find((o) => o.metadata.name === PORTAL_SCOPE_POLICY && o.kind === 'ValidatingAdmissionPolicy')!;
    const spec = policy.spec as any;
    expect(spec.matchConditions).toEqual([
      {
        name: 'portal-service-account',
        expression: 'request.userInfo.username.startsWith("system:serviceaccount:") && request.userInfo.username.endsWith(":training-portal")',
      },
    ]);
    expect(spec.matchConstraints.resourceRules).toEqual([
      { apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: '*' },
    ]);
    expect(spec.matchConstraints.excludeResourceRules.map((r: { apiGroups: string[]; resources: string[] }) => [r.apiGroups, r.resources])).toEqual([
      [[''], ['events']],
      [['events.k8s.io'], ['events']],
    ]);
    const binding = file.objects.find((o) => o.metadata.name === PORTAL_SCOPE_POLICY && o.kind === 'ValidatingAdmissionPolicyBinding')!;
    expect(binding.spec).toEqual({ policyName: PORTAL_SCOPE_POLICY, validationActions: ['Deny'] });
  });
});

describe('session namespaces carry what the policies read', () => {
  test('portal name, ingress domain and exception labels; the domain is filled in per portal', () => {
    const files = synthWith({ admissionExceptions: [AdmissionRule.HOST_PORTS, AdmissionRule.EXTERNAL_IPS, AdmissionRule.HOST_PORTS] })();
    const environment = files.flatMap((f) => f.objects).find((o) => o.kind === 'WorkshopEnvironment')!;
    const ns = (environment.spec as any).session.objects.find((o: Manifest) => o.kind === 'Namespace') as Manifest;
    expect(ns.metadata.annotations).toMatchObject({ [INGRESS_DOMAIN_ANNOTATION]: 'workshops.example.com' });
    expect(ns.metadata.labels).toMatchObject({
      'training.cdk8s-workshops.dev/portal.name': 'labs',
      'training.cdk8s-workshops.dev/session.name': '$(session_name)',
      'training.cdk8s-workshops.dev/component': 'session',
      'training.cdk8s-workshops.dev/admission-exception.external-ips': 'true',
      'training.cdk8s-workshops.dev/admission-exception.host-ports': 'true',
    });
    expect(Object.keys(ns.metadata.labels!).filter((k) => k.includes('admission-exception'))).toHaveLength(2);
  });

  test('a secondary namespace takes its own exceptions', () => {
    const app = new App();
    const w = new Workshop(app, 'w', { ...basics, admissionExceptions: [AdmissionRule.HOST_PORTS] });
    w.session.addNamespace('tools', { admissionExceptions: [AdmissionRule.HAND_WRITTEN_ENDPOINTS] });
    const namespaces = resolveWorkshop(w).sessionObjects.filter((o) => o.kind === 'Namespace');
    expect(namespaces.map((o) => Object.keys(o.metadata.labels!).filter((k) => k.includes('admission-exception')))).toEqual([
      ['training.cdk8s-workshops.dev/admission-exception.host-ports'],
      ['training.cdk8s-workshops.dev/admission-exception.hand-written-endpoints'],
    ]);
  });

  test("the NetworkPolicy blocks the AWS, ECS, Alibaba and IPv6 metadata addresses by default, and the list is the author's to change", () => {
    expect(METADATA_CIDRS).toEqual(['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128']);
    const egressOf = (props: Partial<WorkshopProps>) => {
      const app = new App();
      const objects = resolveWorkshop(new Workshop(app, 'w', { ...basics, ...props })).sessionObjects;
      return (objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'workshop-isolation')!.spec as any).egress[1].to;
    };
    expect(egressOf({})).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32'] } },
      { ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128'] } },
    ]);
    expect(egressOf({ blockedEgressCidrs: [...METADATA_CIDRS, '10.0.0.0/8'] })[0].ipBlock.except).toContain('10.0.0.0/8');
    expect(egressOf({ blockedEgressCidrs: [] })).toEqual([{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }]);
  });
});

describe('the TypeScript twins of the rules', () => {
  test('session hosts: the session name itself, or one DNS label and a dash before it, under the domain', () => {
    for (const host of [
      '$(session_name).workshops.example.com',
      'app-$(session_name).workshops.example.com',
      'a-b-$(session_name).workshops.example.com',
    ]) {
      expect(isSessionHost(host, context)).toBe(true);
    }
    for (const host of [
      '',
      'labs-ui.workshops.example.com',
      'x.$(session_name).workshops.example.com',
      'evil.app-$(session_name).workshops.example.com',
      '-$(session_name).workshops.example.com',
      'app-$(session_name).workshops.example.com.evil.com',
      '*.workshops.example.com',
      'app$(session_name).workshops.example.com',
    ]) {
      expect(isSessionHost(host, context)).toBe(false);
    }
  });

  test('runtime sockets: the socket, a folder above it, a path spelled to dodge the check, or any Socket', () => {
    for (const path of [
      '/var/run/docker.sock',
      '/var/run',
      '/var/run/',
      '/run/containerd',
      '/',
      '/var//run/docker.sock',
      '/var/run/./docker.sock',
      '/var/lib/../run',
    ]) {
      expect(reachesSocket({ path })).toBe(true);
    }
    expect(reachesSocket({ path: '/opt/agent.sock', type: 'Socket' })).toBe(true);
    for (const path of ['/var/log', '/etc/ssl', '/var/run-other', '/data']) expect(reachesSocket({ path })).toBe(false);
  });

  test('each refusal names the rule', () => {
    expect(AdmissionRule.INGRESS_HOSTS.violations(ingressTo('labs-ui.workshops.example.com'), context)).toEqual([
      "cdk8s-workshops [ingress-hosts]: Ingress host 'labs-ui.workshops.example.com' is not one of this session's hosts " +
        '($(session_name).workshops.example.com, <name>-$(session_name).workshops.example.com)',
    ]);
    expect(AdmissionRule.NODE_PORT_SERVICES.violations({ kind: 'Service', spec: { type: 'NodePort' } }, context)).toEqual([
      'cdk8s-workshops [node-port-services]: a Service of type NodePort opens a port on every node of the cluster; use a ClusterIP Service and an Ingress',
    ]);
    expect(
      AdmissionRule.HOST_NAMESPACES.violations(
        { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { hostPID: true, containers: [] } } } } } },
        context,
      ),
    ).toEqual([
      "cdk8s-workshops [host-namespaces]: hostPID must not be true: pods in session namespaces may not share the node's network, processes or IPC",
    ]);
    expect(
      AdmissionRule.INGRESS_SNIPPETS.violations(
        {
          kind: 'Ingress',
          metadata: {
            annotations: {
              'nginx.ingress.kubernetes.io/configuration-snippet': 'x',
              'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
              'nginx.org/location-snippets': 'y',
            },
          },
        },
        context,
      ),
    ).toEqual([
      "cdk8s-workshops [ingress-snippets]: Ingress annotation nginx.ingress.kubernetes.io/configuration-snippet puts text into the ingress controller's own configuration",
      "cdk8s-workshops [ingress-snippets]: Ingress annotation nginx.org/location-snippets puts text into the ingress controller's own configuration",
    ]);
    expect(AdmissionRule.fromName('host-ports')).toBe(AdmissionRule.HOST_PORTS);
    expect(() => AdmissionRule.fromName('everything')).toThrow(
      "unknown admission rule 'everything': allowed are ingress-hosts, ingress-snippets, node-port-services",
    );
  });
});

describe('synthesis refuses blueprints the policies would refuse, naming the object and the rule', () => {
  test("an Ingress for a host outside the session's names", () => {
    expect(synthWith({}, (w) => new ApiObject(w.session, 'sub', ingressTo('x.$(session_name).workshops.example.com')))).toThrow(
      "TrainingPortal 'labs' workshop 'w': Ingress $(session_namespace)/app would be refused by admission rule 'ingress-hosts' " +
        "(cdk8s-workshops [ingress-hosts]: Ingress host 'x.$(session_name).workshops.example.com' is not one of this session's hosts " +
        '($(session_name).workshops.example.com, <name>-$(session_name).workshops.example.com)); relax it for this namespace with ' +
        'admissionExceptions: [AdmissionRule.INGRESS_HOSTS] if the workshop really needs it',
    );
  });

  test("the workshop pod's hosts are reserved: the namespace lists them, and the session's own Ingresses may not use them", () => {
    const files = synthWith({ capabilities: [new Editor()] })();
    const environment = files.flatMap((f) => f.objects).find((o) => o.kind === 'WorkshopEnvironment')!;
    const ns = (environment.spec as any).session.objects.find((o: Manifest) => o.kind === 'Namespace') as Manifest;
    expect(ns.metadata.annotations![RESERVED_HOSTS_ANNOTATION]).toBe(
      '$(session_name).workshops.example.com,editor-$(session_name).workshops.example.com',
    );
    expect(
      synthWith(
        { capabilities: [new Editor()] },
        (w) => new ApiObject(w.session, 'steal', ingressTo('editor-$(session_name).workshops.example.com')),
      ),
    ).toThrow(
      "Ingress $(session_namespace)/app would be refused by admission rule 'ingress-hosts' (cdk8s-workshops [ingress-hosts]: Ingress host " +
        "'editor-$(session_name).workshops.example.com' is served by the session's workshop pod: an Ingress in the session may not take paths of it; use a host of its own)",
    );
  });

  test("hosts spelled with $(session_namespace) or the literal domain are the session's own", () => {
    expect(
      synthWith({}, (w) => {
        new ApiObject(w.session, 'a', { ...ingressTo('a-$(session_namespace).$(ingress_domain)'), metadata: { name: 'a' } });
        new ApiObject(w.session, 'b', { ...ingressTo('b-$(session_name).workshops.example.com'), metadata: { name: 'b' } });
      }),
    ).not.toThrow();
  });

  test('a NodePort Service, unless the namespace relaxes the rule and the budget allows one', () => {
    const nodePort = (w: Workshop) =>
      new ApiObject(w.session, 'np', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'np' },
        spec: { type: 'NodePort', ports: [{ port: 80 }] },
      });
    expect(synthWith({}, nodePort)).toThrow("Service $(session_namespace)/np would be refused by admission rule 'node-port-services'");
    expect(synthWith({ admissionExceptions: [AdmissionRule.NODE_PORT_SERVICES] }, nodePort)).not.toThrow();
    expect(() => synthWith({ budget: Budget.SMALL, admissionExceptions: [AdmissionRule.NODE_PORT_SERVICES] })).toThrow(
      "w/Session/Namespace: admissionExceptions relaxes 'node-port-services', but budget 'small' allows 0 of them (services.nodeports): " +
        "override 'nodePortServices' in the budget too",
    );
    expect(
      synthWith({ budget: Budget.SMALL.withOverrides({ nodePortServices: 1 }), admissionExceptions: [AdmissionRule.NODE_PORT_SERVICES] }, nodePort),
    ).not.toThrow();
  });

  test('a Deployment that mounts the docker socket, even where hostPath is relaxed', () => {
    // (Pod Security's synth check refuses any hostPath in session namespaces first; the rule is checked all the same)
    const dind = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'dind', namespace: '$(session_namespace)' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: {
            containers: [{ name: 'c', image: 'docker:27' }],
            volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }],
          },
        },
      },
    };
    const problems = admissionProblems([dind], new Map([['$(session_namespace)', [AdmissionRule.HOST_PATH_VOLUMES]]]), context);
    expect(problems).toEqual([
      "Deployment $(session_namespace)/dind would be refused by admission rule 'runtime-socket-mounts' " +
        "(cdk8s-workshops [runtime-socket-mounts]: volume 'sock' (/var/run/docker.sock) mounts the container runtime socket, which controls every " +
        'container on the node); relax it for this namespace with admissionExceptions: [AdmissionRule.RUNTIME_SOCKET_MOUNTS] if the workshop really needs it',
    ]);
    expect(() => synthWith({}, (w) => new ApiObject(w.session, 'dind', dind))()).toThrow("volume 'sock' must not be a hostPath");
  });

  test('an object in a namespace where the portal may not write', () => {
    expect(
      synthWith(
        {},
        (w) =>
          new ApiObject(w.session, 'elsewhere', {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: '$(session_name)-notes', namespace: 'kube-system' },
          }),
      ),
    ).toThrow(
      "TrainingPortal 'labs' workshop 'w': ConfigMap kube-system/$(session_name)-notes is placed in namespace 'kube-system', " +
        "where admission rule 'portal-scope' lets no portal write: put it in a session namespace or the environment namespace ($(workshop_namespace))",
    );
  });

  test('a privileged session namespace, however it is made', () => {
    const chart = new Chart(new App(), 'c');
    const ns = new SessionNamespace(chart, 'ns', { name: '$(session_namespace)-x', primary: false, securityPolicy: SecurityPolicy.PRIVILEGED });
    expect(ns.node.validate()).toEqual([
      "session namespace '$(session_namespace)-x': 'securityPolicy' (privileged) must be restricted or baseline: " +
        'learners own their session namespaces, so a privileged one would let them take over the node (run privileged parts in the environment namespace)',
    ]);
  });
});

describe('budgets count objects', () => {
  test('every budget counts pods, ConfigMaps and Deployments and allows no NodePort or LoadBalancer Services', () => {
    const rows = [Budget.SMALL, Budget.MEDIUM, Budget.LARGE, Budget.X_LARGE, Budget.XX_LARGE, Budget.XXX_LARGE].map((b) => [
      b.name,
      b.figures!.pods,
      b.figures!.configMaps,
      b.figures!.deployments,
      b.figures!.nodePortServices,
      b.figures!.loadBalancerServices,
    ]);
    expect(rows).toEqual([
      ['small', 10, 20, 5, 0, 0],
      ['medium', 20, 25, 10, 0, 0],
      ['large', 40, 35, 20, 0, 0],
      ['x-large', 60, 45, 30, 0, 0],
      ['xx-large', 80, 55, 40, 0, 0],
      ['xxx-large', 100, 65, 50, 0, 0],
    ]);
    const app = new App();
    const objects = resolveWorkshop(new Workshop(app, 'w', { ...basics, budget: Budget.MEDIUM.withOverrides({ pods: 7 }) })).sessionObjects;
    const quota = objects.find((o) => o.kind === 'ResourceQuota' && o.metadata.name === 'object-counts')!;
    expect((quota.spec as any).hard).toEqual({
      configmaps: '25',
      'count/deployments.apps': '10',
      persistentvolumeclaims: '6',
      pods: '7',
      replicationcontrollers: '15',
      secrets: '25',
      services: '10',
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
  });

  test('a session with more Deployments than its budget allows is an error', () => {
    const app = new App();
    const w = new Workshop(app, 'w', { ...basics, budget: Budget.SMALL.withOverrides({ deployments: 1 }) });
    for (const name of ['a', 'b']) {
      new ApiObject(w.session, name, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name },
        spec: { replicas: 0, selector: { matchLabels: { a: name } }, template: { metadata: { labels: { a: name } }, spec: { containers: [] } } },
      });
    }
    expect(() => resolveWorkshop(w)).toThrow(
      "Workshop 'w': the session needs 2 Deployments, more than the 1 that budget 'small+overrides' allows ('deployments'): choose a larger budget or override 'deployments'",
    );
  });
});
