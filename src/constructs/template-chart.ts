import { createHash } from 'node:crypto';

import { type ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';

/**
 * A chart that is a template rather than output: its objects are synthesized once and then rendered with
 * variables, for every portal (environment objects) or every session (session objects). Objects that have no
 * explicit name get one from their path inside the template, so a template renders the same names wherever
 * it is used.
 */
export class TemplateChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps) {
    super(scope, id, { ...props, disableResourceNameHashes: false });
  }

  public generateObjectName(apiObject: ApiObject): string {
    const parts = apiObject.node.scopes
      .slice(this.node.scopes.length)
      .map((scope) => scope.node.id)
      .filter((id) => id !== 'Resource' && id !== 'Default');
    const readable = parts
      .join('-')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '');
    const hash = createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 8);
    return `${readable.slice(0, 63 - 9) || 'object'}-${hash}`;
  }
}
