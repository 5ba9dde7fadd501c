/**
 * Where a workshop's instructions and files come from.
 */
export class ContentSource {
  /**
   * Content published as an OCI artifact (see `workshops publish`), pulled when a session starts.
   *
   * @param ref an image reference with a tag or digest, e.g. `ghcr.io/acme/k8s-basics-files:1.2`
   */
  public static image(ref: string): ContentSource {
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(ref)) {
      throw new Error(`ContentSource.image: '${ref}' is not an OCI reference with a tag or digest (example: ghcr.io/acme/workshop-files:1.0)`);
    }
    // Like the puller, require a registry host, so content is never fetched from (or published to) Docker Hub by
    // accident: the first part of the name must look like a host (a dot, a port, or localhost).
    const host = ref.split('/')[0];
    if (!ref.includes('/') || !(host.includes('.') || host.includes(':') || host === 'localhost')) {
      throw new Error(`ContentSource.image: '${ref}' has no registry host; write it in full, e.g. ghcr.io/${ref} or docker.io/${ref}`);
    }
    return new ContentSource({ image: { ref } });
  }

  /**
   * Content in a Git repository.
   *
   * @param url an https or ssh URL of the repository
   * @param ref a branch, tag or commit @default 'main'
   * @param path the folder inside the repository that holds the workshop @default '.'
   */
  public static git(url: string, ref = 'main', path = '.'): ContentSource {
    if (!/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/.test(url)) {
      throw new Error(`ContentSource.git: '${url}' is not a Git URL (https://…, ssh://… or git@host:path)`);
    }
    if (!ref || /\s/.test(ref)) throw new Error(`ContentSource.git: ref ${JSON.stringify(ref)} must be a branch, tag or commit`);
    if (path.startsWith('/') || path.split('/').includes('..')) {
      throw new Error(`ContentSource.git: path '${path}' must be relative to the repository and stay inside it`);
    }
    return new ContentSource({ git: { url, ref, path } });
  }

  /** Content inside the workshop image itself (the default). */
  public static embedded(): ContentSource {
    return new ContentSource({});
  }

  private constructor(private readonly spec: Record<string, unknown>) {}

  /** The `content` field of the WorkshopEnvironment resource. */
  public toJson(): Record<string, unknown> {
    return JSON.parse(JSON.stringify(this.spec));
  }
}
