// Reading a process's configuration from the environment, shared by the runtime, portal and dashboard processes:
// a wrong value ends the process with exit code 2 and a message naming the variable and the value.
import type { Logger } from '../runtime/index.js';

/** A comma-separated list in the environment variable `name`: its entries trimmed, empty ones left out. */
export function envList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function envReader(log: Logger) {
  const fail = (message: string): never => {
    log.error(message);
    process.exit(2);
  };
  const number = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number, not '${process.env[name]}'`);
    return value;
  };
  const pacing = () => {
    const value = process.env.RUNTIME_PACING ?? 'adaptive';
    if (value !== 'adaptive' && value !== 'fixed') fail(`RUNTIME_PACING must be 'adaptive' or 'fixed', not '${value}'`);
    return value as 'adaptive' | 'fixed';
  };
  /** The runtime's tuning (RUNTIME_PACING, RUNTIME_QPS, RUNTIME_CONCURRENCY, RUNTIME_IDLE_AFTER_SECONDS, RUNTIME_LEASE_SECONDS). */
  const runtimeTuning = () => ({
    pacing: pacing(),
    qps: number('RUNTIME_QPS', 50),
    concurrency: number('RUNTIME_CONCURRENCY', 32),
    idleAfterSeconds: number('RUNTIME_IDLE_AFTER_SECONDS', 60),
    leaseDurationSeconds: number('RUNTIME_LEASE_SECONDS', 15),
  });
  return { fail, number, runtimeTuning };
}
