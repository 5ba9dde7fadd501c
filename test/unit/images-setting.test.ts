import type { App } from 'cdk8s';

import {
  Docker,
  ImageRegistry,
  type Manifest,
  resolveWorkshop,
  SecurityPolicy,
  synthesize,
  TrainingPortal,
  Workshop,
  WorkshopApp,
} from '../../src/constructs/index.js';

type PodSpec = { containers: { name: string; image: string }[] };
const podSpecOf = (o: Manifest) => (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const imagesOf = (objects: Manifest[]) =>
  objects
    .filter((o) => o.kind === 'Deployment')
    .flatMap((o) => podSpecOf(o).containers.map((c) => `${o.metadata.name}/${c.name} ${c.image}`))
    .sort();

function build(app: App) {
  const workshop = new Workshop(app, 'builds', {
    title: 'T',
    description: 'D',
    capabilities: [new Docker(), new ImageRegistry()],
    environmentSecurityPolicy: SecurityPolicy.PRIVILEGED,
  });
  const portal = new TrainingPortal(app, 'labs');
  portal.addWorkshop(workshop, { capacity: 1 });
  return workshop;
}

describe('imageRegistry', () => {
  test('GIVEN a WorkshopApp with imageRegistry WHEN synthesized THEN the portal, dashboard, docker daemon and registry all come from it', () => {
    const app = new WorkshopApp({ imageRegistry: '127.0.0.1:5000/mirror', outdir: '/tmp/unused' });
    const workshop = build(app);
    const session = resolveWorkshop(workshop).sessionObjects;
    const portal = synthesize(app)
      .flatMap((f) => f.objects)
      .filter((o) => o.metadata.name === 'training-portal');
    expect(imagesOf([...session, ...portal])).toEqual([
      '$(session_name)/dashboard 127.0.0.1:5000/mirror/cdk8s-workshops/session-dashboard:0.1.0',
      '$(session_name)/docker 127.0.0.1:5000/mirror/cdk8s-workshops/docker-daemon:0.1.0',
      '$(session_name)/workshop 127.0.0.1:5000/mirror/cdk8s-workshops/session-dashboard:0.1.0',
      'registry/registry 127.0.0.1:5000/mirror/cdk8s-workshops/registry:0.1.0',
      'training-portal/portal 127.0.0.1:5000/mirror/cdk8s-workshops/training-portal:0.1.0',
    ]);
  });

  test("GIVEN no imageRegistry THEN the released images and the capabilities' upstream images (dist/ unchanged)", () => {
    const app = new WorkshopApp({ outdir: '/tmp/unused' });
    const session = resolveWorkshop(build(app)).sessionObjects;
    expect(imagesOf(session)).toEqual([
      '$(session_name)/dashboard ghcr.io/cdk8s-workshops/session-dashboard:0.1.0',
      '$(session_name)/docker docker:27.5.1-dind',
      '$(session_name)/workshop ghcr.io/cdk8s-workshops/session-dashboard:0.1.0',
      'registry/registry registry:2.8.3',
    ]);
  });

  test('an image set on a construct still wins over imageRegistry', () => {
    const app = new WorkshopApp({ imageRegistry: 'registry.example.com', outdir: '/tmp/unused' });
    const workshop = new Workshop(app, 'w', { title: 'T', description: 'D', workshopImage: 'example.org/own/dashboard:1' });
    expect(imagesOf(resolveWorkshop(workshop).sessionObjects)).toEqual([
      '$(session_name)/dashboard example.org/own/dashboard:1',
      '$(session_name)/workshop example.org/own/dashboard:1',
    ]);
  });

  test.each([
    ['https://registry.example.com', '"https://registry.example.com"'],
    ['registry.example.com/ws:1.0', '"registry.example.com/ws:1.0"'],
    ['Registry.Example.com', '"Registry.Example.com"'],
    ['', '""'],
  ])('a bad imageRegistry %p is refused naming the field, the value and what is allowed', (value, shown) => {
    expect(() => new WorkshopApp({ imageRegistry: value })).toThrow(
      `imageRegistry (${shown}) must be a registry host with an optional port and path, without a scheme or tag, e.g. 'registry.example.com/workshops' or '127.0.0.1:5000'`,
    );
  });
});
