/**
 * A portal of small workshops deployed to the test control plane, for runtime tests: synthesized with the
 * library like any author's portal (so the tests exercise real blueprints), then applied.
 */
import { App, Duration } from 'cdk8s';

import {
  type Manifest,
  type RequestParameter,
  type SecretReference,
  synthesize,
  Terminal,
  TrainingPortal,
  Workshop,
  type WorkshopSettings,
} from '../../src/constructs/index.js';
import { createLogger, type KubeClient, SessionRuntime, type SessionRuntimeOptions } from '../../src/runtime/index.js';
import { waitFor as waitUntil } from './wait.js';

export interface FixtureWorkshop extends WorkshopSettings {
  readonly name: string;
  /** Secrets copied into the environment, and from there into every session. */
  readonly secrets?: SecretReference[];
  readonly parameters?: RequestParameter[];
}

export interface Fixture {
  readonly portal: string;
  readonly files: Array<{ path: string; objects: Manifest[] }>;
  environment(workshop: string): string;
}

/** Synthesizes a portal of minimal workshops (a terminal each) with the given pool settings. */
export function synthPortal(
  portal: string,
  workshops: FixtureWorkshop[],
  limits: { maximum?: number; registered?: number } = {},
  variant = '',
): Fixture {
  const app = new App({ outdir: '/nonexistent' });
  const p = new TrainingPortal(app, portal, { maximumSessions: limits.maximum ?? 0, registeredSessions: limits.registered ?? 0 });
  for (const { name, secrets, parameters, ...settings } of workshops) {
    const w = new Workshop(app, name, {
      title: `Workshop ${name}`,
      description: 'A test workshop',
      capabilities: [new Terminal()],
      env: variant ? { VARIANT: variant } : undefined,
      environmentSecrets: secrets,
      requestParameters: parameters,
    });
    for (const secret of secrets ?? []) w.session.injectSecret(secret.name);
    p.addWorkshop(w, { capacity: 10, ...settings });
  }
  return { portal, files: synthesize(app), environment: (workshop) => `${portal}-${workshop}` };
}

/** Applies every object of a fixture (CRDs and cluster roles included; applying twice is harmless). */
export async function applyFixture(client: KubeClient, fixture: Fixture): Promise<void> {
  for (const file of fixture.files) {
    for (const object of file.objects) await client.apply(object);
    // objects of a CRD can be applied once the API server serves it
    for (const crd of file.objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
      await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
        const live = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
          'apiextensions.k8s.io/v1',
          'CustomResourceDefinition',
          crd.metadata.name,
        );
        return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      });
    }
  }
}

/** A runtime for a fixture, with fast timers. */
export function runtimeFor(client: KubeClient, fixture: Fixture, options: Partial<SessionRuntimeOptions> = {}): SessionRuntime {
  return new SessionRuntime(client, {
    portal: fixture.portal,
    portalNamespace: `${fixture.portal}-ui`,
    limits: { maximum: 0, registered: 0, anonymous: 0 },
    tickMs: 200,
    idleAfterSeconds: 2,
    leaseDurationSeconds: 4,
    logger: createLogger('test', process.env.LOG_LEVEL ?? 'silent'),
    ...options,
  });
}

export const seconds = Duration.seconds;

/** The shared `waitFor` (support/wait.ts), probing every 200 ms: many probes here ask the API server. */
export function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  return waitUntil(what, probe, { timeoutMs, everyMs: 200 });
}
