import { App } from 'cdk8s';

import { CompiledBlueprint, type Manifest, synthesize, Terminal, TrainingPortal, Workshop } from '../../src/constructs/index.js';
import { applySession, type KubeClient, KubeError } from '../../src/runtime/index.js';
import { blueprintOf, environments, FIXED_SECRETS } from '../support/examples.js';

/** A blueprint of a one-terminal workshop with a secondary namespace, as a portal synthesizes it. */
function blueprint(): CompiledBlueprint {
  const app = new App({ outdir: '/nonexistent' });
  const portal = new TrainingPortal(app, 'labs', { maximumSessions: 5 });
  const workshop = new Workshop(app, 'w', { title: 'T', description: 'D', capabilities: [new Terminal()] });
  workshop.session.addNamespace('tools');
  portal.addWorkshop(workshop);
  return new CompiledBlueprint(blueprintOf(environments(synthesize(app))[0]));
}

const identity = {
  environmentName: 'labs-w',
  sessionId: 's001',
  workshopSessionUid: 'uid-1',
  ingressDomain: 'example.test',
  ingressProtocol: 'http',
};

/** A stand-in for the API server that records requests and refuses as `refuse` says. */
function recordingClient(refuse: (verb: string, object: Manifest) => KubeError | undefined) {
  const calls: string[] = [];
  const answer = (verb: string, object: Manifest) => {
    const where = `${verb} ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    const error = refuse(verb, object);
    calls.push(error ? `${where} -> ${error.status}` : where);
    if (error) return Promise.reject(error);
    return Promise.resolve({ ...object, metadata: { ...object.metadata, uid: `uid-of-${object.metadata.name}` } });
  };
  const client = {
    create: (object: Manifest) => answer('create', object),
    apply: (object: Manifest) => answer('apply', object),
    get: (_apiVersion: string, kind: string, name: string, namespace?: string) =>
      answer('get', { apiVersion: 'v1', kind, metadata: { name, namespace } }),
  } as unknown as KubeClient;
  return { client, calls };
}

const forbidden = () => new KubeError(403, 'Forbidden', 'forbidden');

describe('applySession', () => {
  test("creates the namespaces, then the portal's RoleBinding in each, before anything else of the session", async () => {
    // GIVEN an API server that accepts everything
    const { client, calls } = recordingClient(() => undefined);
    // WHEN a session is applied
    await applySession(client, blueprint(), identity, FIXED_SECRETS);
    // THEN namespaces are created (never patched), then the portal's bindings, then the rest
    expect(calls.slice(0, 4)).toEqual([
      'create Namespace labs-w-s001',
      'create Namespace labs-w-s001-tools',
      'apply RoleBinding labs-w-s001/cdk8s-workshops-portal',
      'apply RoleBinding labs-w-s001-tools/cdk8s-workshops-portal',
    ]);
    expect(calls.filter((c) => c.startsWith('apply Namespace'))).toEqual([]);
    expect(calls).toContain('apply Deployment labs-w/labs-w-s001');
    expect(calls).toContain('apply Secret labs-w/labs-w-s001-session');
  });

  test('a namespace left by an earlier attempt is taken as it is', async () => {
    const { client, calls } = recordingClient((verb, o) =>
      verb === 'create' && o.metadata.name === 'labs-w-s001' ? new KubeError(409, 'AlreadyExists', 'exists') : undefined,
    );
    const applied = await applySession(client, blueprint(), identity, FIXED_SECRETS);
    expect(calls.slice(0, 2)).toEqual(['create Namespace labs-w-s001 -> 409', 'get Namespace labs-w-s001']);
    expect(applied.namespaceUid).toBe('uid-of-labs-w-s001');
  });

  test('refusals while the authorizer catches up with the new binding are retried; after the grace they fail the session', async () => {
    // GIVEN an authorizer that refuses the first two requests in the session namespace
    let refusals = 2;
    const slow = recordingClient((verb, o) =>
      verb === 'apply' && o.kind === 'NetworkPolicy' && o.metadata.namespace === 'labs-w-s001' && refusals-- > 0 ? forbidden() : undefined,
    );
    await applySession(slow.client, blueprint(), identity, FIXED_SECRETS, { concurrency: 1 });
    expect(slow.calls.filter((c) => c.startsWith('apply NetworkPolicy labs-w-s001/'))).toEqual([
      'apply NetworkPolicy labs-w-s001/workshop-isolation -> 403',
      'apply NetworkPolicy labs-w-s001/workshop-isolation -> 403',
      'apply NetworkPolicy labs-w-s001/workshop-isolation',
    ]);
    // GIVEN an authorizer that never allows it
    const never = recordingClient((verb, o) => (verb === 'apply' && o.kind === 'NetworkPolicy' ? forbidden() : undefined));
    await expect(applySession(never.client, blueprint(), identity, FIXED_SECRETS, { rbacGraceMs: 300 })).rejects.toThrow('forbidden');
  });
});
