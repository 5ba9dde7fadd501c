import { Capability } from '../capability.js';
import type { SessionTemplate } from '../session-template.js';

/** The Git server's port inside the workshop pod. */
export const GIT_PORT = 10087;

/** Where the dashboard keeps the session's repositories (its own container's disk: they go with the session). */
export const GIT_REPOSITORIES = '/tmp/workshop-git';

/**
 * A Git server in the session, at `git-<session>` over HTTP with the session's Git credentials (`$(git_username)`,
 * `$(git_password)`), so that exercises can push and pipelines can pull: `git http-backend` run by the dashboard
 * (src/dashboard/routes/git-server.ts). A push to a repository that does not exist creates it. From the learner's
 * terminal it is also at `http://localhost:$GIT_PORT/<name>.git`.
 */
export class GitServer extends Capability {
  public readonly name = 'git';

  public bind(session: SessionTemplate): void {
    // Git clients authenticate themselves with basic auth; the dashboard's owner check would refuse them.
    const route = session.addRoute({ name: 'git', port: GIT_PORT, authenticated: false });
    session.setDashboardSetting('git', { port: GIT_PORT, repositories: GIT_REPOSITORIES });
    session.addEnv('GIT_PORT', String(GIT_PORT));
    session.addEnv('GIT_PROTOCOL', session.vars.ingressProtocol);
    session.addEnv('GIT_HOST', route.host);
    session.addEnv('GIT_USERNAME', session.vars.gitUsername);
    session.addEnv('GIT_PASSWORD', session.vars.gitPassword);
  }
}
