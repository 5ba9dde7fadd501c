/**
 * Whether the ingress serves a session's host yet: the signal that a session is Ready for its learner, besides its
 * Deployments being Available. An ingress controller learns of a new pod's endpoint some time after the pod is
 * Ready (Traefik: from its EndpointSlice watch), and until then it answers the host with 503 ("no available
 * server") or, before it has read the Ingress, 404. A learner sent on in that window sees an error page.
 *
 * Ingress status (`status.loadBalancer`) does not tell: Traefik v3 writes it only when told its own address
 * (`providers.kubernetesIngress.ingressEndpoint`), and then as soon as it has read the Ingress, with or without
 * endpoints (`allowEmptyServices`). So the runtime asks the ingress itself: a GET of `/` with the session's Host
 * header, sent to a configured ingress address (`INGRESS_PROBE_ADDRESS=host:port`, e.g. the ingress controller's
 * Service `traefik.kube-system:80`, or the node address in the test setup). Any answer but 404, 502, 503 or 504
 * means a route reaches the session's pod (its dashboard answers `/` with a redirect to sign in). Without the
 * setting the probe is off and Deployments alone decide, as before.
 *
 * `served()` never waits: it answers from the last probe of the host and starts the next one in the background
 * (one at a time per host, at most every `intervalMs`), so the reconciler's pass is not slowed by the ingress.
 */
import * as http from 'node:http';

/** Statuses an ingress gives a host it cannot route to a ready backend yet. */
const NOT_ROUTED = new Set([404, 502, 503, 504]);

export interface RouteReadinessOptions {
  /** `host:port` of the ingress controller, as this process reaches it. */
  readonly address: string;
  /** One probe's time limit. @default 2000 */
  readonly timeoutMs?: number;
  /** Time between two probes of the same host. @default 500 */
  readonly intervalMs?: number;
}

interface Probe {
  served: boolean;
  at: number;
  inFlight: boolean;
  /** What the last probe saw, for the log: a status or an error. */
  last?: string;
}

export class RouteReadiness {
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;
  private readonly intervalMs: number;
  private readonly probes = new Map<string, Probe>();

  constructor(options: RouteReadinessOptions) {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(options.address);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new Error(
        `INGRESS_PROBE_ADDRESS '${options.address}' is not host:port (a host name or IP and a port 1-65535, e.g. traefik.kube-system:80)`,
      );
    }
    this.host = match[1].replace(/^\[|\]$/g, '');
    this.port = port;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.intervalMs = options.intervalMs ?? 500;
  }

  /** From `INGRESS_PROBE_ADDRESS`; undefined (no probe) when it is unset or empty. */
  public static fromEnv(env: NodeJS.ProcessEnv = process.env): RouteReadiness | undefined {
    const address = env.INGRESS_PROBE_ADDRESS?.trim();
    return address ? new RouteReadiness({ address }) : undefined;
  }

  /** Whether the last probe of `hostname` found it routed; starts another probe when due. */
  public served(hostname: string, now = Date.now()): boolean {
    let probe = this.probes.get(hostname);
    if (probe?.served) return true;
    if (!probe) {
      probe = { served: false, at: 0, inFlight: false };
      this.probes.set(hostname, probe);
    }
    if (!probe.inFlight && now - probe.at >= this.intervalMs) {
      probe.inFlight = true;
      probe.at = now;
      const current = probe;
      void this.probe(hostname).then((outcome) => {
        current.served = outcome.served;
        current.last = outcome.seen;
        current.inFlight = false;
        current.at = Date.now();
      });
    }
    return false;
  }

  /** What the last probe of `hostname` saw (a status, or why it failed), if one answered. */
  public lastSeen(hostname: string): string | undefined {
    return this.probes.get(hostname)?.last;
  }

  /** Drops what is known of `hostname` (the session is Ready, failed or gone). */
  public forget(hostname: string): void {
    this.probes.delete(hostname);
  }

  /** One GET of `/` for `hostname` through the ingress. Never rejects. */
  public probe(hostname: string): Promise<{ served: boolean; seen: string }> {
    return new Promise((resolve) => {
      const request = http.request(
        {
          host: this.host,
          port: this.port,
          path: '/',
          method: 'GET',
          headers: { host: hostname, 'user-agent': 'cdk8s-workshops-route-probe' },
          timeout: this.timeoutMs,
          agent: false,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          response.resume();
          resolve({ served: status > 0 && !NOT_ROUTED.has(status), seen: `HTTP ${status}` });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on('error', (error) => resolve({ served: false, seen: error.message }));
      request.end();
    });
  }
}

let shared: RouteReadiness | undefined | null = null;

/**
 * The hook the reconciler asks before a session becomes Ready: true when the ingress serves `hostname`, or when no
 * probe is configured (`INGRESS_PROBE_ADDRESS` unset). Forgets the host once it answers true.
 */
export function routeServed(hostname: string, now = Date.now()): boolean {
  if (shared === null) shared = RouteReadiness.fromEnv();
  if (!shared) return true;
  if (!shared.served(hostname, now)) return false;
  shared.forget(hostname);
  return true;
}

/** For tests: use `readiness` (undefined: no probe) instead of the one from the environment. */
export function setRouteReadiness(readiness: RouteReadiness | undefined): void {
  shared = readiness;
}
