export * from './applier.js';
export * from './kube-client.js';
export * from './session-variables.js';
