export type { DashboardConfig, DashboardRouteConfig, DashboardTabConfig } from './config.js';
export { parseConfig, readConfig } from './config.js';
export { DASHBOARD_SECRETS, learnerEnvironment } from './learner-environment.js';
export type { Dashboard, DashboardOptions } from './server.js';
export { startDashboard } from './server.js';
export { sessionValuesFromEnv } from './session-values.js';
