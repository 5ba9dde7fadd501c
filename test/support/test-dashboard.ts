/**
 * A session dashboard as the dashboard tests run one: on loopback on a free port, against a (fake) portal, a plain
 * /bin/sh for its terminals and cookies over http. Each test names its session, password and content, and what
 * else differs.
 */
import { type Dashboard, type DashboardOptions, startDashboard } from '../../src/dashboard/index.js';

export function startTestDashboard(
  portal: { readonly url: string },
  options: Pick<DashboardOptions, 'sessionName' | 'clientSecret' | 'workshopDir'> & Partial<DashboardOptions>,
): Promise<Dashboard> {
  return startDashboard({
    portalUrl: portal.url,
    portalApiUrl: portal.url,
    host: '127.0.0.1',
    port: 0,
    shell: '/bin/sh',
    insecureCookies: true,
    logLevel: 'warn',
    ...options,
  });
}
