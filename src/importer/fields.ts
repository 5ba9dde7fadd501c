import type { Report } from './report.js';

type Json = Record<string, unknown>;

/**
 * A reader of one object of the input that remembers which keys were read, so that whatever is left at the end is
 * reported as not carried over: nothing of the input is dropped silently.
 */
export class Fields {
  private readonly taken = new Set<string>();

  constructor(
    /** The object read. */
    public readonly value: Json,
    /** Its dotted path inside the resource, e.g. `spec.session`. */
    public readonly path: string,
    /** The resource, e.g. `Workshop lab-x`. */
    public readonly resource: string,
    public readonly report: Report,
  ) {}

  /** The path of a key of this object. */
  public pathOf(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** True when the key is present (not undefined or null). */
  public has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  /** The raw value of a key, marked as read. */
  public take(key: string): unknown {
    this.taken.add(key);
    const value = this.value[key];
    return value === null ? undefined : value;
  }

  /** A string field; a value of another type is an error. */
  public string(key: string): string | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string') throw this.typeError(key, value, 'a string');
    return value;
  }

  /** A whole number field (numbers written as strings are accepted, as Educates does). */
  public integer(key: string): number | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) throw this.typeError(key, value, 'a whole number ≥ 0');
    return number;
  }

  /** A boolean field. */
  public boolean(key: string): boolean | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw this.typeError(key, value, 'true or false');
    return value;
  }

  /** A list of strings. */
  public strings(key: string): string[] | undefined {
    const list = this.list(key);
    if (!list) return undefined;
    return list.map((item, i) => {
      if (typeof item !== 'string') throw new Error(`${this.resource}: '${this.pathOf(key)}[${i}]' (${JSON.stringify(item)}) must be a string`);
      return item;
    });
  }

  /** A list field. */
  public list(key: string): unknown[] | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw this.typeError(key, value, 'a list');
    return value;
  }

  /** A nested object, as a reader of its own. */
  public child(key: string): Fields | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.typeError(key, value, 'an object');
    return new Fields(value as Json, this.pathOf(key), this.resource, this.report);
  }

  /** The objects of a list field, each as a reader (path `key[i]`). */
  public children(key: string): Fields[] {
    return (this.list(key) ?? []).map((item, i) => {
      const path = `${this.pathOf(key)}[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new Error(`${this.resource}: '${path}' (${JSON.stringify(item)}) must be an object`);
      }
      return new Fields(item as Json, path, this.resource, this.report);
    });
  }

  /** Marks a key as read and, when present, reports it as not carried over. */
  public unsupported(key: string, reason: string): void {
    const value = this.take(key);
    if (value !== undefined) this.report.unsupported(this.resource, this.pathOf(key), value, reason);
  }

  /** Reports this whole object as not carried over, and marks all its keys as read. */
  public unsupportedAll(reason: string): void {
    for (const key of Object.keys(this.value)) this.taken.add(key);
    this.report.unsupported(this.resource, this.path, this.value, reason);
  }

  /** Reports every key that was not read as unknown. Call once, when done with the object. */
  public finish(): void {
    for (const [key, value] of Object.entries(this.value)) {
      if (this.taken.has(key) || value === undefined || value === null) continue;
      this.report.unsupported(this.resource, this.pathOf(key), value, 'not a field this importer knows; it is not carried over');
    }
  }

  private typeError(key: string, value: unknown, expected: string): Error {
    return new Error(`${this.resource}: '${this.pathOf(key)}' (${JSON.stringify(value)}) must be ${expected}`);
  }
}
