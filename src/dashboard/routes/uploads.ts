/**
 * File uploads into the learner's home (FileServer `uploads`), at Educates' paths: `POST /upload/file` (fields
 * `path`, then `file`) and `POST /upload/files` (field `path`, a directory, then any number of `files`), both
 * multipart forms, for the `files:upload-file` and `files:upload-files` actions and the Files tab.
 *
 * Every file lands inside the upload directory (`uploadDirectory` of the settings, relative to the home):
 * - a path is refused when it is absolute, has a `..` (or `.`) segment, a backslash, a control character, or is
 *   longer than 1024 characters; a file name of `upload-files` must be a plain name;
 * - a symbolic link anywhere on the way (the upload directory itself included) is refused: it could point at the
 *   learner's shell profile or outside the home;
 * - a file larger than `maxUploadBytes` is refused (413) with a message naming the limit, and leaves nothing
 *   behind: the agent writes beside the target and renames only a complete file.
 * Files are written by the session agent, so they belong to the learner as if she had written them herself.
 */
import { Readable } from 'node:stream';

import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply } from 'fastify';

import { type DashboardConfig, isObject } from '../config.js';
import type { CapabilityContext, LearnerSide } from './index.js';

/** Default largest upload: 100 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** Default most files in one `upload/files` request. */
export const DEFAULT_MAX_UPLOAD_FILES = 100;

export interface UploadSettings {
  /** Relative to the home directory, '/'-separated, without `..`. */
  readonly directory: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
}

/** The upload settings of dashboard.json (`settings.files`), or null when uploads are off. */
export function uploadSettings(config: DashboardConfig): UploadSettings | null {
  const files = config.settings.files;
  if (!isObject(files) || files.uploads !== true) return null;
  const directory = typeof files.uploadDirectory === 'string' ? files.uploadDirectory : 'uploads';
  if (checkPath(directory, 'uploadDirectory') !== null)
    throw new Error(`dashboard.json: 'settings.files.uploadDirectory' (${JSON.stringify(directory)}) ${checkPath(directory, 'uploadDirectory')}`);
  const number = (value: unknown, fallback: number, field: string) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || (value as number) < 1)
      throw new Error(`dashboard.json: 'settings.files.${field}' (${JSON.stringify(value)}) must be a whole number of at least 1`);
    return value as number;
  };
  return {
    directory: directory.replace(/^\.\/?/, '').replace(/\/+$/, ''),
    maxBytes: number(files.maxUploadBytes, DEFAULT_MAX_UPLOAD_BYTES, 'maxUploadBytes'),
    maxFiles: number(files.maxUploadFiles, DEFAULT_MAX_UPLOAD_FILES, 'maxUploadFiles'),
  };
}

/** Why a relative path is refused, or null when it is fine. */
export function checkPath(value: string, field: string): string | null {
  if (value === '' || value === '.') return null;
  if (value.length > 1024) return 'is longer than 1024 characters';
  if (value.startsWith('/')) return 'must be relative to the upload directory, not absolute';
  if (value.includes('\\')) return 'must not contain a backslash';

  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  const segments = value.replace(/\/+$/, '').split('/');
  if (segments.some((s) => s === '..'))
    return `must stay inside the ${field === 'uploadDirectory' ? 'home' : 'upload'} directory: '..' is not allowed`;
  if (segments.some((s) => s === '.' || s === '')) return "must not have empty or '.' segments";
  return null;
}

/** A refusal with its HTTP status. */
class UploadError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

export async function registerUploads(app: FastifyInstance, ctx: CapabilityContext, settings: UploadSettings): Promise<void> {
  // In a scope of its own: only these routes parse multipart bodies.
  await app.register(async (scope) => {
    await scope.register(multipart, { throwFileSizeLimit: false });
    const limits = { fileSize: settings.maxBytes + 1, files: settings.maxFiles, fields: 10, fieldSize: 4096, parts: settings.maxFiles + 10 };

    scope.post('/upload/file', { preHandler: ctx.requireLearner }, async (request, reply) => {
      if (!request.isMultipart())
        return refuse(reply, new UploadError(415, 'bad_request', 'send a multipart/form-data form with the fields path and file'));
      let target: string | undefined;
      const uploaded: Array<{ path: string; size: number }> = [];
      try {
        for await (const part of request.parts({ limits })) {
          if (part.type === 'field') {
            if (part.fieldname === 'path') target = String(part.value);
            continue;
          }
          if (part.fieldname !== 'file' || uploaded.length) {
            part.file.resume();
            throw new UploadError(400, 'bad_request', `upload/file takes one file, in the field 'file' (got '${part.fieldname}')`);
          }
          if (target === undefined) target = part.filename;
          if (!target)
            throw new UploadError(
              400,
              'bad_request',
              "the field 'path' (where the file goes, relative to the upload directory) must come before the file",
            );
          uploaded.push(await save(ctx.agent, settings, target, part.file, 'path'));
        }
      } catch (error) {
        return refuse(reply, error);
      }
      if (!uploaded.length) return refuse(reply, new UploadError(400, 'bad_request', "the form has no field 'file'"));
      ctx.touch?.();
      return { uploaded };
    });

    scope.post('/upload/files', { preHandler: ctx.requireLearner }, async (request, reply) => {
      if (!request.isMultipart())
        return refuse(reply, new UploadError(415, 'bad_request', 'send a multipart/form-data form with the field path (a directory) and the files'));
      let directory = '';
      const uploaded: Array<{ path: string; size: number }> = [];
      try {
        for await (const part of request.parts({ limits })) {
          if (part.type === 'field') {
            if (part.fieldname === 'path') directory = String(part.value).replace(/\/+$/, '');
            continue;
          }
          const name = part.filename;
          if (!name || name.includes('/') || name === '.' || name === '..') {
            part.file.resume();
            throw new UploadError(400, 'bad_request', `file name ${JSON.stringify(name)} must be a plain file name, without '/'`);
          }
          uploaded.push(await save(ctx.agent, settings, directory ? `${directory}/${name}` : name, part.file, 'path'));
        }
      } catch (error) {
        return refuse(reply, error);
      }
      if (!uploaded.length) return refuse(reply, new UploadError(400, 'bad_request', 'the form has no files'));
      ctx.touch?.();
      return { uploaded };
    });
  });
}

