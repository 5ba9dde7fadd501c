import { RequestParameter } from '../constructs/index.js';
import { factory } from './code.js';
import type { Fields } from './fields.js';
import { mapObjects } from './map-objects.js';
import type { WorkshopModel } from './model.js';

/**
 * Maps `spec.request.parameters` to `RequestParameter.fixed` / `.generated`, and `request.objects` to objects of the
 * workshop's `request` scope (kept as written, the parameters' `$(name)` and all).
 */
export function mapRequest(request: Fields | undefined, model: WorkshopModel, sessionNamespaces: string[]): unknown[] | undefined {
  if (!request) return undefined;
  const parameters: unknown[] = [];
  for (const parameter of request.children('parameters')) {
    const name = parameter.string('name') ?? '';
    const value = parameter.string('value');
    const generate = parameter.string('generate');
    const from = parameter.string('from');
    parameter.finish();
    try {
      if (generate !== undefined) {
        if (generate !== 'expression' || from === undefined) throw new Error("generate must be 'expression' with a pattern in 'from'");
        RequestParameter.generated(name, from);
        parameters.push(factory('RequestParameter', 'generated', [name, from]));
      } else {
        RequestParameter.fixed(name, value ?? '');
        parameters.push(factory('RequestParameter', 'fixed', [name, value ?? '']));
      }
    } catch (error) {
      parameter.report.unsupported(parameter.resource, parameter.path, parameter.value, (error as Error).message);
    }
  }
  const names = new Set(((request.value.parameters as Array<{ name?: unknown }> | undefined) ?? []).map((p) => String(p?.name ?? '')));
  mapObjects(request, 'request', model, sessionNamespaces, names);
  request.finish();
  return parameters.length ? parameters : undefined;
}
