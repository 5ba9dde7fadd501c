import { Capability } from '../capability.js';
import type { SessionTemplate } from '../session-template.js';

/** The Git server's port inside the workshop pod. */
export const GIT_PORT = 10087;

/**
 * A Git server in the session, at `git-<session>` over HTTP with the session's Git credentials (`$(git_username)`,
 * `$(git_password)`), so that exercises can push and pipelines can pull.
 */
export class GitServer extends Capability {
  public readonly name = 'git';

  public bind(session: SessionTemplate): void {
    // Git clients authenticate themselves with basic auth; the dashboard's owner check would refuse them.
    const route = session.addRoute({ name: 'git', port: GIT_PORT, authenticated: false });
    session.setDashboardSetting('git', { port: GIT_PORT, repositories: '/home/workshop/.git-server' });
    session.addEnv('GIT_PROTOCOL', session.vars.ingressProtocol);
    session.addEnv('GIT_HOST', route.host);
    session.addEnv('GIT_USERNAME', session.vars.gitUsername);
    session.addEnv('GIT_PASSWORD', session.vars.gitPassword);
  }
}
