/**
 * The portal's configuration: the `portal.json` the TrainingPortal construct puts in the portal's ConfigMap
 * (src/constructs/training-portal.ts), read once at start.
 */
import * as fs from 'node:fs';

export interface PortalConfig {
  readonly name: string;
  /** @default 'Workshops' */
  readonly title?: string;
  readonly logo?: string;
  /** The browser-facing URL of the portal. */
  readonly url?: string;
  /** @default 'one-step' */
  readonly registration?: 'one-step' | 'anonymous' | 'disabled';
  /** @default 'private' */
  readonly catalogVisibility?: 'private' | 'public';
  /** An event access code visitors enter before the pages open. @default - none */
  readonly password?: string;
  readonly sessions?: { readonly maximum?: number; readonly registered?: number; readonly anonymous?: number };
  readonly ingress?: { readonly domain?: string; readonly protocol?: string; readonly class?: string; readonly secret?: string };
  readonly environments?: readonly string[];
  /** Portal labels, shown in the catalog API's `portal.labels`. */
  readonly labels?: Record<string, string>;
  /** Educates' analytics webhook: every event of the portal is POSTed there. */
  readonly analytics?: { readonly webhook?: { readonly url?: string } };
}

/** Reads and checks portal.json; the error names the file and the field. */
export function readPortalConfig(path: string): PortalConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`portal configuration ${path}: ${(error as Error).message}`);
  }
  return checkPortalConfig(parsed, path);
}

export function checkPortalConfig(value: unknown, where = 'portal configuration'): PortalConfig {
  if (!value || typeof value !== 'object') throw new Error(`${where}: must be a JSON object`);
  const config = value as PortalConfig;
  if (typeof config.name !== 'string' || !config.name) throw new Error(`${where}: 'name' must be the portal's name`);
  if (config.registration !== undefined && !['one-step', 'anonymous', 'disabled'].includes(config.registration)) {
    throw new Error(`${where}: 'registration' (${JSON.stringify(config.registration)}) must be 'one-step', 'anonymous' or 'disabled'`);
  }
  if (config.catalogVisibility !== undefined && !['private', 'public'].includes(config.catalogVisibility)) {
    throw new Error(`${where}: 'catalogVisibility' (${JSON.stringify(config.catalogVisibility)}) must be 'private' or 'public'`);
  }
  for (const key of ['maximum', 'registered', 'anonymous'] as const) {
    const n = config.sessions?.[key];
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new Error(`${where}: 'sessions.${key}' (${n}) must be a whole number ≥ 0`);
  }
  return config;
}

/** The portal's session limits for the runtime (0 = none; anonymous learners default to the registered cap). */
export function limitsOf(config: PortalConfig) {
  const sessions = config.sessions ?? {};
  return { maximum: sessions.maximum ?? 0, registered: sessions.registered ?? 0, anonymous: sessions.anonymous ?? sessions.registered ?? 0 };
}
