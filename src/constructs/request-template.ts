import type { Construct } from 'constructs';

import { Labels, MANAGED_BY } from './names.js';
import { TemplateChart } from './template-chart.js';
import { SessionVariables, variable } from './variables.js';

/**
 * Objects created when a session is allocated to a learner (Educates' `request.objects`): add them to this scope
 * as ordinary cdk8s constructs. They may use the session's variables (`vars`) and the workshop's request
 * parameters (`param(name)`, filled in with the values of that learner's request), and they go with the session:
 * the scope's default namespace is the session namespace, and anything placed outside it is owned by it.
 *
 * Reserve sessions wait in the pool without them; the runtime creates them once a learner holds the session.
 */
export class RequestTemplate extends TemplateChart {
  /** Session variables, as placeholders. */
  public readonly vars = new SessionVariables();

  constructor(scope: Construct, id: string) {
    super(scope, id, {
      namespace: variable('session_namespace'),
      labels: {
        [Labels.MANAGED_BY]: MANAGED_BY,
        [Labels.COMPONENT]: 'session',
        [Labels.ENVIRONMENT]: variable('environment_name'),
        [Labels.SESSION]: variable('session_name'),
      },
    });
  }

  /** The placeholder of a request parameter, e.g. `param('GREETING')` is `$(GREETING)`. */
  public param(name: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`${this.node.path}: request parameter name '${name}' must start with a letter or '_' and contain only letters, digits and '_'`);
    }
    return variable(name);
  }
}
