/**
 * What every part of the runtime reads: watch-backed caches of the portal's environments, its sessions, the
 * sessions' Deployments and namespaces, and per environment the compiled blueprint (recompiled when the
 * environment's generation changes).
 */
import { API_VERSION, CompiledBlueprint, Labels, Manifest, MANAGED_BY, SessionBlueprint } from '../constructs/index.js';
import { Informer } from './informer.js';
import { KubeClient } from './kube-client.js';
import { PoolSettings, WorkshopSession, isLive } from './session.js';

export interface WorkshopEnvironmentSpec {
  workshop: { name: string; title: string; description: string; [key: string]: unknown };
  portal: { name: string; namespace: string; alias?: string; ingressDomain: string; ingressProtocol: string };
  pool: PoolSettings;
  request?: { parameters?: Array<{ name: string; value?: string; generate?: { pattern: string } }> };
  environment?: { secrets?: Array<{ name: string; namespace: string }> };
  session: SessionBlueprint & { variables?: string[] };
}

export type WorkshopEnvironment = Manifest & { spec: WorkshopEnvironmentSpec; status?: { phase?: string; initialized?: boolean } };

/** Limits of the portal as a whole (the TrainingPortal's `sessions`). */
export interface PortalLimits {
  /** Most live sessions across all environments; 0 for none. */
  readonly maximum: number;
  /** Most sessions a registered learner holds at once; 0 for none. */
  readonly registered: number;
  /** Most sessions an anonymous learner holds at once; 0 for none. */
  readonly anonymous: number;
}

interface Compiled {
  generation: number;
  blueprint: CompiledBlueprint;
  deployments: Array<{ namespace: string; name: string }>;
}

export class RuntimeState {
  public readonly environments: Informer<WorkshopEnvironment>;
  public readonly sessions: Informer<WorkshopSession>;
  public readonly deployments: Informer<Manifest & { status?: { conditions?: Array<{ type: string; status: string }> } }>;
  public readonly namespaces: Informer;
  private readonly compiled = new Map<string, Compiled>();

  constructor(public readonly client: KubeClient, public readonly portal: string, public readonly limits: PortalLimits) {
    const portalSelector = `${Labels.PORTAL}=${portal}`;
    this.environments = new Informer(client, API_VERSION, 'WorkshopEnvironment', { labelSelector: portalSelector });
    this.sessions = new Informer(client, API_VERSION, 'WorkshopSession', { labelSelector: portalSelector });
    const sessionSelector = `${Labels.COMPONENT}=session,${Labels.MANAGED_BY}=${MANAGED_BY}`;
    this.deployments = new Informer(client, 'apps/v1', 'Deployment', { labelSelector: sessionSelector });
    this.namespaces = new Informer(client, 'v1', 'Namespace', { labelSelector: sessionSelector });
  }

  public async start(): Promise<void> {
    await Promise.all([this.environments.start(), this.sessions.start(), this.deployments.start(), this.namespaces.start()]);
  }

  public stop(): void {
    for (const informer of [this.environments, this.sessions, this.deployments, this.namespaces]) informer.stop();
  }

  public environment(name: string): WorkshopEnvironment | undefined {
    return this.environments.get(name);
  }

  /** The environment's blueprint, compiled once per generation. */
  public blueprint(environment: WorkshopEnvironment): Compiled {
    const generation = Number(environment.metadata.generation ?? 0);
    const known = this.compiled.get(environment.metadata.name);
    if (known && known.generation === generation) return known;
    const spec = environment.spec.session;
    const blueprint = new CompiledBlueprint({ objects: spec.objects, secrets: spec.secrets ?? [] });
    const deployments = spec.objects
      .filter((o) => o.kind === 'Deployment')
      .map((o) => ({ namespace: String(o.metadata.namespace), name: o.metadata.name }));
    const entry = { generation, blueprint, deployments };
    this.compiled.set(environment.metadata.name, entry);
    return entry;
  }

  /** Whether every Deployment the session's blueprint has is Available. */
  public deploymentsAvailable(session: WorkshopSession, environment: WorkshopEnvironment): boolean {
    const name = session.metadata.name;
    return this.blueprint(environment).deployments.every((d) => {
      const live = this.deployments.get(d.name.split('$(session_name)').join(name), d.namespace.split('$(session_namespace)').join(name));
      return live?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
    });
  }

  /** The session's Deployments that live outside its namespaces (its workshop pod's, in the environment namespace), as cached. */
  public deploymentsOutside(session: WorkshopSession): Array<{ namespace: string; name: string }> {
    const environment = this.environment(session.spec.environment);
    if (!environment) return [];
    const name = session.metadata.name;
    return this.blueprint(environment).deployments
      .filter((d) => !d.namespace.includes('$(session_namespace)'))
      .map((d) => ({ namespace: d.namespace, name: d.name.split('$(session_name)').join(name) }))
      .filter((d) => this.deployments.get(d.name, d.namespace));
  }

  public sessionsOf(environment: string): WorkshopSession[] {
    return this.sessions.list().filter((s) => s.spec.environment === environment);
  }

  public liveSessions(): WorkshopSession[] {
    return this.sessions.list().filter(isLive);
  }
}
