import type { Container, Volume } from './pod-spec.js';
import { SecurityPolicy } from './security-policy.js';
import type { SessionTemplate } from './session-template.js';

/** A tab in the session dashboard. */
export interface DashboardTab {
  /** The tab's title, unique in the session. */
  readonly name: string;
  /**
   * What the tab shows: a path served by the session (`/editor/`), a terminal (`terminal:<session>`), or a URL
   * that may use session variables.
   */
  readonly url: string;
}

/** A host name of its own for something in the session, routed through the session's ingress. */
export interface SessionRoute {
  /** The host prefix: the route is served at `<name>-<session>.<ingress domain>`. */
  readonly name: string;
  /** The port it goes to. */
  readonly port: number;
  /**
   * The Service it goes to, in the session namespace.
   * @default - the session's workshop pod, whose dashboard proxies to `localhost:<port>` after checking the learner
   */
  readonly service?: string;
  /**
   * Whether the dashboard lets only the session's owner in.
   * @default true
   */
  readonly authenticated?: boolean;
}

/** A container of the session's workshop pod, in Kubernetes' JSON shape. */
export type WorkshopContainer = Container;
/** A volume of the session's workshop pod. */
export type WorkshopVolume = Volume;

/**
 * A feature a session can have: terminals, an editor, a console, a registry… A capability adds what it needs to the
 * session when it is bound: containers of the workshop pod, volumes, routes, dashboard tabs, settings of the
 * dashboard, environment variables, and any objects it creates in the session's scope as ordinary constructs.
 *
 * Writing one takes a name and a `bind` method:
 *
 * @example
 * class Jupyter extends Capability {
 *   public readonly name = 'jupyter';
 *   public bind(session: SessionTemplate) {
 *     session.addContainer({ name: 'jupyter', image: 'quay.io/jupyter/base-notebook:2025-01-06', ports: [{ containerPort: 8888 }] });
 *     session.addDashboardTab({ name: 'Notebook', url: session.addRoute({ name: 'jupyter', port: 8888 }).url });
 *   }
 * }
 */
export abstract class Capability {
  /** A short name, unique in a session: used for labels, the dashboard settings and messages. */
  public abstract readonly name: string;

  /**
   * The most restrictive Pod Security level under which this capability's containers still run. They join the
   * workshop pod, in the environment namespace, so this is checked against `environmentSecurityPolicy`.
   * @default SecurityPolicy.RESTRICTED
   */
  public readonly requiredPolicy: SecurityPolicy = SecurityPolicy.RESTRICTED;

  /** Adds what the capability needs to the session. Called once, when the capability is added. */
  public abstract bind(session: SessionTemplate): void;
}
