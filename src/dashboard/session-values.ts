/**
 * The session values the instructions' `{{< param … >}}` shortcodes read, from the workshop pod's environment
 * variables: the same values the learner's shell has. Shared by the dashboard in its pod (src/apps/dashboard.ts)
 * and by `workshops sessions dashboard`, which reads the pod's environment from the cluster.
 */
const VARIABLES: Record<string, string> = {
  SESSION_NAME: 'session_name',
  SESSION_NAMESPACE: 'session_namespace',
  SESSION_URL: 'session_url',
  SESSION_HOSTNAME: 'session_hostname',
  WORKSHOP_NAME: 'workshop_name',
  WORKSHOP_NAMESPACE: 'workshop_namespace',
  ENVIRONMENT_NAME: 'environment_name',
  TRAINING_PORTAL: 'training_portal',
  INGRESS_DOMAIN: 'ingress_domain',
  INGRESS_PROTOCOL: 'ingress_protocol',
  SERVICES_PASSWORD: 'services_password',
};

/** The values set (non-empty) in `env`, by variable name, with the learner's home directory. */
export function sessionValuesFromEnv(env: Readonly<Record<string, string | undefined>>, homeDirectory: string): Record<string, string> {
  const values: Record<string, string> = { home_directory: homeDirectory };
  for (const [name, variable] of Object.entries(VARIABLES)) {
    const value = env[name];
    if (value) values[variable] = value;
  }
  return values;
}
