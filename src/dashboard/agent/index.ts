export * from './api.js';
export type { RemoteAgentOptions } from './client.js';
export { connectAgent } from './client.js';
export type { LocalAgentOptions } from './local.js';
export { createLocalAgent } from './local.js';
export type { AgentServer } from './server.js';
export { serveAgent } from './server.js';
