import { ApiObject, App } from 'cdk8s';

import { type Manifest, RequestParameter, synthesize, TrainingPortal, Workshop } from '../../src/constructs/index.js';
import { renderRequestObjects } from '../../src/runtime/request-objects.js';

/** A portal with one workshop whose allocated sessions get a ConfigMap with the learner's parameters. */
function portalWith(configure: (w: Workshop) => void): Manifest[] {
  const app = new App();
  const workshop = new Workshop(app, 'lab', {
    title: 'Lab',
    description: 'D',
    requestParameters: [RequestParameter.fixed('GREETING', 'hello'), RequestParameter.generated('TOKEN', '[a-z]{8}')],
  });
  configure(workshop);
  const portal = new TrainingPortal(app, 'labs', { ingressDomain: 'example.test' });
  portal.addWorkshop(workshop, { capacity: 2 });
  return synthesize(app).flatMap((f) => f.objects);
}

const environment = (objects: Manifest[]) => objects.find((o) => o.kind === 'WorkshopEnvironment')! as Manifest & { spec: any };

describe('request objects (synthesis)', () => {
  test("land in the environment's request.objects with environment values filled in, session variables and parameters kept; nothing when there are none", () => {
    const objects = portalWith((w) => {
      new ApiObject(w.request, 'greeting', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'greeting' },
        data: { greeting: `${w.request.param('GREETING')} from ${w.request.vars.sessionName} in ${w.request.vars.ingressDomain}` },
      });
    });
    const env = environment(objects);
    expect(env.spec.request.objects).toEqual([
      expect.objectContaining({
        kind: 'ConfigMap',
        metadata: expect.objectContaining({ name: 'greeting', namespace: '$(session_namespace)' }),
        data: { greeting: '$(GREETING) from $(session_name) in example.test' },
      }),
    ]);
    // the session blueprint does not have it: reserve sessions wait without it
    expect(env.spec.session.objects.map((o: Manifest) => o.metadata.name)).not.toContain('greeting');
    expect(environment(portalWith(() => undefined)).spec.request).not.toHaveProperty('objects');
  });

  test('the requestObjects prop adds objects as written, Educates style; outside the session namespaces they are owned by it', () => {
    const app = new App();
    const workshop = new Workshop(app, 'lab', {
      title: 'Lab',
      description: 'D',
      requestParameters: [RequestParameter.fixed('COLOUR', 'blue')],
      requestObjects: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'colour', namespace: '$(session_namespace)' }, data: { colour: '$(COLOUR)' } },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: '$(session_name)-colour', namespace: '$(workshop_namespace)' },
          data: { colour: '$(COLOUR)' },
        },
      ],
    });
    const portal = new TrainingPortal(app, 'labs', { ingressDomain: 'example.test' });
    portal.addWorkshop(workshop, { capacity: 2 });
    const env = environment(synthesize(app).flatMap((f) => f.objects));
    const outside = env.spec.request.objects.find((o: Manifest) => o.metadata.namespace === 'labs-lab')!;
    expect(outside.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Namespace', name: '$(session_namespace)', uid: '$(session_namespace_uid)' }),
    ]);
    expect(env.spec.request.objects).toHaveLength(2);
  });

  test('the portal may create exactly the kinds request objects have, where they are', () => {
    const objects = portalWith((w) => {
      new ApiObject(w.request, 'quota', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'helper' } });
      new ApiObject(w.request, 'cm', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: '$(session_name)-cm', namespace: '$(workshop_namespace)' },
      });
    });
    const sessionRole = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'cdk8s-workshops-portal-labs-session') as Manifest & {
      rules: any[];
    };
    expect(sessionRole.rules).toContainEqual(expect.objectContaining({ apiGroups: [''], resources: expect.arrayContaining(['serviceaccounts']) }));
    const environmentRole = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === 'labs-lab') as Manifest & { rules: any[] };
    expect(environmentRole.rules.flatMap((r: any) => r.resources)).toContain('configmaps');
    const without = portalWith(() => undefined);
    const plainRole = without.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'cdk8s-workshops-portal-labs-session') as Manifest & {
      rules: any[];
    };
    expect(plainRole.rules.flatMap((r: any) => r.resources)).not.toContain('serviceaccounts');
  });

  test('mistakes are named: unknown parameter, a namespace, a duplicate of a session object, a parameter named like a variable', () => {
    expect(() =>
      portalWith((w) => {
        new ApiObject(w.request, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '$(GREETTING)' } });
      }),
    ).toThrow(
      /ConfigMap \$\(session_namespace\)\/cm uses \$\(GREETTING\), which is neither a session variable nor a request parameter of the workshop \(did you mean \$\(GREETING\)\?\)/,
    );
    expect(() =>
      portalWith((w) => {
        new ApiObject(w.request, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '$(session_namespace)-more' } });
      }),
    ).toThrow(/is a namespace, which a session has before it is allocated/);
    expect(() =>
      portalWith((w) => {
        new ApiObject(w.request, 'np', {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'workshop-isolation' },
          spec: {},
        });
      }),
    ).toThrow(/NetworkPolicy \$\(session_namespace\)\/workshop-isolation is also a session object/);
    expect(() => portalWith((w) => w.addRequestParameter(RequestParameter.fixed('session_name', 'x')))).toThrow(
      /request parameter 'session_name' has the name of a session variable/,
    );
    expect(() =>
      portalWith((w) => {
        new ApiObject(w.request, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: '$(workshop_namespace)' } });
      }),
    ).toThrow(/outside the session's namespaces, so its name must contain \$\(session_name\)/);
  });
});

describe('request objects (rendering)', () => {
  const objects: Manifest[] = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'greeting', namespace: '$(session_namespace)' },
      data: { greeting: '$(GREETING) in $(session_namespace)', token: '$(base64($(TOKEN)))', unknown: '$(OTHER)' },
    },
  ];

  test('fills in session values and parameters, base64 of whole values, leaves unknown references', () => {
    const [cm] = renderRequestObjects(objects, { session_namespace: 'labs-lab-x7k2p' }, { GREETING: 'hi', TOKEN: 'abc' });
    expect(cm.metadata.namespace).toBe('labs-lab-x7k2p');
    expect(cm.data).toEqual({ greeting: 'hi in labs-lab-x7k2p', token: Buffer.from('abc').toString('base64'), unknown: '$(OTHER)' });
  });

  test('a parameter value from a REST client is content only: quotes add no fields, variables in it are not expanded', () => {
    const attack = '"}, "metadata": {"namespace": "kube-system"}, "x": {"y": "$(services_password)';
    const [cm] = renderRequestObjects(objects, { session_namespace: 'labs-lab-x7k2p', services_password: 'SECRET' }, { GREETING: attack, TOKEN: '' });
    expect(cm.metadata).toEqual({ name: 'greeting', namespace: 'labs-lab-x7k2p' });
    expect((cm.data as Record<string, string>).greeting).toBe(`${attack} in labs-lab-x7k2p`);
    expect(JSON.stringify(cm)).not.toContain('SECRET');
  });
});
