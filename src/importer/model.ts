import type { Code } from './code.js';

/** A statement of the generated module, with an optional comment above it. */
export interface Statement {
  readonly code: Code;
  readonly comment?: string;
}

/** A workshop as the generated module builds it. */
export interface WorkshopModel {
  /** The Educates name, also the construct id. */
  readonly name: string;
  /** The library's name of the workshop: the Educates name, shortened when it is longer than the library allows. */
  libraryName: string;
  /** The TypeScript variable holding it. */
  variable: string;
  /** The props of `new Workshop(app, name, props)`, in the order they are printed. */
  readonly props: Record<string, unknown>;
  /** Statements after the constructor: objects, routes, tabs, namespaces, secrets. */
  readonly statements: Statement[];
  /** Kinds the library does not know, registered before anything is built. */
  readonly kinds: Code[];
  /** The workshop's `duration` in seconds, for a default portal's `expires`. */
  durationSeconds?: number;
}

/** A workshop listed in a portal. */
export interface PortalEntryModel {
  readonly workshop: string;
  readonly options: Record<string, unknown>;
  readonly comment?: string;
}

/** A training portal as the generated module builds it. */
export interface PortalModel {
  readonly name: string;
  variable: string;
  readonly props: Record<string, unknown>;
  readonly entries: PortalEntryModel[];
  readonly comment?: string;
}
