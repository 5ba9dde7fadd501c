/**
 * Session blueprints: the objects of a session with `$(variables)` in them, as the runtime reads them from a
 * WorkshopEnvironment, and the one function that renders them for a session. Synthesis and the runtime both go
 * through `renderSession`, so what dist/ shows is exactly what a session gets.
 */
import type { Manifest } from './manifest.js';
import { substituteVariables } from './variables.js';

/** The `spec.session` of a WorkshopEnvironment: everything the runtime needs to create one session. */
export interface SessionBlueprint {
  /** The session's objects, with session variables still in them. */
  readonly objects: Manifest[];
  /** Secrets the runtime copies into the session namespace. */
  readonly secrets: Array<{ name: string; namespace: string }>;
}

/** The session variables a blueprint refers to, so the runtime knows what it must generate. */
export function blueprintVariables(blueprint: SessionBlueprint): string[] {
  const text = JSON.stringify(blueprint);
  return [...new Set([...text.matchAll(/\$\(([a-z_][a-z0-9_]*)\)/g)].map((m) => m[1]))].sort();
}

/**
 * A blueprint prepared for rendering many sessions: serialized once, so that each session costs one pass of
 * string replacement and one JSON.parse instead of a walk over every object.
 */
export class CompiledBlueprint {
  /** The variables the blueprint refers to. */
  public readonly variables: ReadonlySet<string>;
  private readonly text: string;
  private readonly needsWalk: boolean;

  constructor(public readonly blueprint: SessionBlueprint) {
    this.text = JSON.stringify(blueprint.objects);
    this.variables = new Set(blueprintVariables(blueprint));
    // `$(base64(...))` applies to whole values only: those blueprints take the slower, exact path.
    this.needsWalk = this.text.includes('$(base64(');
  }

  /** The session's objects with `values` filled in; unknown variables stay as they are. */
  public render(values: Readonly<Record<string, string>>): Manifest[] {
    if (this.needsWalk) return substituteVariables(this.blueprint.objects, values);
    let text = this.text;
    for (let pass = 0; pass < 6 && text.includes('$('); pass++) {
      const next = text.replace(/\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)/g, (whole, name: string) =>
        Object.hasOwn(values, name) ? JSON.stringify(values[name]).slice(1, -1) : whole,
      );
      if (next === text) break;
      text = next;
    }
    return JSON.parse(text) as Manifest[];
  }
}

/** Renders a blueprint's objects for one session (see CompiledBlueprint for many). */
export function renderSession(blueprint: SessionBlueprint, values: Readonly<Record<string, string>>): Manifest[] {
  return new CompiledBlueprint(blueprint).render(values);
}
