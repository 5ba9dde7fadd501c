import type { Construct } from 'constructs';

/**
 * The construct-tree context key that points every image this project builds at one registry; `WorkshopApp`'s
 * `imageRegistry` sets it. `workshops images push --registry <host>` puts the images there.
 */
export const IMAGE_REGISTRY_CONTEXT = 'cdk8s-workshops:imageRegistry';
/** Where the project's released images are published when no registry is set. */
export const DEFAULT_IMAGE_REGISTRY = 'ghcr.io';
/** The tag of the project's images that this version of the library runs. */
export const PROJECT_IMAGE_TAG = '0.1.0';

/** The images built from `images/` (scripts/images/build.sh), by repository name under `cdk8s-workshops/`. */
export type ProjectImageName = 'training-portal' | 'session-dashboard' | 'docker-daemon' | 'registry' | 'editor' | 'console';

/**
 * The image a construct runs by default: `<registry>/cdk8s-workshops/<name>:<tag>`, with the registry from the
 * app's `imageRegistry`. Without it, the portal and dashboard come from ghcr.io and the Docker and ImageRegistry
 * capabilities use `fallback` (the upstream images) — so dist/ is unchanged until a registry is set.
 */
export function projectImage(scope: Construct, name: ProjectImageName, fallback?: string): string {
  const registry = imageRegistryOf(scope);
  if (registry === undefined && fallback !== undefined) return fallback;
  return `${registry ?? DEFAULT_IMAGE_REGISTRY}/cdk8s-workshops/${name}:${PROJECT_IMAGE_TAG}`;
}

/** The registry set on the app, checked; undefined when none is set. */
export function imageRegistryOf(scope: Construct): string | undefined {
  const value: unknown = scope.node.tryGetContext(IMAGE_REGISTRY_CONTEXT);
  if (value === undefined || value === null || value === '') return undefined;
  return checkImageRegistry(value);
}

/** A registry host with an optional port and path, as image references name it (no scheme, no tag). */
export function checkImageRegistry(value: unknown): string {
  const text = String(value);
  if (typeof value !== 'string' || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(text)) {
    throw new Error(
      `imageRegistry (${JSON.stringify(value)}) must be a registry host with an optional port and path, ` +
        `without a scheme or tag, e.g. 'registry.example.com/workshops' or '127.0.0.1:5000'`,
    );
  }
  return text;
}
