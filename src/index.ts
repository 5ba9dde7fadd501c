/**
 * The public API of the `cdk8s-workshops` package: what an author writes workshops with. Named, so that a helper
 * of the implementation does not become public by being exported from its module (the runtime, portal and
 * dashboard import those from src/constructs/index.ts, which exports everything). Every type of the constructs is
 * public: props, settings and the shapes `synthesize()` returns. test/unit/public-api.test.ts lists the values;
 * adding one is a decision, made there.
 */
export type * from './constructs/index.js';

// the app, the workshop and where it runs
export { WorkshopApp } from './constructs/app.js';
export { Workshop } from './constructs/workshop.js';
export { WorkshopEnvironment } from './constructs/workshop-environment.js';
export { SessionTemplate, restrictedContainer, WORKSHOP_UID } from './constructs/session-template.js';
export { SessionNamespace } from './constructs/session-namespace.js';
export { SessionRole } from './constructs/session-role.js';
export { TrainingPortal } from './constructs/training-portal.js';
export { Budget } from './constructs/budget.js';
export { ContentSource } from './constructs/content-source.js';
export { SecurityPolicy } from './constructs/security-policy.js';
export { AdmissionRule } from './constructs/admission-policies.js';
export { METADATA_CIDRS } from './constructs/session-namespace.js';
export { RequestParameter } from './constructs/request-parameter.js';
export { RequestTemplate } from './constructs/request-template.js';
export { CatalogVisibility, Registration } from './constructs/training-portal.js';
export { Difficulty } from './constructs/workshop.js';
export { EnvironmentVariables, SessionVariables } from './constructs/variables.js';

// what a session can have
export { Capability } from './constructs/capability.js';
export { Console, Docker, Editor, Examiner, FileServer, GitServer, ImageRegistry, Slides, Terminal, TerminalLayout } from './constructs/capabilities/index.js';

// synthesis, for tests and for Argo CD
export { synthesize } from './constructs/synthesizer.js';
export { argoCdFiles, ARGOCD_HEALTH_CHECKS } from './constructs/argocd.js';
export { API_GROUP, API_VERSION } from './constructs/names.js';
// a custom resource's kind, so that objects of it can be placed (the importer writes this for unknown kinds)
export { registerKind } from './constructs/kinds.js';
