import { ApiObject, type ApiObjectProps, type Duration } from 'cdk8s';
import { Construct } from 'constructs';

import { ContentSource } from './content-source.js';
import { checkDuration } from './duration.js';
import { checkDnsLabel } from './names.js';
import type { RequestParameter } from './request-parameter.js';
import { RequestTemplate } from './request-template.js';
import { SessionTemplate, type SessionTemplateOptions } from './session-template.js';
import { WorkshopEnvironment, type WorkshopEnvironmentOptions } from './workshop-environment.js';

/** How hard a workshop is. */
export enum Difficulty {
  BEGINNER = 'beginner',
  INTERMEDIATE = 'intermediate',
  ADVANCED = 'advanced',
  EXTREME = 'extreme',
}

export interface WorkshopProps extends SessionTemplateOptions, WorkshopEnvironmentOptions {
  /**
   * The workshop's name: a DNS-1123 label, used in environment and session names.
   * @default - the construct id
   */
  readonly name?: string;
  /** The title shown in the catalog. */
  readonly title: string;
  /** A paragraph for the catalog. */
  readonly description: string;
  /** @default - not shown */
  readonly difficulty?: Difficulty;
  /** How long the workshop takes; informational (the portal's `expires` limits sessions). @default - not shown */
  readonly duration?: Duration;
  /** @default - none */
  readonly tags?: string[];
  /** Labels for the catalog API, filterable by clients. @default - none */
  readonly labels?: Record<string, string>;
  /** A logo: a `data:` URI or an https URL. @default - none */
  readonly logo?: string;
  /** The workshop's home page. @default - none */
  readonly url?: string;
  /** Who publishes it. @default - none */
  readonly vendor?: string;
  /** @default - none */
  readonly authors?: string[];
  /** Version of the content. @default 'latest' */
  readonly version?: string;
  /** Where the instructions come from. @default ContentSource.embedded() */
  readonly content?: ContentSource;
  /** Values a session receives when it is allocated. @default - none */
  readonly requestParameters?: RequestParameter[];
  /**
   * Objects created when a session is allocated to a learner, with the request parameters filled in (Educates'
   * `request.objects`): each is added to the `request` scope as it is written, `$(variables)` and all.
   * @default - none
   */
  readonly requestObjects?: ApiObjectProps[];
}

/**
 * A hands-on workshop: what the catalog shows, where its content comes from, and two scopes that define what it
 * runs — `environment`, shared by all sessions in a portal, and `session`, stamped out for every learner.
 * A workshop synthesizes nothing until a TrainingPortal lists it.
 */
export class Workshop extends Construct {
  /** True when `x` is a Workshop (also across copies of this library). */
  public static isWorkshop(x: unknown): x is Workshop {
    return x !== null && typeof x === 'object' && WORKSHOP_SYMBOL in x;
  }

  public readonly name: string;
  public readonly title: string;
  public readonly description: string;
  public readonly difficulty?: Difficulty;
  public readonly duration?: Duration;
  public readonly version: string;
  public readonly content: ContentSource;
  /** Shared objects of the workshop: add them to this scope. */
  public readonly environment: WorkshopEnvironment;
  /** Per-session objects of the workshop: add them to this scope. */
  public readonly session: SessionTemplate;
  /** Objects created when a session is allocated to a learner: add them to this scope. */
  public readonly request: RequestTemplate;
  private readonly props: WorkshopProps;
  private readonly _parameters: RequestParameter[] = [];

