export * from './api.js';
export { connectAgent } from './client.js';
export type { RemoteAgentOptions } from './client.js';
export { createLocalAgent } from './local.js';
export type { LocalAgentOptions } from './local.js';
export { serveAgent } from './server.js';
export type { AgentServer } from './server.js';
