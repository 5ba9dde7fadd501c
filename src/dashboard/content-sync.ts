/**
 * Keeps the session's workshop content current while the session runs. Content published as an OCI artifact is
 * pulled at start; then the tag is checked every few seconds and pulled again when it moved (or at once when
 * POST /workshop/update asks). Every pull lands in a directory of its own and becomes current only when
 * complete, so a learner never reads a half-unpacked page. Edits in place (an author working inside a session)
 * are picked up by watching the current directory.
 *
 * Listeners of 'change' get the new directory; the dashboard re-reads the instructions from it.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watchContent } from '../content/index.js';
import { pullContent, resolveDigest } from '../oci/index.js';
import type { DashboardConfig } from './config.js';

export interface ContentSyncOptions {
  /** The content source of dashboard.json. */
  readonly source: DashboardConfig['content'];
  /**
   * For embedded content: the workshop directory itself. For pulled content: where the pulls are unpacked,
   * each in a subdirectory named after its digest.
   */
  readonly workshopDir: string;
  /** Seconds between checks of the tag; 0 turns checking off. @default 30 */
  readonly pollSeconds?: number;
  /** Plain HTTP to the registry (local registries in development and tests). */
  readonly insecureRegistry?: boolean;
  readonly registryUsername?: string;
  readonly registryPassword?: string;
  readonly log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export declare interface ContentSync {
  on(event: 'change', listener: (dir: string) => void): this;
}

export class ContentSync extends EventEmitter {
  private current: string;
  private digest: string | undefined;
  private poller: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  /** Checks run one after another, so an explicit update always sees what was published before it was asked for. */
  private checks: Promise<unknown> = Promise.resolve();
  private busy = false;
  private stopped = false;

  constructor(private readonly options: ContentSyncOptions) {
    super();
    this.current = options.workshopDir;
  }

  /** The directory the instructions are read from now. */
  public get dir(): string {
    return this.current;
  }

  /** The digest of the content in use, when it was pulled. */
  public get contentDigest(): string | undefined {
    return this.digest;
  }

  /** Pulls the content if it is published as an artifact (failing loudly: a session without content is useless), then watches. */
  public async start(): Promise<void> {
    if (this.options.source.git) {
      throw new Error(`dashboard.json: content from Git (${JSON.stringify(this.options.source.git)}) is not supported yet: publish the content as an OCI artifact (workshops publish) or bake it into the image`);
    }
    if (this.options.source.image) {
      this.removeLeftovers();
      await this.pull();
      const seconds = this.options.pollSeconds ?? 30;
      if (seconds > 0) {
        this.poller = setInterval(() => {
          if (!this.busy) this.update().catch(() => undefined);
        }, seconds * 1000);
        this.poller.unref();
      }
    }
    this.watch();
  }

  /** Pulls again if the tag moved; true when the content changed. */
  public update(): Promise<boolean> {
    if (!this.options.source.image) return Promise.resolve(false);
    const check = this.checks.catch(() => undefined).then(async () => {
      this.busy = true;
      try {
        return await this.pullIfMoved();
      } finally {
        this.busy = false;
      }
    });
    this.checks = check;
    return check;
  }

  public stop(): void {
    this.stopped = true;
    clearInterval(this.poller);
    this.unwatch?.();
  }

  private async pullIfMoved(): Promise<boolean> {
    const ref = this.options.source.image!.ref;
    try {
      const digest = await resolveDigest(ref, this.credentials());
      if (digest === this.digest) return false;
    } catch (error) {
      this.options.log?.warn({ ref, message: (error as Error).message }, 'cannot check the workshop content for updates');
      throw error;
    }
    return this.pull();
  }

  private async pull(): Promise<boolean> {
    const ref = this.options.source.image!.ref;
    // pullContent fills its own staging directory and renames it into place; this one is then renamed after
    // the digest, so each version keeps a directory of its own while the previous one may still be read.
    const staging = path.join(this.options.workshopDir, `.incoming-${process.pid}-${Date.now()}`);
    let result: { digest: string; files: number };
    try {
      result = await pullContent({ ref, dest: staging, ...this.credentials() });
    } catch (error) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw error;
    }
    if (this.stopped || result.digest === this.digest) {
      fs.rmSync(staging, { recursive: true, force: true });
      return false;
    }
    const dir = path.join(this.options.workshopDir, result.digest.replace(/^sha256:/, '').slice(0, 16));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
    const previous = this.current;
    this.current = dir;
    this.digest = result.digest;
    this.options.log?.info({ ref, digest: result.digest, files: result.files }, 'workshop content pulled');
    if (previous !== this.options.workshopDir) {
      // Readers of the old directory are done by now (pages are read whole); keep the disk tidy.
      fs.rmSync(previous, { recursive: true, force: true });
    }
    this.watch();
    this.emit('change', dir);
    return true;
  }

  /** Versions and half-done pulls of an earlier run (a restarted process): only names this class makes. */
  private removeLeftovers(): void {
    const base = this.options.workshopDir;
    if (!fs.existsSync(base)) return;
    for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
      if (entry.isDirectory() && (/^[0-9a-f]{16}$/.test(entry.name) || entry.name.replace(/^\.+/, '').startsWith('incoming-'))) {
        fs.rmSync(path.join(base, entry.name), { recursive: true, force: true });
      }
    }
  }

  private credentials() {
    return { insecure: this.options.insecureRegistry, username: this.options.registryUsername, password: this.options.registryPassword };
  }

  /** Edits in place (an author working inside the session) show up too. */
  private watch(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (!fs.existsSync(this.current)) return;
    try {
      const dir = this.current;
      this.unwatch = watchContent(dir, () => {
        if (this.current === dir) this.emit('change', dir);
      });
    } catch (error) {
      this.options.log?.warn({ dir: this.current, message: (error as Error).message }, 'cannot watch the workshop content for edits');
    }
  }
}
