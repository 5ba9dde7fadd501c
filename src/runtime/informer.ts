/**
 * A watch-backed cache of one kind of object (list, then watch from the list's resourceVersion, reconnecting and
 * relisting when the watch breaks or expires), so that the runtime reads state from memory and learns of changes
 * as they happen instead of polling per session.
 */
import { EventEmitter } from 'node:events';
import { Manifest } from '../constructs/index.js';
import { KubeClient, KubeError } from './kube-client.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions {
  readonly labelSelector?: string;
  readonly namespace?: string;
}

export class Informer<T extends Manifest = Manifest> extends EventEmitter {
  private readonly cache = new Map<string, T>();
  private resourceVersion = '';
  private stopped = false;
  private current?: { destroy(): void };
  private synced = false;

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

  /** Takes a newer copy of an object that this process wrote, before its watch event arrives. */
  public observe(object: T): void {
    const k = key(object.metadata.name, object.metadata.namespace);
    const known = this.cache.get(k);
    if (!known || Number(object.metadata.resourceVersion) >= Number(known.metadata.resourceVersion)) {
      this.cache.set(k, object);
      this.emit('change', 'MODIFIED', object);
    }
  }

  private collectionPath(): string {
    return this.client.collectionPath(this.apiVersion, this.kind, this.options.namespace);
  }

  private async relist(): Promise<void> {
    const result = await this.client.request<{ metadata: { resourceVersion: string }; items: T[] }>('GET', this.collectionPath(), {
      query: { labelSelector: this.options.labelSelector },
    });
    const seen = new Set<string>();
    for (const item of result.items) {
      delete item.metadata.managedFields;
      item.apiVersion = this.apiVersion;
      item.kind = this.kind;
      const k = key(item.metadata.name, item.metadata.namespace);
      seen.add(k);
      const known = this.cache.get(k);
      this.cache.set(k, item);
      if (!known) this.emit('change', 'ADDED', item);
      else if (known.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('change', 'MODIFIED', item);
    }
    for (const [k, item] of [...this.cache.entries()]) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.emit('change', 'DELETED', item);
      }
    }
    this.resourceVersion = result.metadata.resourceVersion;
    this.synced = true;
  }

  private async watchLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.watchOnce();
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        failures++;
        if (error instanceof KubeError && error.status === 410) this.resourceVersion = '';
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** failures)));
      }
      if (!this.resourceVersion && !this.stopped) {
        try {
          await this.relist();
        } catch {
          // the next round retries
        }
      }
    }
  }

  private async watchOnce(): Promise<void> {
    const response = await this.client.stream(this.collectionPath(), {
      watch: 1,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      labelSelector: this.options.labelSelector,
      timeoutSeconds: 240,
    });
    this.current = response;
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim()) this.handle(JSON.parse(line) as { type: string; object: T & { code?: number } });
        }
      });
      response.on('end', resolve);
      response.on('close', resolve);
      response.on('error', reject);
    });
  }

  private handle(event: { type: string; object: T & { code?: number } }): void {
    if (event.type === 'ERROR') {
      // usually 410 Gone: the resourceVersion is too old; list again
      this.resourceVersion = '';
      this.current?.destroy();
      return;
    }
    const object = event.object;
    this.resourceVersion = object.metadata.resourceVersion as string;
    if (event.type === 'BOOKMARK') return;
    // managed fields are most of an object's size and nothing here reads them
    delete object.metadata.managedFields;
    object.apiVersion = this.apiVersion;
    object.kind = this.kind;
    const k = key(object.metadata.name, object.metadata.namespace);
    if (event.type === 'DELETED') {
      this.cache.delete(k);
    } else {
      const known = this.cache.get(k);
      if (known && Number(known.metadata.resourceVersion) > Number(object.metadata.resourceVersion)) return;
      this.cache.set(k, object);
    }
    this.emit('change', event.type as WatchEventType, object);
  }
}

function key(name: string, namespace?: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
