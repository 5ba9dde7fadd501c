// Synthesizes the workshop in memory (nothing is written) and checks what a portal would deploy.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { WorkshopApp, synthesize } from 'cdk8s-workshops';
import { defineApp } from '../workshop.js';

test('the workshop synthesizes into a portal and one environment with a terminal', () => {
  const files = synthesize(defineApp(new WorkshopApp({ outdir: '/nonexistent' })));
  const paths = files.map((f) => f.path);
  assert.ok(paths.includes('dev/portal.k8s.yaml'), `no portal in ${paths.join(', ')}`);
  assert.ok(paths.includes('dev/{{name}}/environment.k8s.yaml'), `no environment in ${paths.join(', ')}`);

  const environment = files.flatMap((f) => f.objects).find((o) => o.kind === 'WorkshopEnvironment');
  assert.ok(environment);
  const spec = environment.spec as { workshop: { title: string }; session: { objects: Array<{ kind: string }> } };
  assert.equal(spec.workshop.title, '{{title}}');
  assert.ok(spec.session.objects.some((o) => o.kind === 'Deployment'), 'the session has no Deployment for its dashboard');
});

test('every page of the instructions has a title', () => {
  const dir = new URL('../workshop/content/', import.meta.url);
  const pages = fs.readdirSync(dir).filter((f) => f.endsWith('.md'));
  assert.ok(pages.length >= 2);
  for (const page of pages) {
    assert.match(fs.readFileSync(new URL(page, dir), 'utf8'), /^---\n(.*\n)*title: .+\n(.*\n)*---\n/, `${page} has no title`);
  }
});
