/**
 * The environment the learner's shells (and the workshop's setup scripts) get: the dashboard's own, without the
 * dashboard's secrets. The learner types commands in those shells, so whatever is in their environment is the
 * learner's.
 */

/**
 * The dashboard's own credentials, never handed to the learner:
 * - `CONFIG_PASSWORD`: the session's OAuth2 client secret and the key of the dashboard's cookies;
 * - `CONTENT_REGISTRY_USERNAME`, `CONTENT_REGISTRY_PASSWORD`: the author's credentials for pulling the content;
 * - `CONTENT_SSH_PRIVATE_KEY`, `CONTENT_SSH_KNOWN_HOSTS`: the key a Git content source is fetched over SSH with;
 * - the same four with `_<n>` for the n-th of several content sources.
 *
 * Deliberately not here: `SERVICES_PASSWORD` and the session registry's `REGISTRY_USERNAME`/`REGISTRY_PASSWORD`/
 * `REGISTRY_AUTH_TOKEN`, which are the learner's to use (Educates shows them in the instructions too).
 */
export const DASHBOARD_SECRETS: readonly string[] = ['CONFIG_PASSWORD', 'CONTENT_REGISTRY_USERNAME', 'CONTENT_REGISTRY_PASSWORD'];

const CONTENT_CREDENTIALS = /^CONTENT_(REGISTRY_USERNAME|REGISTRY_PASSWORD|SSH_PRIVATE_KEY|SSH_KNOWN_HOSTS)(_[0-9]+)?$/;

/** Whether the variable is one of the dashboard's own credentials. */
export function isDashboardSecret(name: string): boolean {
  return DASHBOARD_SECRETS.includes(name) || CONTENT_CREDENTIALS.test(name);
}

/** A copy of `env` without the dashboard's secrets (and without unset entries). */
export function learnerEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isDashboardSecret(name)) result[name] = value;
  }
  return result;
}
