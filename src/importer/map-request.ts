import { RequestParameter } from '../constructs/index.js';
import { factory } from './code.js';
import { Fields } from './fields.js';

/** Maps `spec.request.parameters` to `RequestParameter.fixed` / `.generated`; `request.objects` are reported. */
export function mapRequest(request: Fields | undefined): unknown[] | undefined {
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
  request.unsupported('objects', 'cdk8s-workshops creates no objects at allocation: add them to the session (session.objects) instead');
  request.finish();
  return parameters.length ? parameters : undefined;
}