/** Writes one upload through the agent (which writes beside the target and renames: never half a file). */
async function save(
  agent: LearnerSide,
  settings: UploadSettings,
  relative: string,
  data: Readable,
  field: string,
): Promise<{ path: string; size: number }> {
  const problem = checkPath(relative, field);
  if (problem !== null || relative === '' || relative === '.') {
    data.resume();
    throw new UploadError(400, 'bad_path', `'${field}' (${JSON.stringify(relative.slice(0, 200))}) ${problem ?? 'must name a file'}`);
  }
  const target = settings.directory ? `${settings.directory}/${relative}` : relative;
  try {
    await refuseLinks(agent, settings.directory, target);
    const existing = await agent.stat(target);
    if (existing && existing.type !== 'file')
      throw new UploadError(409, 'exists', `'${relative}' is a ${existing.type} in the upload directory; a file cannot replace it`);
  } catch (error) {
    data.resume();
    throw error;
  }

  let size = 0;
  let tooLarge = false;
  const limitError = () =>
    new UploadError(
      413,
      'too_large',
      `'${relative}' is larger than the upload limit of ${formatBytes(settings.maxBytes)} (FileServer maxUploadSize)`,
    );
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of data as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > settings.maxBytes) {
        tooLarge = true;
        throw limitError();
      }
      yield chunk;
    }
  }
  const piped = Readable.from(counted(), { objectMode: false });
  try {
    await agent.writeFile(target, piped, { mode: 0o644, overwrite: true, mkdirs: true });
  } catch (error) {
    if (tooLarge) throw limitError();
    throw error;
  }
  // the agent may have taken the stream's end before the counter said no
  if (tooLarge) {
    await agent.remove(target).catch(() => undefined);
    throw limitError();
  }
  return { path: relative, size };
}

/**
 * Refuses when the upload directory or anything between it and the target (the target too) is a symbolic link,
 * checked by the learner's side itself (`test -L`: the agent's own file calls follow links inside the home).
 */
async function refuseLinks(agent: LearnerSide, directory: string, target: string): Promise<void> {
  const parts = target.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  const script = 'for p in "$@"; do if [ -L "$p" ]; then printf "%s" "$p"; exit 3; fi; [ -e "$p" ] || exit 0; done; exit 0';
  const result = await agent.exec({ command: ['sh', '-c', script, 'sh', ...prefixes], timeoutSeconds: 30 });
  if (result.exitCode === 0) return;
  if (result.exitCode !== 3) throw new UploadError(500, 'check_failed', `cannot check the upload path: ${result.output.trim().slice(0, 300)}`);
  const linked = result.output.trim();
  const base = directory ? directory.split('/').length : 0;
  const depth = linked.split('/').length;
  const where = depth <= base ? 'the upload directory' : `'${parts.slice(base, depth).join('/')}'`;
  throw new UploadError(400, 'bad_path', `${where} is a symbolic link (${linked}); uploads do not follow links`);
}

function refuse(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof UploadError) return reply.code(error.status).header('connection', 'close').send({ error: error.code, message: error.message });
  const agentError = error as { code?: string; status?: number; message?: string };
  if (agentError.code === 'outside_home') return reply.code(400).send({ error: 'bad_path', message: agentError.message });
  if (agentError.code === 'too_large') return reply.code(413).send({ error: 'too_large', message: agentError.message });
  if (['exists', 'not_a_file', 'not_a_directory', 'bad_request'].includes(agentError.code ?? ''))
    return reply.code(409).send({ error: agentError.code, message: agentError.message });
  if (agentError.code === 'FST_FILES_LIMIT' || agentError.code === 'FST_PARTS_LIMIT') {
    return reply
      .code(413)
      .header('connection', 'close')
      .send({ error: 'too_many_files', message: 'the upload has more files than the limit of one upload (FileServer maxUploadFiles)' });
  }
  if (agentError.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return reply.code(415).send({ error: 'bad_request', message: agentError.message });
  throw error;
}
