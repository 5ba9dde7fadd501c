import { type BudgetOverrides, isQuantity } from '../constructs/index.js';
import { call, Code, lib, Literal } from './code.js';
import type { Fields } from './fields.js';

/** How one session namespace is set up: the Educates settings, as the library names them. */
export interface NamespaceSettings {
  /** An Educates budget name (`small` … `xxx-large`, `custom`), or undefined for none. */
  budget?: string;
  /** Overrides of the budget's figures (from `limits`, or added so the session's pods fit). */
  overrides: BudgetOverrides;
  /** `admin`, `edit`, `view` or `custom`; undefined for the default (admin). */
  role?: string;
  /** `restricted`, `baseline` or `privileged`; undefined for the default (restricted). */
  policy?: string;
}

const BUDGETS: Record<string, string> = {
  small: 'SMALL',
  medium: 'MEDIUM',
  large: 'LARGE',
  'x-large': 'X_LARGE',
  'xx-large': 'XX_LARGE',
  'xxx-large': 'XXX_LARGE',
  custom: 'CUSTOM',
};
const ROLES = ['admin', 'edit', 'view', 'custom'];
/** Educates' policy names, with the legacy ones it still accepts. */
const POLICIES: Record<string, string> = {
  restricted: 'restricted',
  baseline: 'baseline',
  privileged: 'privileged',
  nonroot: 'restricted',
  anyuid: 'baseline',
  custom: 'privileged',
};

/** Reads `budget`, `limits` and `role` of a namespace section (primary or secondary). */
export function readNamespaceSettings(fields: Fields): NamespaceSettings {
  const settings: NamespaceSettings = { overrides: {} };
  const budget = fields.string('budget');
  if (budget !== undefined && budget !== 'default') {
    if (BUDGETS[budget]) settings.budget = budget;
    else fields.report.unsupported(fields.resource, fields.pathOf('budget'), budget, `not a budget: allowed are ${Object.keys(BUDGETS).join(', ')}`);
  }
  const limits = fields.child('limits');
  if (limits) {
    if (!settings.budget || settings.budget === 'custom') {
      limits.unsupportedAll(`Educates applies limits only on top of a named budget, and ${settings.budget ? "'custom'" : 'no budget'} is set`);
    } else {
      settings.overrides = readLimits(limits);
    }
  }
  const role = fields.string('role');
  if (role !== undefined) {
    if (ROLES.includes(role)) settings.role = role;
    else if (role === 'cluster-admin') {
      fields.report.unsupported(
        fields.resource,
        fields.pathOf('role'),
        role,
        "sessions never get cluster-admin in cdk8s-workshops; they get 'admin' in their own namespaces",
      );
    } else {
      fields.report.unsupported(fields.resource, fields.pathOf('role'), role, `not a session role: allowed are ${ROLES.join(', ')}`);
    }
  }
  return settings;
}

/**
 * Reads `security.policy`: Educates' names, with the legacy ones it still accepts, as Pod Security levels. A session
 * namespace is never more than `baseline` here (the learner creates pods in it): `privileged` is reported and
 * imported as `baseline`.
 */
export function readPolicy(security: Fields): string | undefined {
  const policy = security.string('policy');
  if (policy === undefined) return undefined;
  if (POLICIES[policy] === 'privileged') {
    security.report.unsupported(
      security.resource,
      security.pathOf('policy'),
      policy,
      "a session namespace is at most 'baseline' in cdk8s-workshops, since the learner creates pods in it (privileged pods would own the node): imported as baseline; " +
        'run what needs privileges in the environment namespace (environment.objects)',
    );
    return 'baseline';
  }
  if (POLICIES[policy]) return POLICIES[policy];
  security.report.unsupported(
    security.resource,
    security.pathOf('policy'),
    policy,
    'not a security policy: allowed are restricted, baseline, privileged',
  );
  return undefined;
}

