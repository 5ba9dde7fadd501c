import { ContentSource } from '../../src/constructs/index.js';
import { parseConfig } from '../../src/dashboard/config.js';

describe('ContentSource', () => {
  test('git, http and image carry their path filters and a credentials Secret by name only', () => {
    const credentials = { name: 'content-token', namespace: 'authors' };
    expect(
      ContentSource.git('https://github.com/acme/lab.git', 'v1', {
        path: 'lab',
        includePaths: ['/workshop/**'],
        excludePaths: ['**/draft.md'],
        credentials,
      }).toJson(),
    ).toEqual({
      git: {
        url: 'https://github.com/acme/lab.git',
        ref: 'v1',
        path: 'lab',
        includePaths: ['/workshop/**'],
        excludePaths: ['**/draft.md'],
        credentials: { secret: 'content-token' },
      },
    });
    expect(ContentSource.git('https://github.com/acme/lab.git', 'main', 'lab').toJson()).toEqual({
      git: { url: 'https://github.com/acme/lab.git', ref: 'main', path: 'lab' },
    });
    expect(ContentSource.http('https://example.com/lab.tar.gz', { path: 'lab-main' }).toJson()).toEqual({
      http: { url: 'https://example.com/lab.tar.gz', path: 'lab-main' },
    });
    expect(ContentSource.image('ghcr.io/acme/lab-files:1.0', { excludePaths: ['/exercises/**'] }).toJson()).toEqual({
      image: { ref: 'ghcr.io/acme/lab-files:1.0', excludePaths: ['/exercises/**'] },
    });
    expect(ContentSource.git('git://127.0.0.1:9418/lab.git').toJson()).toEqual({
      git: { url: 'git://127.0.0.1:9418/lab.git', ref: 'main', path: '.' },
    });
  });

  test('bad input is named with the field, the value and what is allowed', () => {
    expect(() => ContentSource.git('http://git.example.com/lab.git')).toThrow(
      "ContentSource.git: 'http://git.example.com/lab.git' is not a Git URL (https://…, ssh://… or git@host:path; http:// and git:// only on loopback)",
    );
    expect(() => ContentSource.git('https://github.com/acme/lab.git', '--upload-pack=evil')).toThrow(
      'ContentSource.git: ref "--upload-pack=evil" must be a branch, tag or commit',
    );
    expect(() => ContentSource.http('ftp://example.com/lab.tar.gz')).toThrow(
      "ContentSource.http: 'ftp://example.com/lab.tar.gz' is not an https URL of a tar.gz archive (http:// only on loopback)",
    );
    expect(() => ContentSource.http('https://example.com/lab.tar.gz', { path: '../up' })).toThrow(
      "ContentSource.http: path '../up' must be relative to the content's root and stay inside it",
    );
    expect(() => ContentSource.image('ghcr.io/acme/lab:1', { includePaths: [] })).toThrow(
      "ContentSource.image: 'includePaths' must be a non-empty list of globs such as /workshop/**, or left out",
    );
    expect(() => ContentSource.image('ghcr.io/acme/lab:1', { excludePaths: ['/workshop/../x'] })).toThrow(
      `ContentSource.image: 'excludePaths' glob "/workshop/../x" must be a path inside the content such as /workshop/** (no '..', no empty segments)`,
    );
    expect(() => ContentSource.git('https://github.com/acme/lab.git', 'main', { credentials: { name: 'Bad Name', namespace: 'x' } })).toThrow(
      `ContentSource.git: credentials.name "Bad Name" must be a DNS-1123 name (the Secret with 'username' and 'password')`,
    );
  });

  test("the dashboard's settings accept every source and refuse two at once or malformed filters", () => {
    const base = { workshop: { name: 'w', title: 'W' } };
    expect(parseConfig({ ...base, content: { http: { url: 'https://example.com/a.tar.gz' } } }).content).toEqual({
      http: { url: 'https://example.com/a.tar.gz' },
    });
    expect(() => parseConfig({ ...base, content: { git: { url: 'https://x/y.git' }, image: { ref: 'r.example/x:1' } } })).toThrow(
      "dashboard.json: 'content'",
    );
    expect(() => parseConfig({ ...base, content: { git: { url: 'https://x/y.git', includePaths: 'workshop' } } })).toThrow(
      `dashboard.json: 'content.git.includePaths' ("workshop") must be a list of globs such as /workshop/**`,
    );
    expect(() => parseConfig({ ...base, content: { git: {} } })).toThrow("dashboard.json: 'content.git' ({}) must be an object with a url");
  });
});

describe('content credentials in the workshop pod', () => {
  test("go from the referenced Secret (copied into the environment) to the dashboard container only, never the learner's; no value is synthesized", async () => {
    const { App } = await import('cdk8s');
    const { Terminal, TrainingPortal, Workshop, synthesize } = await import('../../src/constructs/index.js');
    const app = new App();
    const workshop = new Workshop(app, 'lab', {
      title: 'T',
      description: 'D',
      capabilities: [new Terminal()],
      content: ContentSource.git('https://git.example.com/acme/lab.git', 'main', { credentials: { name: 'git-token', namespace: 'authors' } }),
    });
    new TrainingPortal(app, 'labs', { ingressDomain: 'example.test' }).addWorkshop(workshop, { capacity: 1 });
    const objects = synthesize(app).flatMap((f) => f.objects);
    const environment = objects.find((o) => o.kind === 'WorkshopEnvironment') as any;
    expect(environment.spec.environment.secrets).toContainEqual({ name: 'git-token', namespace: 'authors' });
    const deployment = environment.spec.session.objects.find((o: any) => o.kind === 'Deployment');
    const containers = deployment.spec.template.spec.containers as any[];
    const dashboard = containers.find((c) => c.name === 'dashboard');
    expect(dashboard.env).toEqual(
      expect.arrayContaining([
        { name: 'CONTENT_REGISTRY_USERNAME', valueFrom: { secretKeyRef: { name: 'git-token', key: 'username' } } },
        { name: 'CONTENT_REGISTRY_PASSWORD', valueFrom: { secretKeyRef: { name: 'git-token', key: 'password' } } },
      ]),
    );
    for (const other of containers.filter((c) => c.name !== 'dashboard')) {
      expect(JSON.stringify(other)).not.toContain('git-token');
    }
    const config = JSON.parse(
      environment.spec.session.objects.find((o: any) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')).data['dashboard.json'],
    );
    expect(config.content).toEqual({
      git: { url: 'https://git.example.com/acme/lab.git', ref: 'main', path: '.', credentials: { secret: 'git-token' } },
    });
  });
});
