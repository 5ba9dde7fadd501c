import { App, Duration, Size } from 'cdk8s';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

import {
  Budget,
  ContentSource,
  Docker,
  Editor,
  parseDuration,
  RequestParameter,
  SecurityPolicy,
  synthesize,
  Terminal,
  TrainingPortal,
  Workshop,
  type WorkshopProps,
} from '../../src/constructs/index.js';

const basics = { title: 'T', description: 'D' };

function workshop(app: App, name: string, props: Partial<WorkshopProps> = {}): Workshop {
  return new Workshop(app, name, { ...basics, ...props });
}

describe('author mistakes are errors at synth time that name the place, the field, the value and what is allowed', () => {
  test('a workshop name that is not a DNS-1123 label', () => {
    expect(() => workshop(new App(), 'K8s_Basics')).toThrow(
      "Workshop 'K8s_Basics': 'name' (\"K8s_Basics\") must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 40 characters",
    );
  });

  test('a portal name that is not a DNS-1123 label', () => {
    expect(() => new TrainingPortal(new App(), 'Labs!')).toThrow("TrainingPortal 'Labs!': 'name' (\"Labs!\") must be a DNS-1123 label");
  });

  test('bad durations', () => {
    expect(() => workshop(new App(), 'w', { duration: Duration.seconds(1.5) })).toThrow(
      "Workshop 'w': 'duration' (1 second 500 millis) must be a whole number of seconds",
    );
    expect(() => parseDuration('90x')).toThrow("'90x' is not a duration: write a whole number with s, m or h, such as 90m");
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 5 });
    expect(() => portal.addWorkshop(workshop(app, 'w'), { expires: Duration.seconds(0) })).toThrow(
      "TrainingPortal 'labs' workshop 'w': 'expires' (0s) must be longer than zero",
    );
  });

  test('an unknown budget, and a bad override', () => {
    expect(() => Budget.fromName('huge')).toThrow("unknown budget 'huge': allowed are small, medium, large, x-large, xx-large, xxx-large, custom");
    expect(() => Budget.MEDIUM.withOverrides({ quotaMemory: 'lots' })).toThrow(
      'budget override \'quotaMemory\' ("lots") must be a Kubernetes quantity such as 500m or 2Gi',
    );
  });

  test('expires longer than deadline', () => {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 5 });
    expect(() => portal.addWorkshop(workshop(app, 'k8s-fundamentals'), { expires: Duration.minutes(90), deadline: Duration.minutes(60) })).toThrow(
      "TrainingPortal 'labs' workshop 'k8s-fundamentals': 'expires' (90m) must not exceed 'deadline' (60m)",
    );
  });

  test('capacity below reserved or initial', () => {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs');
    const w = workshop(app, 'w');
    expect(() => portal.addWorkshop(w, { capacity: 2, reserved: 3 })).toThrow(
      "TrainingPortal 'labs' workshop 'w': 'capacity' (2) must not be below 'reserved' (3)",
    );
    expect(() => portal.addWorkshop(w, { capacity: 2, initial: 4 })).toThrow(
      "TrainingPortal 'labs' workshop 'w': 'capacity' (2) must not be below 'initial' (4)",
    );
    expect(() => portal.addWorkshop(w)).toThrow(
      "TrainingPortal 'labs' workshop 'w': 'capacity' is 0: set it on the workshop, in workshopDefaults, or as the portal's maximumSessions",
    );
  });

  test("Educates' defaults and clamping of pool settings", () => {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 10 });
    const entry = portal.addWorkshop(workshop(app, 'w'), { expires: Duration.minutes(30) });
    expect([entry.capacity, entry.reserved, entry.initial, entry.deadlineSeconds]).toEqual([10, 1, 1, 1800]);
    const raised = portal.addWorkshop(workshop(app, 'v'), { capacity: 5, reserved: 3, initial: 2 });
    expect(raised.initial).toBe(3);
    const lazy = portal.addWorkshop(workshop(app, 'u'), { capacity: 5, reserved: 2, initial: 0 });
    expect(lazy.initial).toBe(0);
  });

  test('Docker without a privileged environment namespace', () => {
    expect(() => workshop(new App(), 'builds', { capabilities: [new Terminal(), new Docker()] })).toThrow(
      "builds/Session: capability 'docker' needs the 'privileged' security policy in the environment namespace, where the workshop pod runs, " +
        "but it enforces 'restricted': set environmentSecurityPolicy: SecurityPolicy.PRIVILEGED (learners cannot create pods there)",
    );
    expect(() => workshop(new App(), 'builds', { environmentSecurityPolicy: SecurityPolicy.PRIVILEGED, capabilities: [new Docker()] })).not.toThrow();
  });

  test('a session namespace that would allow what baseline refuses', () => {
    expect(() => workshop(new App(), 'builds', { securityPolicy: SecurityPolicy.PRIVILEGED })).toThrow(
      "builds/Session: 'securityPolicy' (privileged) is not allowed for a session namespace, where the learner creates pods: allowed are restricted, baseline. " +
        'Capabilities that need privileged pods (docker) run in the workshop pod in the environment namespace: set environmentSecurityPolicy instead',
    );
    const w = workshop(new App(), 'tools');
    expect(() => w.session.addNamespace('root', { securityPolicy: SecurityPolicy.PRIVILEGED })).toThrow(
      "tools/Session namespace 'root': 'securityPolicy' (privileged) is not allowed for a session namespace",
    );
    expect(() => workshop(new App(), 'ok', { securityPolicy: SecurityPolicy.BASELINE })).not.toThrow();
  });

  test("an author's Role that grants what the portal does not hold, and bindings the portal may not make", () => {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 5 });
    const x = workshop(app, 'x');
    new kplus.ConfigMap(x.session, 'cm', { metadata: { name: 'settings' } });
    // covered: the session has ConfigMaps, so the portal holds ConfigMap rights in its namespaces
    new ApiObject(x.session, 'reader', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    });
    new ApiObject(x.session, 'reader-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [],
    });
    // not covered
    new ApiObject(x.session, 'exec', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'exec' },
      rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['create'] }],
    });
    new ApiObject(x.session, 'nodes', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: '$(session_name)-nodes' },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
    });
    new ApiObject(x.session, 'root', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'root' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [],
    });
    new ApiObject(x.session, 'elsewhere', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'elsewhere' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'someone-elses' },
      subjects: [],
    });
    portal.addWorkshop(x);
    expect(() => synthesize(app)).toThrow(
      [
        "labs: TrainingPortal 'labs' workshop 'x': RoleBinding $(session_namespace)/root binds ClusterRole 'cluster-admin', which no session may have: bind a role that grants what the workshop needs",
        "labs: TrainingPortal 'labs' workshop 'x': RoleBinding $(session_namespace)/elsewhere binds Role 'someone-elses', which the session does not define in '$(session_namespace)': the portal binds only Roles the session defines and ClusterRoles by name",
        'labs: TrainingPortal \'labs\' workshop \'x\': Role $(session_namespace)/exec grants {"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["create"]}, ' +
          "but the portal does not itself hold create core/pods, create core/pods/exec there and is never given 'escalate': grant only what the session's objects need, or bind a ClusterRole by name",
        'labs: TrainingPortal \'labs\' workshop \'x\': ClusterRole $(session_name)-nodes grants {"apiGroups":[""],"resources":["nodes"],"verbs":["get"]}, ' +
          "but the portal does not itself hold get core/nodes cluster-wide and is never given 'escalate': grant only what the session's objects need, or bind a ClusterRole by name",
      ].join('\n'),
    );
  });

  test('a RoleBinding to a ClusterRole by name lets the portal bind exactly that one', () => {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 5 });
    const x = workshop(app, 'x');
    new ApiObject(x.session, 'viewer', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'viewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: '$(service_account)', namespace: '$(workshop_namespace)' }],
    });
    portal.addWorkshop(x);
    const role = synthesize(app)
      .flatMap((f) => f.objects)
      .find((o) => o.metadata.name === 'cdk8s-workshops-portal-labs')!;
    expect((role.rules as Array<{ verbs: string[]; resourceNames?: string[] }>).find((r) => r.verbs.includes('bind'))!.resourceNames).toEqual([
      'cdk8s-workshops-portal-labs-session',
      'cdk8s-workshops-session-admin',
      'view',
    ]);
  });

  test('a workshop listed twice in a portal', () => {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 5 });
    const w = workshop(app, 'w');
    portal.addWorkshop(w);
    expect(() => portal.addWorkshop(w)).toThrow(
      "TrainingPortal 'labs' workshop 'w': the portal already lists a workshop as 'w': give one of them another 'alias'",
    );
    expect(() => portal.addWorkshop(w, { alias: 'w-again' })).not.toThrow();
  });

  test('colliding ingress hosts', () => {
    const w = workshop(new App(), 'w', { capabilities: [new Editor()] });
    expect(() => w.session.addRoute({ name: 'editor', port: 8080 })).toThrow(
      "w/Session: ingress host 'editor-$(session_name)' collides with another route named 'editor'",
    );
    const app = new App();
    const x = workshop(app, 'x');
    for (const id of ['one', 'two']) {
      new ApiObject(x.session, id, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: id },
        spec: { rules: [{ host: `app-${x.session.vars.sessionName}.example.com` }] },
      });
    }
    expect(() => synthesize(app)).toThrow(
      "Workshop 'x' session: ingress host 'app-$(session_name).example.com' is used by both Ingress $(session_namespace)/one and Ingress $(session_namespace)/two",
    );
  });

  test('an ingress host that all sessions would share', () => {
    const app = new App();
    const x = workshop(app, 'x');
    new ApiObject(x.session, 'shared', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'app' },
      spec: { rules: [{ host: 'app.example.com' }] },
    });
    expect(() => synthesize(app)).toThrow(
      "Workshop 'x' session: Ingress $(session_namespace)/app has host 'app.example.com', which must contain $(session_name) so that sessions do not share it",
    );
  });

  test('a per-session object outside the session namespace without a session variable in its name', () => {
    const app = new App();
    const x = workshop(app, 'x');
    new kplus.ConfigMap(x.session, 'cm', { metadata: { name: 'settings', namespace: 'default' } });
    new ApiObject(x.session, 'crb', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [],
    });
    expect(() => synthesize(app)).toThrow(
      [
        "Workshop 'x' session: ConfigMap default/settings is placed in namespace 'default', outside the session's namespaces, so its name must contain $(session_name) or $(session_namespace) to be unique per session",
        "Workshop 'x' session: ClusterRoleBinding reader is placed in the cluster scope, outside the session's namespaces, so its name must contain $(session_name) or $(session_namespace) to be unique per session",
      ].join('\n'),
    );
  });

  test('an unknown variable, with a suggestion', () => {
    const app = new App();
    const x = workshop(app, 'x');
    new kplus.ConfigMap(x.session, 'cm', { metadata: { name: 'settings' }, data: { who: '$(sesion_name)' } });
    expect(() => synthesize(app)).toThrow(
      "Workshop 'x' session: ConfigMap $(session_namespace)/settings uses unknown variable $(sesion_name) (did you mean $(session_name)?)",
    );
  });

  test('a pod the namespace would refuse', () => {
    const app = new App();
    const x = workshop(app, 'x');
    new kplus.Deployment(x.session, 'app', {
      metadata: { name: 'app' },
      containers: [{ image: 'nginx:1.27', securityContext: { ensureNonRoot: false } }],
    });
    expect(() => synthesize(app)).toThrow(
      "Workshop 'x': Deployment $(session_namespace)/app would be refused by the 'restricted' security policy of its namespace: " +
        "container 'main' must run as non-root (runAsNonRoot: true on the container or the pod); " +
        "container 'main' must set seccompProfile RuntimeDefault (on the container or the pod); container 'main' must drop ALL capabilities",
    );
  });

  test("a budget too small for the session's pods; the workshop pod, outside the session namespace, does not count", () => {
    const fits = new App();
    workshop(fits, 'x', { budget: Budget.SMALL, capabilities: [new Terminal(), new Editor({ memory: '768Mi' })] });
    expect(() => synthesize(fits)).not.toThrow();
    const app = new App();
    const x = workshop(app, 'x', { budget: Budget.SMALL, capabilities: [new Terminal(), new Editor({ memory: '768Mi' })] });
    new kplus.Deployment(x.session, 'app', {
      metadata: { name: 'app' },
      replicas: 3,
      containers: [{ image: 'nginx:1.27', resources: { memory: { limit: Size.mebibytes(512) } }, securityContext: { user: 1000 } }],
    });
    expect(() => synthesize(app)).toThrow(
      "Workshop 'x': the session's pods need 1536Mi of memory limits, more than the 1Gi quota of budget 'small': choose a larger budget or give the capabilities less",
    );
  });

  test('an environment whose session host names would be too long', () => {
    const app = new App();
    const portal = new TrainingPortal(app, 'labs', { maximumSessions: 5 });
    expect(() => portal.addWorkshop(workshop(app, 'w'), { alias: 'a-very-long-alias-for-a-workshop-that-goes-on' })).toThrow(
      "TrainingPortal 'labs' workshop 'a-very-long-alias-for-a-workshop-that-goes-on': 'alias' (\"a-very-long-alias-for-a-workshop-that-goes-on\") must be a DNS-1123 label",
    );
  });

  test('content sources and request parameters', () => {
    expect(() => ContentSource.image('Not An Image')).toThrow("ContentSource.image: 'Not An Image' is not an OCI reference with a tag or digest");
    expect(() => ContentSource.image('acme/files:1.0')).toThrow(
      "ContentSource.image: 'acme/files:1.0' has no registry host; write it in full, e.g. ghcr.io/acme/files:1.0 or docker.io/acme/files:1.0",
    );
    expect(ContentSource.image('localhost:5000/files:1.0').toJson()).toEqual({ image: { ref: 'localhost:5000/files:1.0' } });
    expect(() => ContentSource.git('ftp://x', 'main')).toThrow("ContentSource.git: 'ftp://x' is not a Git URL");
    expect(() => RequestParameter.generated('P', '(a|b)+')).toThrow("request parameter 'P': pattern '(a|b)+' is not supported at position 0");
    expect(() => RequestParameter.fixed('1X', 'v')).toThrow("request parameter name '1X' must start with a letter");
  });
});
