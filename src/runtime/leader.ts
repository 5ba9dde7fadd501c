/**
 * Leader election with a coordination.k8s.io Lease: one replica runs the reconciler (pools, timers, cleanup);
 * every replica serves requests. A leader that cannot renew within the lease duration stops leading before
 * another can take over.
 */
import { EventEmitter } from 'node:events';

import { type KubeClient, KubeError } from './kube-client.js';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity (its pod name). */
  readonly identity: string;
  /** @default 15 */
  readonly leaseDurationSeconds?: number;
  /** @default - 2000, or a fifth of a shorter lease */
  readonly retryPeriodMs?: number;
}

/** Leases take MicroTime: six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}

/** Emits 'started' when this replica becomes the leader and 'stopped' when it no longer is. */
export class LeaderElection extends EventEmitter {
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private renewedAt = 0;
  private readonly duration: number;
  private readonly retryPeriodMs: number;
  /** A leader that has not renewed for this long stops leading. */
  private readonly renewDeadlineMs: number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
  ) {
    super();
    this.duration = options.leaseDurationSeconds ?? 15;
    // as client-go does (15 s lease, 10 s to renew, a try every 2 s), scaled to shorter leases
    this.retryPeriodMs = options.retryPeriodMs ?? Math.min(2000, (this.duration * 1000) / 5);
    this.renewDeadlineMs = (this.duration * 1000 * 2) / 3;
  }

  public get isLeader(): boolean {
    return this.leading;
  }

  public start(): void {
    this.stopped = false;
    // Independent of renewals in flight: a leader that has not renewed for half its lease stops leading, so it
    // is no longer leading when another replica may take the lease over.
    this.watchdog = setInterval(() => {
      if (this.leading && Date.now() - this.renewedAt > this.renewDeadlineMs) this.setLeading(false);
    }, 250);
    const tick = async () => {
      try {
        await this.tryAcquireOrRenew();
      } catch (error) {
        // an API error is a failed renewal
        this.emit('error', error);
      }
      // stop() was called while this round was under way: no other round
      if (this.stopped) return;
      if (this.leading && Date.now() - this.renewedAt > this.renewDeadlineMs) this.setLeading(false);
      this.timer = setTimeout(tick, this.retryPeriodMs);
    };
    void tick();
  }

  /** Stops campaigning and gives the lease up so that another replica takes over at once. */
  public async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    if (this.leading) {
      this.setLeading(false);
      try {
        const lease = await this.read();
        if (lease?.spec.holderIdentity === this.options.identity) {
          await this.write({ ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: microTime(new Date(0)) } });
        }
      } catch {
        // the lease expires by itself
      }
    }
  }

  private path(name?: string): string {
    return this.client.pathFor('coordination.k8s.io/v1', 'Lease', name, this.options.namespace);
  }

  private read(): Promise<Lease | undefined> {
    return this.client.get<Lease>('coordination.k8s.io/v1', 'Lease', this.options.name, this.options.namespace);
  }

  private write(lease: Lease): Promise<Lease> {
    return this.client.request<Lease>('PUT', this.path(this.options.name), {
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease },
    });
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const lease = await this.read();
    const spec = { holderIdentity: this.options.identity, leaseDurationSeconds: this.duration, renewTime: microTime(now) };
    try {
      if (!lease) {
        await this.client.request('POST', this.path(), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
          },
        });
      } else {
        const held = lease.spec.holderIdentity;
        const expired =
          !lease.spec.renewTime || Date.parse(lease.spec.renewTime) + (lease.spec.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
        if (held && held !== this.options.identity && !expired) {
          this.setLeading(false);
          return;
        }
        const transition = held !== this.options.identity;
        await this.write({
          ...lease,
          spec: {
            ...lease.spec,
            ...spec,
            acquireTime: transition ? microTime(now) : lease.spec.acquireTime,
            leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (transition ? 1 : 0),
          },
        });
      }
      this.renewedAt = Date.now();
      this.setLeading(true);
    } catch (error) {
      if (error instanceof KubeError && (error.status === 409 || error.status === 422)) {
        this.setLeading(false);
        return;
      }
      throw error;
    }
  }

  private setLeading(leading: boolean): void {
    // a round still under way when stop() was called does not make a stopped replica lead again
    if (leading === this.leading || (leading && this.stopped)) return;
    this.leading = leading;
    this.emit(leading ? 'started' : 'stopped');
  }
}
