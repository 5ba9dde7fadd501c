/**
 * Prometheus metrics of the runtime (prom-client): sessions by phase and environment, allocation latency, time to
 * Ready, failures by reason, and API requests by verb and code.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class RuntimeMetrics {
  public readonly registry = new Registry();
  public readonly sessions: Gauge<'environment' | 'phase'>;
  public readonly allocationSeconds: Histogram<'environment' | 'source'>;
  public readonly timeToReadySeconds: Histogram<'environment'>;
  public readonly failures: Counter<'environment' | 'reason'>;
  public readonly terminations: Counter<'environment' | 'reason'>;
  public readonly apiRequests: Counter<'verb' | 'code'>;

  constructor(collectSessions: () => Array<{ environment: string; phase: string; count: number }>) {
    this.sessions = new Gauge({
      name: 'workshops_sessions',
      help: 'Sessions by environment and phase',
      labelNames: ['environment', 'phase'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const row of collectSessions()) this.set({ environment: row.environment, phase: row.phase }, row.count);
      },
    });
    this.allocationSeconds = new Histogram({
      name: 'workshops_allocation_seconds',
      help: "Time to answer a learner's request for a session, by where the session came from (pool, created, existing)",
      labelNames: ['environment', 'source'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.timeToReadySeconds = new Histogram({
      name: 'workshops_session_ready_seconds',
      help: 'Time from creating a session to its Ready phase',
      labelNames: ['environment'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers: [this.registry],
    });
    this.failures = new Counter({
      name: 'workshops_session_failures_total',
      help: 'Sessions that failed, by reason',
      labelNames: ['environment', 'reason'],
      registers: [this.registry],
    });
    this.terminations = new Counter({
      name: 'workshops_session_terminations_total',
      help: 'Sessions ended, by reason',
      labelNames: ['environment', 'reason'],
      registers: [this.registry],
    });
    this.apiRequests = new Counter({
      name: 'workshops_api_requests_total',
      help: 'Kubernetes API requests by verb and HTTP code (0: no answer)',
      labelNames: ['verb', 'code'],
      registers: [this.registry],
    });
  }
}
