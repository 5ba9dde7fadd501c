/**
 * The portal's image and the Deployment that runs it, without a Docker engine: every path the Dockerfile copies
 * exists, the file its CMD runs is what the build produces, and the TrainingPortal's container runs that same
 * file with probes on the portal's endpoints and no secret in the synthesized YAML.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { App } from 'cdk8s';

import { synthesize, Terminal, TrainingPortal, Workshop } from '../../src/constructs/index.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '../..');
const dockerfile = fs.readFileSync(path.join(root, 'images/portal/Dockerfile'), 'utf8');
const instructions = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

describe('images/portal/Dockerfile', () => {
  test('GIVEN the build context is the repository root THEN every COPY source exists', () => {
    const copies = instructions.filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l));
    expect(copies.length).toBeGreaterThan(0);
    for (const line of copies) {
      const parts = line.replace(/^COPY\s+/, '').split(/\s+/);
      for (const source of parts.slice(0, -1)) expect([source, fs.existsSync(path.join(root, source))]).toEqual([source, true]);
    }
    // and the .dockerignore lets each of them through
    const ignore = fs.readFileSync(path.join(root, 'images/portal/Dockerfile.dockerignore'), 'utf8');
    for (const source of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignore).toContain(`!${source}`);
    expect(ignore).toContain('!src/**');
  });

  test('GIVEN the CMD THEN it runs lib/apps/portal.js, which the build compiles from src/apps/portal.ts', () => {
    const cmd = instructions.find((l) => l.startsWith('CMD'))!;
    expect(JSON.parse(cmd.slice(3).trim())).toEqual(['node', 'lib/apps/portal.js']);
    const build = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'lib' });
    expect(build.include).toContain('src/**/*.ts');
    expect(build.exclude ?? []).not.toContain('src/apps/portal.ts');
    expect(fs.existsSync(path.join(root, 'src/apps/portal.ts'))).toBe(true);
    expect(instructions).toEqual(
      expect.arrayContaining(['RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund', 'USER 1001:1001', 'EXPOSE 8080']),
    );
    expect(instructions.filter((l) => l.startsWith('FROM')).every((l) => l.includes('node:20-bookworm-slim'))).toBe(true);
  });
});

describe('TrainingPortal Deployment', () => {
  const app = new App({ outdir: '/nonexistent' });
  const portal = new TrainingPortal(app, 'labs', { replicas: 2 });
  portal.addWorkshop(new Workshop(app, 'w', { title: 'W', description: 'd', capabilities: [new Terminal()] }), { capacity: 2 });
  const objects = synthesize(app).flatMap((f) => f.objects);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'training-portal') as any;
  const container = deployment.spec.template.spec.containers[0];

  test("GIVEN the defaults THEN two replicas run the image's portal entry behind one Service", () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(container.command).toEqual(['node', '/app/lib/apps/portal.js']);
    expect(objects.filter((o) => o.kind === 'Service' && o.metadata.namespace === 'labs-ui')).toHaveLength(1);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 8080 });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
  });

  test('GIVEN the env THEN it names the portal, its URL and the credentials Secret, and carries no secret value', () => {
    const env = Object.fromEntries(container.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      PORTAL_NAME: 'labs',
      PORTAL_NAMESPACE: 'labs-ui',
      PORTAL_URL: 'http://labs-ui.workshops.127-0-0-1.test',
      SECURE_COOKIES: 'false',
      PORTAL_CREDENTIALS_SECRET: 'training-portal-credentials',
    });
    expect(Object.keys(env).filter((k) => /PASSWORD|SECRET$/.test(k) && k !== 'PORTAL_CREDENTIALS_SECRET')).toEqual([]);
    expect(objects.some((o) => o.kind === 'Secret' && o.metadata.namespace === 'labs-ui')).toBe(false);
  });
});
