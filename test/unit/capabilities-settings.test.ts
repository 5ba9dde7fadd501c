/**
 * What the FileServer and GitServer capabilities tell the session dashboard (dashboard.json), and the refusals of
 * bad settings: each names the field, the value and what is allowed.
 */
import { App } from 'cdk8s';

import { FileServer, GitServer, type Manifest, resolveWorkshop, Terminal, Workshop } from '../../src/constructs/index.js';

function dashboardJson(capabilities: Array<FileServer | GitServer | Terminal>): { settings: Record<string, any> } & Record<string, any> {
  const app = new App();
  const w = new Workshop(app, 'caps', { title: 'T', description: 'D', capabilities });
  const objects: Manifest[] = resolveWorkshop(w).sessionObjects;
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && (o as any).data?.['dashboard.json']) as any;
  return JSON.parse(configMap.data['dashboard.json']);
}

test('FileServer: uploads with a size limit in bytes or Ki/Mi/Gi, and a file count', () => {
  expect(dashboardJson([new Terminal(), new FileServer({ maxUploadSize: '10Mi', maxUploadFiles: 5 })]).settings.files).toEqual({
    directory: '.',
    uploads: true,
    uploadDirectory: 'uploads',
    maxUploadBytes: 10 * 1024 * 1024,
    maxUploadFiles: 5,
  });
  expect(dashboardJson([new FileServer({ maxUploadSize: 2048, uploads: true, uploadDirectory: 'in' })]).settings.files).toMatchObject({
    maxUploadBytes: 2048,
    uploadDirectory: 'in',
  });
  // without a limit the dashboard's default (100 MiB) applies
  expect(dashboardJson([new FileServer()]).settings.files).not.toHaveProperty('maxUploadBytes');
});

test.each([
  [
    { maxUploadSize: '10MB' },
    `FileServer: 'maxUploadSize' ("10MB") must be a whole number of bytes of at least 1, or a size such as '10Mi' (Ki, Mi, Gi)`,
  ],
  [{ maxUploadSize: 0 }, `FileServer: 'maxUploadSize' (0) must be a whole number of bytes of at least 1, or a size such as '10Mi' (Ki, Mi, Gi)`],
  [{ maxUploadFiles: 0 }, `FileServer: 'maxUploadFiles' (0) must be a whole number of at least 1`],
  [{ uploadDirectory: '../up' }, `FileServer: 'uploadDirectory' ("../up") must be relative to the home directory and stay inside it`],
  [{ uploadDirectory: '/tmp/up' }, `FileServer: 'uploadDirectory' ("/tmp/up") must be relative to the home directory and stay inside it`],
])('FileServer(%j) is refused', (props, message) => {
  expect(() => new FileServer(props)).toThrow(message);
});

test('GitServer: the dashboard serves repositories from its own disk; the learner has the port and credentials', () => {
  const app = new App();
  const w = new Workshop(app, 'git', { title: 'T', description: 'D', capabilities: [new Terminal(), new GitServer()] });
  const objects: Manifest[] = resolveWorkshop(w).sessionObjects;
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && (o as any).data?.['dashboard.json']) as any;
  const dashboard = JSON.parse(configMap.data['dashboard.json']);
  expect(dashboard.settings.git).toEqual({ port: 10087, repositories: '/tmp/workshop-git' });
  expect(dashboard.routes).toContainEqual(expect.objectContaining({ name: 'git', port: 10087, authenticated: false }));
  const pod = (objects.find((o) => o.kind === 'Deployment') as any).spec.template.spec;
  const workshop = pod.containers.find((c: { name: string }) => c.name === 'workshop');
  expect(workshop.env.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['GIT_HOST', 'GIT_PORT', 'GIT_USERNAME', 'GIT_PASSWORD']));
});
