import { ContentSource } from '../constructs/index.js';
import { type Code, Commented, factory } from './code.js';
import type { Fields } from './fields.js';
import { variablesProblem } from './values.js';

export interface MappedContent {
  /**
   * `ContentSource.image(...)`, `.git(...)`, `.http(...)` or `.several([...])` (perhaps with a comment), or undefined
   * for content in the image.
   */
  content?: Code | Commented;
  /** A workshop image other than Educates' base image. */
  workshopImage?: string;
}

/** Educates' short names of its own workshop images. */
const EDUCATES_IMAGES = /^(base|jdk8|jdk11|jdk17|jdk21|conda)-environment(:.*)?$/;

/**
 * Maps where the workshop comes from: `spec.workshop.files` (vendir items: each image, git or http item is a
 * content source into its `path`; several become `ContentSource.several`), `spec.workshop.image`, and their
 * deprecated forms `spec.content.image` / `.files`.
 */
export function mapContent(spec: Fields, version: string, imageRepository: string): MappedContent {
  const result: MappedContent = {};
  const workshop = spec.child('workshop');
  const legacy = spec.child('content');
  const image = workshop?.string('image');
  const legacyImage = legacy?.string('image');
  const chosenImage = image ?? legacyImage;
  if (image !== undefined && legacyImage !== undefined) {
    legacy!.report.unsupported(legacy!.resource, legacy!.pathOf('image'), legacyImage, 'spec.workshop.image takes its place');
  }
  if (chosenImage !== undefined) {
    const field = image !== undefined ? 'spec.workshop.image' : 'spec.content.image';
    const problem = variablesProblem(chosenImage);
    if (problem) spec.report.unsupported(spec.resource, field, chosenImage, problem);
    else if (/^base-environment(:.*)?$/.test(chosenImage)) {
      // Educates' base image: the library's default dashboard image plays its part
    } else if (EDUCATES_IMAGES.test(chosenImage)) {
      spec.report.unsupported(
        spec.resource,
        field,
        chosenImage,
        'an Educates image: the session runs the cdk8s-workshops dashboard image; build one FROM it with the tools you need and set workshopImage',
      );
    } else {
      result.workshopImage = chosenImage;
    }
  }

  // every vendir item is a source, into its own folder (`path`); several become ContentSource.several
  const sources: Array<{ code: Code | Commented; into: string }> = [];
  for (const item of workshop?.children('files') ?? []) {
    const into = (item.string('path') ?? '.').replace(/^\.\//, '').replace(/\/+$/, '') || '.';
    const clash = sources.find(
      (s) => s.into === into || (s.into !== '.' && into !== '.' && (into.startsWith(`${s.into}/`) || s.into.startsWith(`${into}/`))),
    );
    if (clash) {
      item.unsupportedAll(
        `its path '${into}' overlaps the folder '${clash.into}' of an earlier item: each source fills a folder of its own (one may fill the root)`,
      );
      continue;
    }
    const code = mapFilesItem(item, version, imageRepository, spec, into);
    if (code) sources.push({ code, into });
  }
  if (sources.length === 1) result.content = sources[0].code;
  else if (sources.length > 1) {
    const comments = sources.flatMap((s) => (s.code instanceof Commented ? [s.code.comment] : []));
    const several = factory('ContentSource', 'several', [sources.map((s) => (s.code instanceof Commented ? s.code.value : s.code))]);
    result.content = comments.length ? new Commented(several, comments.join('; ')) : several;
  }
  workshop?.unsupported('packages', 'cdk8s-workshops installs no packages into sessions: add them to the workshop image');
  workshop?.finish();

  const files = legacy?.string('files');
  if (files !== undefined) {
    const github = /^(?:https:\/\/)?(github\.com\/[\w.-]+\/[\w.-]+?)(?:\.git)?\/?(?:\?ref=([\w./-]+))?$/.exec(files);
    if (result.content) legacy!.report.unsupported(legacy!.resource, legacy!.pathOf('files'), files, 'spec.workshop.files takes its place');
    else if (github) result.content = factory('ContentSource', 'git', [`https://${github[1]}`, github[2] ?? 'main']);
    else
      legacy!.report.unsupported(
        legacy!.resource,
        legacy!.pathOf('files'),
        files,
        'only github.com/<org>/<repo>?ref=<ref> carries over (as a Git content source)',
      );
  }
  legacy?.finish();
  spec.unsupported('publish', '`workshops publish` takes the image reference on its command line');
  return result;
}

/** One vendir content item as a content source, or undefined (reported) when it cannot be one. */
function mapFilesItem(item: Fields, version: string, imageRepository: string, spec: Fields, into: string): Code | Commented | undefined {
  item.take('path');
  item.unsupported('legalPaths', 'cdk8s-workshops keeps no legal files apart: list them in includePaths');
  const filters: Record<string, unknown> = into === '.' ? {} : { into };
  for (const key of ['includePaths', 'excludePaths'] as const) {
    const globs = item.strings(key);
    if (globs?.length) filters[key] = globs;
  }
  const newRoot = item.string('newRootPath');
  let code: Code | Commented | undefined;
  if (item.has('image')) {
    const image = item.child('image')!;
    const url = image.string('url');
    // Educates' own templates publish to $(image_repository)/<name>-files:$(workshop_version)
    const filled = url?.replace('$(image_repository)', imageRepository).replace('$(workshop_version)', version);
    const ref = filled && !/:[\w][\w.-]*$|@sha256:/.test(filled.split('/').pop() ?? '') ? `${filled}:latest` : filled;
    const options = { ...filters, ...credentialsOf(image, spec) };
    image.finish();
    code = attempt(item, 'image', () => {
      if (!ref) throw new Error('an image item needs a url');
      const problem = variablesProblem(ref);
      if (problem) throw new Error(problem);
      if (ref.includes('$('))
        throw new Error(`a content source is a full image reference, without variables: write out ${ref.match(/\$\([a-z_]+\)/)![0]}`);
      ContentSource.image(ref, options);
      const source = factory('ContentSource', 'image', Object.keys(options).length ? [ref, options] : [ref]);
      return filled === url
        ? source
        : new Commented(
            source,
            `Educates wrote ${url}: filled in with the portal's image ` +
              `repository (${imageRepository}) and the workshop's version; change it if you publish elsewhere`,
          );
    });
    if (newRoot !== undefined)
      item.report.unsupported(
        item.resource,
        item.pathOf('newRootPath'),
        newRoot,
        'an image content source is used from its root (includePaths can pick a folder, not move it)',
      );
  } else if (item.has('git')) {
    const git = item.child('git')!;
    const url = git.string('url');
    const ref = (git.string('ref') ?? 'origin/main').replace(/^origin\//, '');
    const options = { ...(newRoot ? { path: newRoot } : {}), ...filters, ...credentialsOf(git, spec) };
    git.unsupported('lfsSkipSmudge', 'the content is checked out without Git LFS');
    git.unsupported('depth', 'the content is always fetched at depth 1');
    git.finish();
    code = attempt(item, 'git', () => {
      if (!url) throw new Error('a git item needs a url');
      ContentSource.git(url, ref, options);
      const simple = Object.keys(options).every((k) => k === 'path');
      return factory('ContentSource', 'git', simple ? (newRoot ? [url, ref, newRoot] : [url, ref]) : [url, ref, options]);
    });
  } else if (item.has('http')) {
    const http = item.child('http')!;
    const url = http.string('url');
    const options = { ...(newRoot ? { path: newRoot } : {}), ...filters, ...credentialsOf(http, spec) };
    const sha256 = http.string('sha256');
    if (sha256 !== undefined) {
      if (/^(sha256:)?[0-9a-f]{64}$/.test(sha256)) Object.assign(options, { sha256 });
      else http.report.unsupported(http.resource, http.pathOf('sha256'), sha256, 'not a sha256: 64 lower-case hexadecimal digits');
    }
    http.unsupported('disableUnpack', 'the archive is always unpacked (a tar.gz)');
    http.finish();
    code = attempt(item, 'http', () => {
      if (!url) throw new Error('an http item needs a url');
      ContentSource.http(url, options);
      return factory('ContentSource', 'http', Object.keys(options).length ? [url, options] : [url]);
    });
  } else {
    const kind = Object.keys(item.value).find((k) => !['path', 'includePaths', 'excludePaths', 'legalPaths', 'newRootPath'].includes(k));
    item.report.unsupported(
      item.resource,
      kind ? item.pathOf(kind) : item.path,
      kind ? item.value[kind] : item.value,
      'only image, git and http content sources carry over: publish the files as an OCI image (`workshops publish`), put them in Git or serve a tar.gz',
    );
    for (const key of Object.keys(item.value)) item.take(key);
    return undefined;
  }
  item.finish();
  return code;
}

/**
 * A vendir `secretRef` as the content source's credentials: Educates reads it in the workshop namespace, where
 * `environment.secrets` copies it; the copy's source namespace becomes the library's reference.
 */
function credentialsOf(source: Fields, spec: Fields): { credentials?: { name: string; namespace: string } } {
  const ref = source.child('secretRef');
  if (!ref) return {};
  const name = ref.string('name');
  ref.finish();
  const environment = spec.value.environment as { secrets?: Array<{ name?: unknown; namespace?: unknown }> } | undefined;
  const copied = (environment?.secrets ?? []).find((s) => s?.name === name && typeof s?.namespace === 'string');
  if (!name || !copied) {
    source.report.unsupported(
      source.resource,
      source.pathOf('secretRef'),
      source.value.secretRef,
      'the credentials Secret must be one spec.environment.secrets copies (with its namespace), so that cdk8s-workshops can copy it too',
    );
    return {};
  }
  return { credentials: { name, namespace: copied.namespace as string } };
}

function attempt(item: Fields, key: string, make: () => Code | Commented): Code | Commented | undefined {
  try {
    return make();
  } catch (error) {
    item.report.unsupported(item.resource, item.pathOf(key), item.value[key], (error as Error).message);
    return undefined;
  }
}
