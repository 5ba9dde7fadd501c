import { App } from 'cdk8s';

import {
  Budget,
  type BudgetOverrides,
  type Capability,
  chartObjects,
  formatCpu,
  formatMemory,
  parseQuantity,
  SecurityPolicy,
  variable,
  Workshop,
} from '../constructs/index.js';
import type { NamespaceSettings } from './map-namespaces.js';

type Json = Record<string, any>;

export interface BudgetFit {
  /** What was added, for a comment in the generated code; undefined when nothing changed. */
  readonly comment?: string;
}

/**
 * In Educates the whole budget of the session namespace is the learner's: the workshop pod runs in the
 * environment's namespace. Here too — but a capability may still add pods to the session namespace (the session
 * registry, say). So that the learner keeps the room the
 * Educates budget gave, the quota is raised by what those pods use, and the per-pod and per-container maximums are
 * raised where they would refuse them. The figures come from the library itself: a throw-away workshop with the same
 * capabilities. Nothing changes when no pod of the library runs in the session namespace.
 */
export function fitBudget(
  settings: NamespaceSettings,
  capabilities: Capability[],
  options: { workshopMemory?: string; kubernetesAccess: boolean },
): BudgetFit {
  if (!settings.budget || settings.budget === 'custom') return {};
  const figures = { ...Budget.fromName(settings.budget).figures!, ...settings.overrides };
  const scratch = new Workshop(new App(), 'scratch', {
    title: 'scratch',
    description: 'scratch',
    capabilities,
    workshopMemory: options.workshopMemory,
    kubernetesAccess: options.kubernetesAccess,
    environmentSecurityPolicy: SecurityPolicy.PRIVILEGED,
  });
  const defaults = { cpu: parseQuantity(figures.containerDefaultCpu), memory: parseQuantity(figures.containerDefaultMemory) };
  const total = { cpu: 0, memory: 0 };
  const largestPod = { cpu: 0, memory: 0 };
  const largestContainer = { cpu: 0, memory: 0 };
  let counted = 0;
  for (const object of chartObjects(scratch.session, 'scratch') as Json[]) {
    if (!['Deployment', 'StatefulSet', 'Pod'].includes(object.kind)) continue;
    // only what lands in a session namespace counts (the library's default namespace there is the session's)
    const namespace: string | undefined = object.metadata?.namespace;
    if (namespace !== undefined && !namespace.startsWith(variable('session_namespace'))) continue;
    counted++;
    const spec = object.kind === 'Pod' ? object.spec : object.spec?.template?.spec;
    const replicas = object.kind === 'Pod' ? 1 : (object.spec?.replicas ?? 1);
    const pod = { cpu: 0, memory: 0 };
    for (const container of spec?.containers ?? []) {
      for (const resource of ['cpu', 'memory'] as const) {
        const limit = container.resources?.limits?.[resource];
        const value = limit !== undefined ? parseQuantity(limit) : defaults[resource];
        pod[resource] += value;
        largestContainer[resource] = Math.max(largestContainer[resource], value);
      }
    }
    for (const resource of ['cpu', 'memory'] as const) {
      total[resource] += pod[resource] * replicas;
      largestPod[resource] = Math.max(largestPod[resource], pod[resource]);
    }
  }
  if (!counted) return {};
  const overrides: Record<string, unknown> = { ...settings.overrides };
  const raise = (field: keyof BudgetOverrides, resource: 'cpu' | 'memory', needed: number) => {
    const current = parseQuantity(figures[field] as string);
    if (needed > current + 1e-9) overrides[field] = show(resource, needed);
  };
  overrides.quotaCpu = show('cpu', parseQuantity(figures.quotaCpu) + total.cpu);
  overrides.quotaMemory = show('memory', parseQuantity(figures.quotaMemory) + total.memory);
  raise('podMaxCpu', 'cpu', largestPod.cpu);
  raise('podMaxMemory', 'memory', largestPod.memory);
  raise('containerMaxCpu', 'cpu', largestContainer.cpu);
  raise('containerMaxMemory', 'memory', largestContainer.memory);
  settings.overrides = overrides as BudgetOverrides;
  return {
    comment:
      `The capabilities' pods in the session namespace use ${show('cpu', total.cpu)} CPU and ${show('memory', total.memory)} of memory ` +
      `(in Educates they ran beside the workshop container), so the quota is raised by that much and the learner keeps the room of the '${settings.budget}' budget.`,
  };
}

function show(resource: 'cpu' | 'memory', value: number): string {
  if (resource === 'cpu') return formatCpu(Math.ceil(value * 1000 - 1e-6) / 1000);
  return formatMemory(Math.ceil(value / 2 ** 20 - 1e-9) * 2 ** 20);
}
