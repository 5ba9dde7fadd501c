/**
 * What every part of the runtime reads: watch-backed caches of the portal's environments, its sessions, the
 * sessions' namespaces and the Deployments of the environment namespaces (the workshop pods), and per environment
 * the compiled blueprint (recompiled when the environment's generation changes).
 *
 * Nothing a learner can write is cached: Deployments in session namespaces are read one by one while their session
 * starts, by name, so a learner's own Deployments (whatever their labels) cost the portal no memory, and the portal
 * needs no right to read Deployments outside its namespaces.
 */
import { EventEmitter } from 'node:events';

import { API_VERSION, CompiledBlueprint, Labels, MANAGED_BY, type Manifest, type SessionBlueprint } from '../constructs/index.js';
import { Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { isLive, type PoolSettings, type WorkshopSession } from './session.js';

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

type Deployment = Manifest & { status?: { conditions?: Array<{ type: string; status: string }> } };

/**
 * Deployments of the namespaces outside the sessions where blueprints put them (the environment namespaces), one
 * namespaced watch each, started as environments appear. Emits `change` like an Informer.
 */
export class OutsideDeployments extends EventEmitter {
  private readonly informers = new Map<string, Informer<Deployment>>();
  /** When listing a namespace last failed: it is tried again only after a while. */
  private readonly failedAt = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly labelSelector: string,
  ) {
    super();
    this.setMaxListeners(100);
  }

  /** Watches these namespaces (and keeps watching the ones it had); resolves once each has been listed. */
  public async watch(namespaces: Iterable<string>): Promise<void> {
    const starting: Array<Promise<void>> = [];
    for (const namespace of namespaces) {
      if (this.stopped || this.informers.has(namespace) || Date.now() - (this.failedAt.get(namespace) ?? 0) < 5_000) continue;
      const informer = new Informer<Deployment>(this.client, 'apps/v1', 'Deployment', { namespace, labelSelector: this.labelSelector });
      informer.on('change', (...args: unknown[]) => this.emit('change', ...args));
      this.informers.set(namespace, informer);
      starting.push(
        informer.start().catch((error: unknown) => {
          // listed again with the next environment change
          this.informers.delete(namespace);
          this.failedAt.set(namespace, Date.now());
          informer.stop();
          throw error;
        }),
      );
    }
    await Promise.all(starting);
  }

  public get(name: string, namespace: string): Deployment | undefined {
    return this.informers.get(namespace)?.get(name, namespace);
  }

  /** The namespaces watched, sorted. */
  public get namespaces(): string[] {
    return [...this.informers.keys()].sort();
  }

  public stop(): void {
    this.stopped = true;
    for (const informer of this.informers.values()) informer.stop();
  }
}

export class RuntimeState {
  public readonly environments: Informer<WorkshopEnvironment>;
  public readonly sessions: Informer<WorkshopSession>;
  /** Deployments of the environment namespaces: the sessions' workshop pods. */
  public readonly deployments: OutsideDeployments;
  public readonly namespaces: Informer;
  private readonly compiled = new Map<string, Compiled>();
  /** Per starting session: when its Deployments in its namespaces were last read, and which were Available. */
  private readonly sessionChecks = new Map<string, { at: number; available: Set<string> }>();

  constructor(
    public readonly client: KubeClient,
    public readonly portal: string,
    public readonly limits: PortalLimits,
  ) {
    const portalSelector = `${Labels.PORTAL}=${portal}`;
    this.environments = new Informer(client, API_VERSION, 'WorkshopEnvironment', { labelSelector: portalSelector });
    this.sessions = new Informer(client, API_VERSION, 'WorkshopSession', { labelSelector: portalSelector });
    const sessionSelector = `${Labels.COMPONENT}=session,${Labels.MANAGED_BY}=${MANAGED_BY}`;
    this.deployments = new OutsideDeployments(client, sessionSelector);
    this.namespaces = new Informer(client, 'v1', 'Namespace', { labelSelector: sessionSelector });
  }

  public async start(): Promise<void> {
    await Promise.all([this.environments.start(), this.sessions.start(), this.namespaces.start()]);
    // an environment namespace whose Role is not there yet is watched later: the reconciler asks again on every pass
    await this.watchOutsideDeployments().catch(() => undefined);
    this.environments.on('change', () => void this.watchOutsideDeployments().catch(() => undefined));
  }

  /** Watches the Deployments of every namespace outside the sessions that a blueprint puts some in. */
  public watchOutsideDeployments(): Promise<void> {
    return this.deployments.watch(this.outsideNamespaces());
  }

  public stop(): void {
    for (const informer of [this.environments, this.sessions, this.deployments, this.namespaces]) informer.stop();
  }

  /** The namespaces outside the sessions where the environments' blueprints put Deployments. */
  private outsideNamespaces(): Set<string> {
    const namespaces = new Set<string>();
    for (const environment of this.environments.list()) {
      for (const d of this.blueprint(environment).deployments) if (!d.namespace.includes('$(')) namespaces.add(d.namespace);
    }
    return namespaces;
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

  /**
   * Reads the Deployments the session has in its own namespaces, at most once a second per session, remembering
   * those that were Available (for `deploymentsAvailable`).
   */
  public async checkSessionDeployments(session: WorkshopSession, environment: WorkshopEnvironment, now = Date.now()): Promise<void> {
    const name = session.metadata.name;
    const inside = this.blueprint(environment).deployments.filter((d) => d.namespace.includes('$('));
    if (!inside.length) return;
    const known = this.sessionChecks.get(name) ?? { at: 0, available: new Set<string>() };
    if (now - known.at < 1000) return;
    known.at = now;
    this.sessionChecks.set(name, known);
    for (const d of inside) {
      const [namespace, deployment] = [d.namespace.split('$(session_namespace)').join(name), d.name.split('$(session_name)').join(name)];
      if (known.available.has(`${namespace}/${deployment}`)) continue;
      const live = await this.client.get<Deployment>('apps/v1', 'Deployment', deployment, namespace);
      if (isAvailable(live)) known.available.add(`${namespace}/${deployment}`);
    }
  }

  /** Forgets what `checkSessionDeployments` learned about a session (once it is Ready or has failed). */
  public forgetSessionChecks(name: string): void {
    this.sessionChecks.delete(name);
  }

  /** Whether every Deployment the session's blueprint has is Available. */
  public deploymentsAvailable(session: WorkshopSession, environment: WorkshopEnvironment): boolean {
    const name = session.metadata.name;
    const checked = this.sessionChecks.get(name)?.available;
    return this.blueprint(environment).deployments.every((d) => {
      const [namespace, deployment] = [d.namespace.split('$(session_namespace)').join(name), d.name.split('$(session_name)').join(name)];
      return d.namespace.includes('$(')
        ? (checked?.has(`${namespace}/${deployment}`) ?? false)
        : isAvailable(this.deployments.get(deployment, namespace));
    });
  }

  /** The session's Deployments that live outside its namespaces (its workshop pod's, in the environment namespace), as cached. */
  public deploymentsOutside(session: WorkshopSession): Array<{ namespace: string; name: string }> {
    const environment = this.environment(session.spec.environment);
    if (!environment) return [];
    const name = session.metadata.name;
    return this.blueprint(environment)
      .deployments.filter((d) => !d.namespace.includes('$(session_namespace)'))
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

function isAvailable(deployment?: Deployment): boolean {
  return deployment?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
}
