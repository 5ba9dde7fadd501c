/**
 * The public API of the `cdk8s-workshops` package: what an author writes workshops with. Named, so that a helper
 * of the implementation does not become public by being exported from its module (the runtime, portal and
 * dashboard import those from src/constructs/index.ts, which exports everything). Every type of the constructs is
 * public: props, settings and the shapes `synthesize()` returns. test/unit/public-api.test.ts lists the values;
 * adding one is a decision, made there.
 */
export type * from './constructs/index.js';

// the app, the workshop and where it runs
export { AdmissionRule } from './constructs/admission-policies.js';
export { WorkshopApp } from './constructs/app.js';
export { Budget } from './constructs/budget.js';
export { ContentSource } from './constructs/content-source.js';
export { RequestParameter } from './constructs/request-parameter.js';
export { RequestTemplate } from './constructs/request-template.js';
export { SecurityPolicy } from './constructs/security-policy.js';
export { SessionNamespace } from './constructs/session-namespace.js';
export { METADATA_CIDRS } from './constructs/session-namespace.js';
export { SessionRole } from './constructs/session-role.js';
export { restrictedContainer, SessionTemplate, WORKSHOP_UID } from './constructs/session-template.js';
export { TrainingPortal } from './constructs/training-portal.js';
export { CatalogVisibility, Registration } from './constructs/training-portal.js';
export { EnvironmentVariables, SessionVariables } from './constructs/variables.js';
export { Workshop } from './constructs/workshop.js';
export { Difficulty } from './constructs/workshop.js';
export { WorkshopEnvironment } from './constructs/workshop-environment.js';

// what a session can have
export {
  Console,
  Docker,
  Editor,
  Examiner,
  FileServer,
  GitServer,
  ImageRegistry,
  Slides,
  Terminal,
  TerminalLayout,
} from './constructs/capabilities/index.js';
export { Capability } from './constructs/capability.js';

// synthesis, for tests and for Argo CD
export { ARGOCD_HEALTH_CHECKS, argoCdFiles } from './constructs/argocd.js';
export { API_GROUP, API_VERSION } from './constructs/names.js';
export { synthesize } from './constructs/synthesizer.js';
// a custom resource's kind, so that objects of it can be placed (the importer writes this for unknown kinds)
export { registerKind } from './constructs/kinds.js';
