import * as fs from 'node:fs';
import * as path from 'node:path';

import { lookupKind, toYaml } from '../../src/constructs/index.js';
import { environments, renderSample, synthExamples } from '../support/examples.js';

const DIST = path.resolve('dist');

/** kubernetes-models validator for a group/version/kind, or undefined for kinds it has no schema for (our CRs). */
async function validatorFor(apiVersion: string, kind: string): Promise<(((o: unknown) => boolean) & { errors?: unknown }) | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const prefix: Record<string, string> = {
    '': 'IoK8sApiCoreV',
    apps: 'IoK8sApiAppsV',
    'networking.k8s.io': 'IoK8sApiNetworkingV',
    'rbac.authorization.k8s.io': 'IoK8sApiRbacV',
    policy: 'IoK8sApiPolicyV',
    'apiextensions.k8s.io': 'IoK8sApiextensionsApiserverPkgApisApiextensionsV',
    'admissionregistration.k8s.io': 'IoK8sApiAdmissionregistrationV',
  };
  if (!(group in prefix)) return undefined;
  const id = `${prefix[group]}${version.slice(1)}${kind}`;
  const mod = await import(`kubernetes-models/_schemas/${id}`);
  return mod.validate;
}

describe('dist/', () => {
  const files = synthExamples();

  test('is up to date with the examples (run `npm run synth` after changing them)', () => {
    const committed = fs.existsSync(DIST)
      ? fs
          .readdirSync(DIST, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.k8s.yaml'))
          .sort()
      : [];
    expect(committed).toEqual(files.map((f) => f.path).sort());
    for (const file of files) {
      expect(`${file.path}:\n${fs.readFileSync(path.join(DIST, file.path), 'utf8')}`).toEqual(`${file.path}:\n${toYaml(file)}`);
    }
  });

  test('synthesis is byte-for-byte deterministic', () => {
    const again = synthExamples();
    expect(again.map(toYaml)).toEqual(files.map(toYaml));
  });

  test('lays out a cluster folder, a portal folder and a folder per environment', () => {
    expect(files.map((f) => f.path).sort()).toEqual([
      'cluster/admission-policies.k8s.yaml',
      'cluster/crds.k8s.yaml',
      'cluster/session-roles.k8s.yaml',
      'labs/container-builds/environment.k8s.yaml',
      'labs/hello-terminal/environment.k8s.yaml',
      'labs/k8s-fundamentals/environment.k8s.yaml',
      'labs/portal.k8s.yaml',
    ]);
  });

  const renderedSessions = async () => (await Promise.all(environments(files).map((e) => renderSample(e)))).flat();

  test('namespaced objects carry a namespace and cluster-scoped ones never do, in dist/ and in rendered sessions', async () => {
    const all = [...files.flatMap((f) => f.objects), ...(await renderedSessions())];
    for (const object of all) {
      const info = lookupKind(object.apiVersion, object.kind);
      expect({ object: `${object.kind} ${object.metadata.name}`, namespaced: !!object.metadata.namespace }).toEqual({
        object: `${object.kind} ${object.metadata.name}`,
        namespaced: info!.namespaced,
      });
    }
  });

  test('CRDs and namespaces come first in their files, with sync waves', () => {
    for (const file of files) {
      const waves = file.objects.map((o) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0));
      expect(waves).toEqual([...waves].sort((a, b) => a - b));
      const namespaceAt = file.objects.findIndex((o) => o.kind === 'Namespace');
      const firstNamespaced = file.objects.findIndex((o) => !!o.metadata.namespace);
      if (namespaceAt !== -1) expect(namespaceAt).toBeLessThan(firstNamespaced);
    }
    expect(
      files[0].objects.every((o) => o.kind === 'CustomResourceDefinition' && o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] === '-20'),
    ).toBe(true);
  });

  test('every object, and every object of a rendered session, passes the Kubernetes schemas', async () => {
    const all = [...files.flatMap((f) => f.objects), ...(await renderedSessions())];
    let checked = 0;
    for (const object of all) {
      const validate = await validatorFor(object.apiVersion, object.kind);
      if (!validate) {
        expect(object.apiVersion).toBe('training.cdk8s-workshops.dev/v1alpha1');
        continue;
      }
      const ok = validate(object);
      expect({ object: `${object.kind} ${object.metadata.name}`, errors: ok ? null : validate.errors }).toEqual({
        object: `${object.kind} ${object.metadata.name}`,
        errors: null,
      });
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
    // and the validators do refuse a bad object
    const deployment = await validatorFor('apps/v1', 'Deployment');
    expect(deployment!({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two' } })).toBe(false);
  });

  test('a rendered session has no variables left', async () => {
    for (const environment of environments(files)) {
      expect(JSON.stringify(await renderSample(environment))).not.toMatch(/\$\([a-z_]+\)/);
    }
  });
});
