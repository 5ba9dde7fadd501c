/**
 * The ImageRegistry capability's promise to the learner: `~/.docker/config.json` holds the session registry's
 * credentials, so `docker push $REGISTRY_HOST/app` (and every tool that reads Docker's config: skopeo, crane,
 * buildah, kaniko's executor) works without a `docker login`. Written through the session agent (so the file is
 * the learner's, mode 0600) at dashboard start; entries for other registries the learner added are kept.
 */
import type { LearnerSide } from './index.js';

export const DOCKER_CONFIG = '.docker/config.json';

/** Most of an existing config.json read back (a learner's file far larger than this is left alone). */
const MAX_EXISTING = 1024 * 1024;

/**
 * Adds (or replaces) `auths[host]` in the learner's Docker config. Returns false when the session has no registry
 * values (REGISTRY_HOST, REGISTRY_AUTH_TOKEN) to write.
 */
export async function writeRegistryConfig(agent: LearnerSide, registry: { host?: string; authToken?: string }): Promise<boolean> {
  if (!registry.host || !registry.authToken) return false;
  let config: Record<string, unknown> = {};
  const existing = await agent.stat(DOCKER_CONFIG);
  if (existing?.type === 'file') {
    if (existing.size > MAX_EXISTING) throw new Error(`${DOCKER_CONFIG} is larger than ${MAX_EXISTING} bytes; left as it is`);
    const chunks: Buffer[] = [];
    for await (const chunk of await agent.readFile(DOCKER_CONFIG)) chunks.push(Buffer.from(chunk as Buffer));
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
    } catch {
      throw new Error(`${DOCKER_CONFIG} is not JSON; left as it is (the learner's to fix)`);
    }
  } else if (existing) {
    throw new Error(`${DOCKER_CONFIG} is a ${existing.type}, not a file; left as it is`);
  }
  const auths =
    typeof config.auths === 'object' && config.auths !== null && !Array.isArray(config.auths) ? (config.auths as Record<string, unknown>) : {};
  config.auths = { ...auths, [registry.host]: { auth: registry.authToken } };
  await agent.writeFile(DOCKER_CONFIG, Buffer.from(`${JSON.stringify(config, null, 2)}\n`), { mode: 0o600, overwrite: true, mkdirs: true });
  return true;
}
