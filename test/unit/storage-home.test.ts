import { App } from 'cdk8s';

import { resolveWorkshop, synthesize, Terminal, TrainingPortal, Workshop } from '../../src/constructs/index.js';

describe('storage: a persistent home', () => {
  test('a claim in the environment namespace, owned by the session, behind the workshop-home volume; none by default', () => {
    const objects = resolveWorkshop(
      new Workshop(new App(), 'w', { title: 'T', description: 'D', capabilities: [new Terminal()], storage: '5Gi', storageClass: 'fast.ssd' }),
    ).sessionObjects;
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!;
    expect(claim.metadata).toEqual(expect.objectContaining({ name: '$(session_name)-home', namespace: '$(workshop_namespace)' }));
    expect(claim.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'WorkshopSession', name: '$(session_name)', uid: '$(workshop_session_uid)' }),
    ]);
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast.ssd' });
    const pod = (objects.find((o) => o.kind === 'Deployment')!.spec as any).template.spec;
    expect(pod.volumes).toContainEqual({ name: 'workshop-home', persistentVolumeClaim: { claimName: '$(session_name)-home' } });
    const plain = resolveWorkshop(new Workshop(new App(), 'w', { title: 'T', description: 'D' })).sessionObjects;
    expect(plain.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
  });

  test('the portal may create claims in the environment namespace (where the workshop pod is), and bad values are named', () => {
    const app = new App();
    const workshop = new Workshop(app, 'w', { title: 'T', description: 'D', storage: '1Gi' });
    new TrainingPortal(app, 'labs', { ingressDomain: 'example.test' }).addWorkshop(workshop, { capacity: 1 });
    const role = synthesize(app)
      .flatMap((f) => f.objects)
      .find((o) => o.kind === 'Role' && o.metadata.namespace === 'labs-w') as any;
    expect(role.rules.flatMap((r: any) => r.resources)).toContain('persistentvolumeclaims');
    expect(() => new Workshop(new App(), 'x', { title: 'T', description: 'D', storage: 'lots' })).toThrow(
      `'storage' ("lots") must be a Kubernetes quantity such as 500m or 512Mi`,
    );
    expect(() => new Workshop(new App(), 'x', { title: 'T', description: 'D', storage: '1Gi', storageClass: 'Fast SSD' })).toThrow(
      `'storageClass' ("Fast SSD") must be the name of a StorageClass`,
    );
  });
});