const LIMIT_FIELDS: Record<string, Record<string, keyof BudgetOverrides>> = {
  min: { cpu: 'containerMinCpu', memory: 'containerMinMemory' },
  max: { cpu: 'containerMaxCpu', memory: 'containerMaxMemory' },
  default: { cpu: 'containerDefaultCpu', memory: 'containerDefaultMemory' },
  defaultRequest: { cpu: 'containerDefaultRequestCpu', memory: 'containerDefaultRequestMemory' },
};

/** Educates' `limits` (merged into the Container entry of the LimitRange) as budget overrides. */
function readLimits(limits: Fields): BudgetOverrides {
  const overrides: Record<string, string> = {};
  for (const [section, names] of Object.entries(LIMIT_FIELDS)) {
    const entry = limits.child(section);
    if (!entry) continue;
    for (const [resource, override] of Object.entries(names)) {
      const value = entry.string(resource);
      if (value === undefined) continue;
      if (isQuantity(value)) overrides[override] = value;
      else entry.report.unsupported(entry.resource, entry.pathOf(resource), value, 'not a Kubernetes quantity such as 500m or 1Gi');
    }
    entry.finish();
  }
  limits.finish();
  return overrides;
}

/** `Budget.MEDIUM` or `Budget.MEDIUM.withOverrides({ … })`, or undefined for no budget. */
export function budgetCode(settings: NamespaceSettings): Code | undefined {
  if (!settings.budget) return undefined;
  const constant = `Budget.${BUDGETS[settings.budget]}`;
  if (!Object.keys(settings.overrides).length) return lib('Budget', constant);
  return new Code([`${constant}.withOverrides(`, new Literal(settings.overrides), ')'], [{ module: 'cdk8s-workshops', name: 'Budget' }]);
}

/** The library options of a namespace: `budget`, `role`, `securityPolicy`. */
export function namespaceOptions(settings: NamespaceSettings): Record<string, unknown> {
  return {
    budget: budgetCode(settings),
    role: settings.role && settings.role !== 'admin' ? lib('SessionRole', `SessionRole.${settings.role.toUpperCase()}`) : undefined,
    securityPolicy:
      settings.policy && settings.policy !== 'restricted' ? lib('SecurityPolicy', `SecurityPolicy.${settings.policy.toUpperCase()}`) : undefined,
  };
}

/** Reads `spec.session.namespaces.secondary[]` into `session.addNamespace(suffix, options)` calls. */
export function readSecondaryNamespaces(namespaces: Fields, sessionVariable: string): Array<{ suffix: string; code: Code }> {
  const result: Array<{ suffix: string; code: Code }> = [];
  for (const entry of namespaces.children('secondary')) {
    const name = entry.string('name');
    const suffix = secondarySuffix(name);
    if (!suffix) {
      entry.unsupportedAll(
        `a secondary namespace must be named $(session_namespace)-<suffix> (suffix: a DNS label of at most 12 characters) to be carried over`,
      );
      continue;
    }
    const settings = readNamespaceSettings(entry);
    const security = entry.child('security');
    if (security) {
      settings.policy = readPolicy(security);
      security.finish();
    }
    entry.finish();
    result.push({ suffix, code: addNamespaceCode(sessionVariable, suffix, settings) });
  }
  return result;
}

/** The suffix of a `$(session_namespace)-<suffix>` name, when the library can make that namespace. */
export function secondarySuffix(name: string | undefined): string | undefined {
  const match = /^\$\(session_namespace\)-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(name ?? '');
  return match && match[1].length <= 12 ? match[1] : undefined;
}

/** `<workshop>.session.addNamespace('suffix', { … })`. */
export function addNamespaceCode(workshopVariable: string, suffix: string, settings: NamespaceSettings): Code {
  const options = Object.fromEntries(Object.entries(namespaceOptions(settings)).filter(([, v]) => v !== undefined));
  return call(`${workshopVariable}.session.addNamespace`, Object.keys(options).length ? [suffix, options] : [suffix]);
}
