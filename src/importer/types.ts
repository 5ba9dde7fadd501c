/** What the caller passes to `importEducates`. */
export interface ImportOptions {
  /** One or more Educates `Workshop` resources (multi-document YAML; a `TrainingPortal` may be among them). */
  readonly workshopYaml: string;
  /** An Educates `TrainingPortal` resource listing the workshops. @default - a portal like `educates deploy-workshop` makes */
  readonly portalYaml?: string;
  /** Where the YAML came from (a file name or URL), for the generated module's header. @default - not mentioned */
  readonly sourceName?: string;
}

/** A field of the input that the generated module does not carry over, and why. */
export interface UnsupportedField {
  /** Dotted path inside its resource, e.g. `spec.session.applications.vcluster` or `spec.session.objects[2]`. */
  readonly field: string;
  /** The value, as JSON (shortened when long). */
  readonly value?: string;
  /** Why it is not carried over, and what to do instead when there is something. */
  readonly reason: string;
  /** The resource the field belongs to, e.g. `Workshop lab-k8s-fundamentals` or `TrainingPortal labs`. */
  readonly resource: string;
}

/** Something the user must do before the generated module deploys as the input did (e.g. create a Secret). */
export interface ImportTodo {
  /** The resource the step comes from, e.g. `TrainingPortal labs`. */
  readonly resource: string;
  /** The field of the input that asks for it, e.g. `spec.portal.password`. */
  readonly field: string;
  /** What to do, with the command where there is one (never a secret value). */
  readonly action: string;
}

export interface ImportResult {
  /** A TypeScript module that builds the equivalent workshops and portal with 'cdk8s-workshops' and synthesizes them. */
  readonly source: string;
  /** Every field that was not carried over, in the order of the input (resources, then fields depth-first). */
  readonly unsupported: UnsupportedField[];
  /** What to do before deploying, in the order of the input. */
  readonly todo: ImportTodo[];
}