  constructor(scope: Construct, id: string, props: WorkshopProps) {
    super(scope, id);
    Object.defineProperty(this, WORKSHOP_SYMBOL, { value: true });
    this.props = props;
    this.name = props.name ?? id;
    checkDnsLabel(`Workshop '${this.node.path}'`, 'name', this.name, 40);
    for (const field of ['title', 'description'] as const) {
      if (!props[field]?.trim()) throw new Error(`Workshop '${this.name}': '${field}' must not be empty`);
    }
    if (props.duration) checkDuration(`Workshop '${this.name}'`, 'duration', props.duration);
    if (props.logo && !/^(data:image\/[a-z+.-]+;base64,|https:\/\/)/.test(props.logo)) {
      throw new Error(`Workshop '${this.name}': 'logo' must be a data:image/…;base64 URI or an https URL`);
    }
    for (const [key, value] of Object.entries(props.labels ?? {})) {
      if (!/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/.test(key) || value.length > 63) {
        throw new Error(
          `Workshop '${this.name}': label ${JSON.stringify(key)}=${JSON.stringify(value)} is not a valid label (name of letters, digits, '-', '_', '.', '/'; value at most 63 characters)`,
        );
      }
    }
    this.title = props.title;
    this.description = props.description;
    this.difficulty = props.difficulty;
    this.duration = props.duration;
    this.version = props.version ?? 'latest';
    this.content = props.content ?? ContentSource.embedded();
    this.environment = new WorkshopEnvironment(this, 'Environment', props);
    this.session = new SessionTemplate(this, 'Session', {
      ...props,
      workshopName: this.name,
      workshopTitle: props.title,
      workshopContent: this.content.toJson(),
    });
    this.request = new RequestTemplate(this, 'Request');
    this.content.sourceCredentials.forEach(({ credentials, ssh }, index) => {
      if (!credentials) return;
      // copied into the environment namespace, and read by the dashboard's own container only (never the learner's)
      const copied = this.environment.secrets.find((s) => s.name === credentials.name);
      if (copied && copied.namespace !== credentials.namespace) {
        throw new Error(
          `Workshop '${this.name}': content credentials '${credentials.namespace}/${credentials.name}' collide with environment secret '${copied.namespace}/${copied.name}' of the same name`,
        );
      }
      if (!copied) this.environment.addSecret(credentials);
      // the n-th of several sources reads its own (src/dashboard/content-sync.ts contentCredentialsFromEnv)
      const suffix = index === 0 ? '' : `_${index}`;
      if (ssh) {
        this.session.addDashboardSecretEnv(`CONTENT_SSH_PRIVATE_KEY${suffix}`, credentials.name, 'ssh-privatekey');
        this.session.addDashboardSecretEnv(`CONTENT_SSH_KNOWN_HOSTS${suffix}`, credentials.name, 'ssh-knownhosts');
      } else {
        this.session.addDashboardSecretEnv(`CONTENT_REGISTRY_USERNAME${suffix}`, credentials.name, 'username');
        this.session.addDashboardSecretEnv(`CONTENT_REGISTRY_PASSWORD${suffix}`, credentials.name, 'password');
      }
    });
    for (const parameter of props.requestParameters ?? []) this.addRequestParameter(parameter);
    (props.requestObjects ?? []).forEach((object, index) => new ApiObject(this.request, `${object.kind}-${index}`, object));
  }

  /** Request parameters. Returns a copy; to add one, use `addRequestParameter()`. */
  public get requestParameters(): RequestParameter[] {
    return [...this._parameters];
  }

  /** Adds a value the session receives when it is allocated. */
  public addRequestParameter(parameter: RequestParameter): void {
    if (this._parameters.some((p) => p.name === parameter.name)) {
      throw new Error(`Workshop '${this.name}': request parameter '${parameter.name}' is declared twice`);
    }
    this._parameters.push(parameter);
  }

  /** The catalog entry of the workshop, as written into its WorkshopEnvironment resources. */
  public toCatalogJson(): Record<string, unknown> {
    const p = this.props;
    return dropEmpty({
      name: this.name,
      title: this.title,
      description: this.description,
      difficulty: this.difficulty,
      duration: this.duration ? `${this.duration.toSeconds()}s` : undefined,
      tags: p.tags ? [...p.tags] : undefined,
      labels: p.labels ? { ...p.labels } : undefined,
      logo: p.logo,
      url: p.url,
      vendor: p.vendor,
      authors: p.authors ? [...p.authors] : undefined,
      version: this.version,
      content: this.content.toJson(),
    });
  }
}

const WORKSHOP_SYMBOL = Symbol.for('cdk8s-workshops.Workshop');

function dropEmpty(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0)),
  );
}
