/**
 * `workshops validate` finds the fields the API server's strict field validation refuses (and so Argo CD's
 * server-side apply: test/integration/argocd.test.ts shows the same mistake failing a sync), in built-in kinds, in
 * custom resources (by the CRDs synthesized with them) and in the objects a WorkshopEnvironment carries for the
 * runtime; the examples have none.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { validateCommand } from '../../src/cli/commands/validate.js';
import { CliError } from '../../src/cli/errors.js';
import { describeUnknownField, unknownFields } from '../../src/cli/field-check.js';
import { argoCdFiles, type Manifest } from '../../src/constructs/index.js';
import { synthExamples } from '../support/examples.js';

const ROOT = path.resolve('.');

describe('unknown fields', () => {
  const files = synthExamples();
  const objects = files.flatMap((f) => f.objects);
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');

  test('the examples (and their dist/argocd/) have none', () => {
    expect(unknownFields([...objects, ...argoCdFiles(files, { repoURL: 'git://127.0.0.1/w.git' }).flatMap((f) => f.objects)])).toEqual([]);
  });

  test('a misspelt field of a built-in kind, deep in a list, names the object, the path and what is allowed', () => {
    const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment')!) as Manifest & { spec: any };
    deployment.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    const [problem, ...rest] = unknownFields([deployment]);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({
      object: 'Deployment labs-ui/training-portal',
      path: 'spec.template.spec.containers[0].imagePullPolicyy',
      field: 'imagePullPolicyy',
      suggestion: 'imagePullPolicy',
      owner: 'Kubernetes 1.34 Container',
    });
    expect(problem.allowed).toContain('imagePullPolicy');
    expect(describeUnknownField(problem)).toMatch(
      /^Deployment labs-ui\/training-portal: unknown field 'spec\.template\.spec\.containers\[0\]\.imagePullPolicyy' \(did you mean 'imagePullPolicy'\? Kubernetes 1\.34 Container has: args, command, /,
    );
  });

  test('custom resources by their CRD; map keys are data, not fields; preserved fields are free', () => {
    const environment = structuredClone(objects.find((o) => o.kind === 'WorkshopEnvironment')!) as Manifest & { spec: any };
    environment.spec.pool.capacty = 3;
    environment.metadata.labels = { ...environment.metadata.labels, 'any-key': 'x' };
    const configMap: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { whatever: 'x' } };
    expect(unknownFields([environment, configMap], crds).map((p) => [p.object, p.path, p.suggestion, p.owner])).toEqual([
      [
        `WorkshopEnvironment ${environment.metadata.name}`,
        'spec.pool.capacty',
        'capacity',
        'the schema of CRD workshopenvironments.training.cdk8s-workshops.dev',
      ],
    ]);
    // without the CRD the kind is not known: not checked
    expect(unknownFields([environment])).toEqual([]);
  });

  test('the objects an environment carries for its sessions are checked too', () => {
    const environment = structuredClone(objects.find((o) => o.kind === 'WorkshopEnvironment')!) as Manifest & { spec: any };
    const quota = environment.spec.session.objects.find((o: Manifest) => o.kind === 'ResourceQuota');
    quota.spec.hardd = quota.spec.hard;
    expect(unknownFields([environment], crds).map((p) => [p.object, p.path])).toEqual([
      [
        `WorkshopEnvironment ${environment.metadata.name} session object ResourceQuota ${quota.metadata.namespace}/${quota.metadata.name}`,
        'spec.hardd',
      ],
    ]);
  });
});

describe('workshops validate', () => {
  let dir = '';
  const cwd = process.cwd();
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-fields-'));
    fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), `app: ${ROOT}/node_modules/.bin/tsx app.ts\noutput: dist\n`);
    // the examples, plus an object written by hand in the portal with a misspelt `immutable`
    fs.writeFileSync(
      path.join(dir, 'app.ts'),
      [
        `import { ApiObject } from '${ROOT}/node_modules/cdk8s/lib/index.js';`,
        `import { WorkshopApp } from '${ROOT}/src/constructs/index.js';`,
        `import { defineExamples } from '${ROOT}/examples/index.js';`,
        `const app = new WorkshopApp();`,
        `const portal = defineExamples(app);`,
        `new ApiObject(portal, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lab-settings', namespace: 'labs-ui' }, data: { a: 'b' }, immutabel: true });`,
        `app.synth();`,
      ].join('\n'),
    );
  });
  afterAll(() => {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('fails, naming the file, the object and the field', async () => {
    process.chdir(dir);
    const printed: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => (printed.push(String(chunk)), true)) as typeof process.stdout.write;
    let error: unknown;
    try {
      await validateCommand().parseAsync([], { from: 'user' });
    } catch (e) {
      error = e;
    } finally {
      process.stdout.write = write;
      process.chdir(cwd);
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(/^1 problem \(0 workshop folders, \d+ objects synthesized\)$/);
    expect(printed.join('').split('\n').filter(Boolean)).toEqual([
      "dist/labs/portal.k8s.yaml: ConfigMap labs-ui/lab-settings: unknown field 'immutabel' (did you mean 'immutable'? Kubernetes 1.34 ConfigMap has: " +
        "apiVersion, binaryData, data, immutable, kind, metadata); the API server's strict field validation, and so an Argo CD sync, refuses it",
    ]);
    // dist/ is left alone
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
  }, 180_000);
});
