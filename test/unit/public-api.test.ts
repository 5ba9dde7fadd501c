/**
 * The values the `cdk8s-workshops` package exports (src/index.ts): a deliberate list. A helper of the implementation
 * exported from its module (name checks, quantity parsing, blueprint rendering) stays internal; adding a value to
 * the public API means adding it here.
 */
import { describe, expect, it } from '@jest/globals';

import * as internal from '../../src/constructs/index.js';
import * as api from '../../src/index.js';

const PUBLIC = [
  'API_GROUP',
  'API_VERSION',
  'ARGOCD_HEALTH_CHECKS',
  'AdmissionRule',
  'Budget',
  'Capability',
  'CatalogVisibility',
  'Console',
  'ContentSource',
  'Difficulty',
  'Docker',
  'Editor',
  'EnvironmentVariables',
  'Examiner',
  'FileServer',
  'GitServer',
  'ImageRegistry',
  'METADATA_CIDRS',
  'Registration',
  'RequestParameter',
  'RequestTemplate',
  'SecurityPolicy',
  'SessionNamespace',
  'SessionRole',
  'SessionTemplate',
  'SessionVariables',
  'Slides',
  'Terminal',
  'TerminalLayout',
  'TrainingPortal',
  'WORKSHOP_UID',
  'Workshop',
  'WorkshopApp',
  'WorkshopEnvironment',
  'argoCdFiles',
  'registerKind',
  'restrictedContainer',
  'synthesize',
];

describe('the public API', () => {
  it('exports exactly the listed values', () => {
    expect(Object.keys(api).sort()).toEqual([...PUBLIC].sort());
  });

  it('keeps implementation helpers internal', () => {
    for (const name of ['checkDnsLabel', 'isDnsLabel', 'parseQuantity', 'renderSession', 'substituteVariables', 'lookupKind']) {
      expect({ name, internal: name in internal, public: name in api }).toEqual({ name, internal: true, public: false });
    }
  });

  it('exports every construct and factory the Educates importer writes into generated code', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const names = new Set<string>();
    for (const file of readdirSync('src/importer').filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(`src/importer/${file}`, 'utf8');
      for (const m of text.matchAll(/\b(?:lib|construct|factory)\('([A-Z]\w+)'/g)) names.add(m[1]);
      for (const m of text.matchAll(/\{ module: 'cdk8s-workshops', name: '(\w+)' \}/g)) names.add(m[1]);
    }
    expect(names.size).toBeGreaterThan(10);
    expect([...names].filter((n) => !(n in api)).sort()).toEqual([]);
  });
});
