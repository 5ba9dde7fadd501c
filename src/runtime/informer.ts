/**
 * A watch-backed cache of one kind of object (list, then watch from the list's resourceVersion, reconnecting and
 * relisting when the watch breaks or expires), so that the runtime reads state from memory and learns of changes
 * as they happen instead of polling per session.
 *
 * As client-go's reflector: a line of the watch that is not JSON ends that watch (it resumes from the last good
 * resourceVersion) instead of the process; after a 410 Gone no watch starts until a list has succeeded (objects
 * deleted during the gap would stay cached otherwise); the cache is listed again every `relistSeconds` anyway; and
 * resourceVersions are compared only for equality (they are opaque).
 */
import { EventEmitter } from 'node:events';

import type { Manifest } from '../constructs/index.js';
import { type KubeClient, KubeError } from './kube-client.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions {
  readonly labelSelector?: string;
  readonly namespace?: string;
  /** The cache is listed again this often (with up to a tenth more, at random), whatever the watch says. @default 600 */
  readonly relistSeconds?: number;
}

/** How long a copy this process wrote (`observe`) holds against older watch events that are still on their way. */
const OBSERVED_HOLD_MS = 10_000;
/** ResourceVersions of watch events remembered per object, to recognise a write the watch has already delivered. */
const RECENT_VERSIONS = 4;

export class Informer<T extends Manifest = Manifest> extends EventEmitter {
  private readonly cache = new Map<string, T>();
  private resourceVersion = '';
  private stopped = false;
  private current?: { destroy(): void };
  private synced = false;
  /** A list must succeed before the next watch (at the start, after 410 Gone, when a relist is due). */
  private needsList = true;
  private listedAt = 0;
  /** The resourceVersions the watch (or a list) delivered last, per object. */
  private readonly recent = new Map<string, string[]>();
  /** Copies this process wrote, held until the watch delivers them: older events meanwhile are kept aside. */
  private readonly held = new Map<string, { version: string; latest?: { type: WatchEventType; object: T }; timer: NodeJS.Timeout }>();
  /** Watch lines that were not JSON (each ended its watch). */
  public malformedLines = 0;
  /** Lists done, the first included. */
  public lists = 0;
  private wakeLoop?: () => void;

  constructor(
    private readonly client: KubeClient,
    public readonly apiVersion: string,
    public readonly kind: string,
    private readonly options: InformerOptions = {},
  ) {
    super();
    this.setMaxListeners(100);
  }

  /** Lists, fills the cache, and keeps watching; resolves once the first list is in. */
  public async start(): Promise<void> {
    await this.relist();
    void this.watchLoop();
  }

  public stop(): void {
    this.stopped = true;
    this.current?.destroy();
    this.wakeLoop?.();
    for (const { timer } of this.held.values()) clearTimeout(timer);
    this.held.clear();
  }

  /** Whether the cache reflects a complete list. */
  public get hasSynced(): boolean {
    return this.synced;
  }

  public get(name: string, namespace?: string): T | undefined {
    return this.cache.get(key(name, namespace));
  }

  /** Every cached object (a new array; the objects are shared, do not change them). */
  public list(): T[] {
    return [...this.cache.values()];
  }

  /**
   * Takes a copy of an object that this process has just written, before its watch event arrives. ResourceVersions
   * are opaque, so "newer" is decided by order: the watch delivers the events of one object in order, so if it has
   * not yet delivered this version, nothing it delivered is newer, and events it delivers until this version comes
   * are older (kept aside, and applied only if this version never comes, after OBSERVED_HOLD_MS).
   */
  public observe(object: T): void {
    const k = key(object.metadata.name, object.metadata.namespace);
    const version = String(object.metadata.resourceVersion ?? '');
    if (!version || this.recent.get(k)?.includes(version)) return;
    const known = this.cache.get(k);
    if (known?.metadata.resourceVersion === version) return;
    this.cache.set(k, object);
    this.hold(k, version);
    this.emit('change', 'MODIFIED', object);
  }

