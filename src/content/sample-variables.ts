/**
 * Values the preview fills into `{{< param NAME >}}`, so that a page reads as it would in a session. They describe
 * one made-up session, s001 of environment my-lab-w01 of workshop my-lab in portal my-lab, on ingress domain
 * workshops.test; `workshops serve --var name=value` (startPreview's `variables`) overrides any of them.
 *
 * | variable                | sample value                                   |
 * |-------------------------|------------------------------------------------|
 * | workshop_name           | my-lab                                         |
 * | environment_name        | my-lab-w01                                     |
 * | workshop_namespace      | my-lab-w01                                     |
 * | session_name            | my-lab-w01-s001                                |
 * | session_namespace       | my-lab-w01-s001                                |
 * | session_hostname        | my-lab-w01-s001.workshops.test                 |
 * | session_url             | http://my-lab-w01-s001.workshops.test          |
 * | ingress_domain          | workshops.test                                 |
 * | ingress_protocol        | http                                           |
 * | registry_host           | registry-my-lab-w01-s001.workshops.test        |
 * | …                       | see SAMPLE_VARIABLES below for all of them     |
 */
import type { EnvironmentVariableName, SessionVariableName } from '../constructs/variables.js';

const WORKSHOP = 'my-lab';
const ENVIRONMENT = `${WORKSHOP}-w01`;
const SESSION = `${ENVIRONMENT}-s001`;
const DOMAIN = 'workshops.test';

/** Typed by the constructs' variable names, so a variable added there cannot be forgotten here. */
export const SAMPLE_VARIABLES: Readonly<Record<EnvironmentVariableName | SessionVariableName, string>> = {
  workshop_name: WORKSHOP,
  workshop_version: 'latest',
  workshop_image: 'ghcr.io/cdk8s-workshops/base-environment:latest',
  workshop_image_pull_policy: 'IfNotPresent',
  environment_name: ENVIRONMENT,
  workshop_namespace: ENVIRONMENT,
  training_portal: WORKSHOP,
  portal_namespace: `${WORKSHOP}-ui`,
  platform_arch: 'amd64',
  image_repository: 'registry.default.svc.cluster.local',
  assets_repository: `assets-${ENVIRONMENT}.${DOMAIN}`,
  oci_image_cache: `images-${ENVIRONMENT}.${DOMAIN}`,
  cluster_domain: 'cluster.local',
  ingress_domain: DOMAIN,
  ingress_protocol: 'http',
  ingress_port: '80',
  ingress_port_suffix: '',
  ingress_secret: '',
  ingress_class: 'nginx',
  storage_class: 'standard',
  session_id: 's001',
  session_name: SESSION,
  session_namespace: SESSION,
  session_namespace_uid: '00000000-0000-4000-8000-000000000001',
  workshop_session_uid: '00000000-0000-4000-8000-000000000002',
  service_account: SESSION,
  session_url: `http://${SESSION}.${DOMAIN}`,
  session_hostname: `${SESSION}.${DOMAIN}`,
  services_password: 'sample-services-password',
  config_password: 'sample-config-password',
  ssh_private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\n(sample)\n-----END OPENSSH PRIVATE KEY-----',
  ssh_public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIsample my-lab-w01-s001',
  ssh_keys_secret: `${SESSION}-ssh-keys`,
  registry_host: `registry-${SESSION}.${DOMAIN}`,
  registry_username: SESSION,
  registry_password: 'sample-registry-password',
  registry_auth_token: Buffer.from(`${SESSION}:sample-registry-password`).toString('base64'),
  registry_htpasswd: `${SESSION}:$2a$10$samplesamplesamplesamplesampleuO`,
  registry_secret: `${SESSION}-registry-credentials`,
  git_protocol: 'http',
  git_host: `git-${SESSION}.${DOMAIN}`,
  git_username: SESSION,
  git_password: 'sample-git-password',
  git_auth_token: Buffer.from(`${SESSION}:sample-git-password`).toString('base64'),
};

/** The sample values with `overrides` applied (overrides may add names the author's workshop defines). */
export function sampleVariables(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...SAMPLE_VARIABLES, ...overrides };
}
