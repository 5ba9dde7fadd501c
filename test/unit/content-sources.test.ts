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

describe('SSH keys, sha256 pins and several sources', () => {
  test('an http archive pinned by sha256; bad pins are named', () => {
    const digest = 'a'.repeat(64);
    expect(ContentSource.http('https://example.com/lab.tar.gz', { sha256: `sha256:${digest}` }).toJson()).toEqual({
      http: { url: 'https://example.com/lab.tar.gz', path: '.', sha256: digest },
    });
    expect(() => ContentSource.http('https://example.com/lab.tar.gz', { sha256: 'ABC' })).toThrow(
      `ContentSource.http: sha256 "ABC" must be the archive's sha256: 64 lower-case hexadecimal digits`,
    );
  });

  test('an SSH URL needs a Secret with the key and the known hosts', () => {
    expect(() => ContentSource.git('git@github.com:acme/lab.git')).toThrow(
      "ContentSource.git: 'git@github.com:acme/lab.git' is reached over SSH, so it needs credentials: a Secret with 'ssh-privatekey' and 'ssh-knownhosts'",
    );
    expect(
      ContentSource.git('ssh://git@git.example.com/acme/lab.git', 'main', { credentials: { name: 'deploy-key', namespace: 'authors' } }).toJson(),
    ).toEqual({ git: { url: 'ssh://git@git.example.com/acme/lab.git', ref: 'main', path: '.', credentials: { secret: 'deploy-key' } } });
  });

  test('several sources: each into its own folder, none overlapping; mistakes named', () => {
    const several = ContentSource.several([
      ContentSource.image('ghcr.io/acme/lab-files:1.0', { into: 'workshop' }),
      ContentSource.git('https://github.com/acme/app.git', 'v2', { path: 'src', into: 'exercises/app/' }),
    ]);
    expect(several.toJson()).toEqual({
      sources: [
        { image: { ref: 'ghcr.io/acme/lab-files:1.0', into: 'workshop' } },
        { git: { url: 'https://github.com/acme/app.git', ref: 'v2', path: 'src', into: 'exercises/app' } },
      ],
    });
    const image = ContentSource.image('ghcr.io/acme/lab-files:1.0', { into: 'exercises' });
    expect(() => ContentSource.several([image])).toThrow('ContentSource.several: give two or more sources (one source needs no list)');
    expect(() => ContentSource.several([image, ContentSource.git('https://github.com/acme/app.git', 'main', { into: 'exercises/app' })])).toThrow(
      "ContentSource.several: sources[1] into 'exercises/app' overlaps the folder 'exercises' of an earlier source; give each its own folder",
    );
    // one source may fill the root, the others their folders in it; not two roots
    const root = ContentSource.git('https://github.com/acme/app.git');
    expect(ContentSource.several([root, image]).toJson()).toEqual({
      sources: [
        { git: { url: 'https://github.com/acme/app.git', ref: 'main', path: '.' } },
        { image: { ref: 'ghcr.io/acme/lab-files:1.0', into: 'exercises' } },
      ],
    });
    expect(() => ContentSource.several([root, image, root])).toThrow(
      "ContentSource.several: sources[2] has no 'into', as an earlier one: only one source fills the root; give the others a folder, e.g. 'exercises/app'",
    );
    expect(() => ContentSource.image('ghcr.io/acme/lab-files:1.0', { into: '../up' })).toThrow(
      `ContentSource.image: into "../up" must be a folder inside the content such as exercises/app (relative, no '..')`,
    );
    expect(() => ContentSource.several([ContentSource.embedded(), image])).toThrow(
      'ContentSource.several: sources[0] must be one ContentSource.image, .git or .http (not embedded, not several)',
    );
  });

  test("the dashboard's settings take several sources and refuse overlapping folders", () => {
    const base = { workshop: { name: 'w', title: 'W' } };
    const sources = [{ image: { ref: 'r.example/x:1', into: 'workshop' } }, { git: { url: 'https://x/y.git', into: 'exercises' } }];
    expect(parseConfig({ ...base, content: { sources } }).content).toEqual({ sources });
    expect(() => parseConfig({ ...base, content: { sources: [sources[0], { git: { url: 'https://x/y.git', into: 'workshop/app' } }] } })).toThrow(
      `dashboard.json: 'content.sources[1].into' ("workshop/app") must be a folder of its own: 'workshop' is filled by an earlier source, and sources may not overlap (one may fill the root, '.')`,
    );
    expect(() => parseConfig({ ...base, content: { sources: [] } })).toThrow(
      `dashboard.json: 'content.sources' ([]) must be a non-empty list of {image|git|http: {…, into}}`,
    );
    expect(() => parseConfig({ ...base, content: { http: { url: 'https://x/a.tar.gz', sha256: 'nope' } } })).toThrow(
      `dashboard.json: 'content.http.sha256' ("nope") must be the 64 hexadecimal digits of the archive's sha256`,
    );
  });

  test("each source's Secret reaches the dashboard container under its own names: SSH keys as ssh-privatekey/ssh-knownhosts", async () => {
    const { App } = await import('cdk8s');
    const { Terminal, TrainingPortal, Workshop, synthesize } = await import('../../src/constructs/index.js');
    const app = new App();
    const workshop = new Workshop(app, 'lab', {
      title: 'T',
      description: 'D',
      capabilities: [new Terminal()],
      content: ContentSource.several([
        ContentSource.git('git@git.example.com:acme/lab.git', 'main', {
          credentials: { name: 'deploy-key', namespace: 'authors' },
          into: 'workshop',
        }),
        ContentSource.http('https://example.com/app.tar.gz', { credentials: { name: 'web-token', namespace: 'authors' }, into: 'exercises' }),
      ]),
    });
    new TrainingPortal(app, 'labs', { ingressDomain: 'example.test' }).addWorkshop(workshop, { capacity: 1 });
    const environment = synthesize(app)
      .flatMap((f) => f.objects)
      .find((o) => o.kind === 'WorkshopEnvironment') as any;
    expect(environment.spec.environment.secrets).toEqual(
      expect.arrayContaining([
        { name: 'deploy-key', namespace: 'authors' },
        { name: 'web-token', namespace: 'authors' },
      ]),
    );
    const containers = environment.spec.session.objects.find((o: any) => o.kind === 'Deployment').spec.template.spec.containers as any[];
    const env = containers.find((c) => c.name === 'dashboard').env.filter((e: any) => e.name.startsWith('CONTENT_'));
    expect(env).toEqual([
      { name: 'CONTENT_SSH_PRIVATE_KEY', valueFrom: { secretKeyRef: { name: 'deploy-key', key: 'ssh-privatekey' } } },
      { name: 'CONTENT_SSH_KNOWN_HOSTS', valueFrom: { secretKeyRef: { name: 'deploy-key', key: 'ssh-knownhosts' } } },
      { name: 'CONTENT_REGISTRY_USERNAME_1', valueFrom: { secretKeyRef: { name: 'web-token', key: 'username' } } },
      { name: 'CONTENT_REGISTRY_PASSWORD_1', valueFrom: { secretKeyRef: { name: 'web-token', key: 'password' } } },
    ]);
    for (const other of containers.filter((c) => c.name !== 'dashboard')) expect(JSON.stringify(other)).not.toMatch(/deploy-key|web-token/);
  });

  test('the dashboard reads them back by source, and the learner never gets them', async () => {
    const { contentCredentialsFromEnv } = await import('../../src/dashboard/content-sync.js');
    const { learnerEnvironment } = await import('../../src/dashboard/learner-environment.js');
    const env = {
      CONTENT_SSH_PRIVATE_KEY: 'KEY',
      CONTENT_SSH_KNOWN_HOSTS: 'HOSTS',
      CONTENT_REGISTRY_USERNAME_2: 'u',
      CONTENT_REGISTRY_PASSWORD_2: 'p',
      PATH: '/bin',
    };
    expect(contentCredentialsFromEnv(env)).toEqual([{ sshPrivateKey: 'KEY', sshKnownHosts: 'HOSTS' }, undefined, { username: 'u', password: 'p' }]);
    expect(learnerEnvironment(env)).toEqual({ PATH: '/bin' });
  });
});