  private hold(k: string, version: string): void {
    const previous = this.held.get(k);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      const entry = this.held.get(k);
      if (entry?.version !== version) return;
      this.held.delete(k);
      // the write's own event never came (the watch resumed past it): what the watch said since is the truth
      if (entry.latest) this.apply(k, entry.latest.type, entry.latest.object);
    }, OBSERVED_HOLD_MS);
    timer.unref?.();
    this.held.set(k, { version, timer });
  }

  private remember(k: string, version: string): void {
    const versions = this.recent.get(k) ?? [];
    versions.push(version);
    if (versions.length > RECENT_VERSIONS) versions.shift();
    this.recent.set(k, versions);
  }

  private release(k: string): void {
    const entry = this.held.get(k);
    if (entry) clearTimeout(entry.timer);
    this.held.delete(k);
  }

  private apply(k: string, type: WatchEventType, object: T): void {
    if (type === 'DELETED') {
      this.cache.delete(k);
      this.recent.delete(k);
    } else {
      this.cache.set(k, object);
    }
    this.emit('change', type, object);
  }

  private collectionPath(): string {
    return this.client.collectionPath(this.apiVersion, this.kind, this.options.namespace);
  }

  private async relist(): Promise<void> {
    const result = await this.client.request<{ metadata: { resourceVersion: string }; items: T[] }>('GET', this.collectionPath(), {
      query: { labelSelector: this.options.labelSelector },
    });
    this.lists++;
    // a list is a consistent read, newer than anything held: it replaces the cache
    for (const k of [...this.held.keys()]) this.release(k);
    const seen = new Set<string>();
    for (const item of result.items) {
      delete item.metadata.managedFields;
      item.apiVersion = this.apiVersion;
      item.kind = this.kind;
      const k = key(item.metadata.name, item.metadata.namespace);
      seen.add(k);
      const known = this.cache.get(k);
      this.cache.set(k, item);
      this.remember(k, String(item.metadata.resourceVersion));
      if (!known) this.emit('change', 'ADDED', item);
      else if (known.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('change', 'MODIFIED', item);
    }
    for (const [k, item] of [...this.cache.entries()]) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.recent.delete(k);
        this.emit('change', 'DELETED', item);
      }
    }
    this.resourceVersion = result.metadata.resourceVersion;
    this.needsList = false;
    this.listedAt = performance.now();
    this.synced = true;
  }

  private get relistMs(): number {
    return (this.options.relistSeconds ?? 600) * 1000;
  }

  private async watchLoop(): Promise<void> {
    let failures = 0;
    let jitter = Math.random() * 0.1 * this.relistMs;
    while (!this.stopped) {
      if (performance.now() - this.listedAt >= this.relistMs + jitter) {
        this.needsList = true;
        jitter = Math.random() * 0.1 * this.relistMs;
      }
      try {
        if (this.needsList) await this.relist();
        await this.watchOnce(Math.max(1, Math.min(240, Math.ceil((this.listedAt + this.relistMs + jitter - performance.now()) / 1000))));
        failures = 0;
        continue;
      } catch (error) {
        if (this.stopped) return;
        failures++;
        if (error instanceof KubeError && error.status === 410) this.needsList = true;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(5_000, 200 * 2 ** failures) * (0.5 + Math.random() / 2));
        this.wakeLoop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeLoop = undefined;
    }
  }

  private async watchOnce(timeoutSeconds: number): Promise<void> {
    const response = await this.client.stream(this.collectionPath(), {
      watch: 1,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      labelSelector: this.options.labelSelector,
      timeoutSeconds,
    });
    this.current = response;
    if (this.stopped) response.destroy();
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (!line.trim()) continue;
          let event: { type: string; object: T & { code?: number } };
          try {
            event = JSON.parse(line) as typeof event;
            if (!event || typeof event.type !== 'string' || typeof event.object !== 'object' || event.object === null)
              throw new Error('not a watch event');
          } catch {
            // resume from the last event understood
            this.malformedLines++;
            response.destroy();
            reject(new Error(`watch ${this.kind}: a line that is not a watch event: ${line.slice(0, 100)}`));
            return;
          }
          if (!this.handle(event)) {
            response.destroy();
            const code = Number(event.object.code) || 500;
            reject(
              new KubeError(
                code,
                (event.object as { reason?: string }).reason ?? 'Error',
                `watch ${this.kind}: ${code} ${(event.object as { message?: string }).message ?? ''}`,
              ),
            );
            return;
          }
        }
      });
      response.on('end', resolve);
      response.on('close', resolve);
      response.on('error', reject);
    });
  }

  /** Applies one watch event; false for an ERROR event, which ends the watch (410 Gone: list again before watching). */
  private handle(event: { type: string; object: T & { code?: number } }): boolean {
    if (event.type === 'ERROR') {
      if (event.object.code === 410) this.needsList = true;
      return false;
    }
    const object = event.object;
    if (!object.metadata) return true;
    this.resourceVersion = String(object.metadata.resourceVersion);
    if (event.type === 'BOOKMARK') return true;
    // managed fields are most of an object's size and nothing here reads them
    delete object.metadata.managedFields;
    object.apiVersion = this.apiVersion;
    object.kind = this.kind;
    const k = key(object.metadata.name, object.metadata.namespace);
    const type = event.type as WatchEventType;
    this.remember(k, this.resourceVersion);
    const held = this.held.get(k);
    if (held && type !== 'DELETED') {
      if (held.version !== this.resourceVersion) {
        // older than the copy this process wrote, whose own event is still to come
        held.latest = { type, object };
        return true;
      }
      this.release(k);
      const known = this.cache.get(k);
      this.cache.set(k, object);
      // the copy in the cache is this very version: nothing changed for the listeners
      if (known?.metadata.resourceVersion === this.resourceVersion) return true;
      this.emit('change', type, object);
      return true;
    }
    this.release(k);
    this.apply(k, type, object);
    return true;
  }
}

function key(name: string, namespace?: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
