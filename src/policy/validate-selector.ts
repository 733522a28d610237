/**
 * Kubernetes label selectors: validation of the raw YAML shape. Messages and rules follow
 * apimachinery (`validation.IsQualifiedName`, `IsValidLabelValue`), so that a manifest `kubectl
 * apply` accepts is accepted here and the other way round. `compile/label-selector.ts` turns the
 * result into a predicate.
 */
import { LABEL_REQUIREMENT, LABEL_SELECTOR } from './kinds/common-nodes';
import type { LabelSelector, LabelSelectorRequirement } from './values';

type Labels = Readonly<Record<string, string>>;

export interface SelectorProblem {
  readonly path: string;
  readonly message: string;
  readonly fix?: string;
}

const OPERATORS = LABEL_REQUIREMENT.properties.operator.enum;
const SELECTOR_FIELDS = Object.keys(LABEL_SELECTOR.properties);
const REQUIREMENT_FIELDS = Object.keys(LABEL_REQUIREMENT.properties);
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_RULE = "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric";

export function validateSelector(
  raw: unknown,
  path: string,
): { selector?: LabelSelector; problems: SelectorProblem[] } {
  const problems: SelectorProblem[] = [];
  if (!isObject(raw)) {
    problems.push({
      path,
      message: `must be a label selector object, got ${describe(raw)}`,
      fix: 'write {} to select everything, or give matchLabels and/or matchExpressions',
    });
    return { problems };
  }
  for (const field of Object.keys(raw)) {
    if (SELECTOR_FIELDS.includes(field)) continue;
    problems.push({
      path: join(path, field),
      message: `unknown field "${field}" in a label selector`,
      fix: `a selector has only matchLabels and matchExpressions; to select on the label "${field}", move it under matchLabels`,
    });
  }
  const matchLabels = validateMatchLabels(raw['matchLabels'], join(path, 'matchLabels'), problems);
  const matchExpressions = validateExpressions(
    raw['matchExpressions'],
    join(path, 'matchExpressions'),
    problems,
  );
  if (problems.length > 0) return { problems };
  return { selector: Object.freeze({ matchLabels, matchExpressions }), problems };
}

function validateMatchLabels(raw: unknown, path: string, problems: SelectorProblem[]): Labels {
  if (raw === undefined || raw === null) return Object.freeze({});
  if (!isObject(raw)) {
    problems.push({ path, message: `must be a map of label keys to values, got ${describe(raw)}` });
    return {};
  }
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(raw)) {
    const at = join(path, key);
    checkKey(key, at, problems);
    if (typeof value !== 'string') {
      const message = `label value must be a string, got ${describe(value)}`;
      problems.push(
        typeof value === 'number' || typeof value === 'boolean'
          ? { path: at, message, fix: `quote it: ${key}: "${String(value)}"` }
          : { path: at, message },
      );
      continue;
    }
    checkValue(value, at, problems);
    entries.push([key, value]);
  }
  return Object.freeze(Object.fromEntries(entries));
}

function validateExpressions(
  raw: unknown,
  path: string,
  problems: SelectorProblem[],
): readonly LabelSelectorRequirement[] {
  if (raw === undefined || raw === null) return Object.freeze([]);
  if (!Array.isArray(raw)) {
    problems.push({ path, message: `must be a list of requirements, got ${describe(raw)}` });
    return [];
  }
  const out: LabelSelectorRequirement[] = [];
  raw.forEach((item: unknown, i) => {
    const req = validateRequirement(item, `${path}[${i}]`, problems);
    if (req !== undefined) out.push(req);
  });
  return Object.freeze(out);
}

function validateRequirement(
  raw: unknown,
  path: string,
  problems: SelectorProblem[],
): LabelSelectorRequirement | undefined {
  if (!isObject(raw)) {
    problems.push({ path, message: `must be {key, operator, values}, got ${describe(raw)}` });
    return undefined;
  }
  const before = problems.length;
  for (const field of Object.keys(raw)) {
    if (!REQUIREMENT_FIELDS.includes(field)) {
      problems.push({ path: join(path, field), message: `unknown field "${field}" in a requirement` });
    }
  }
  const { key, operator, values } = raw;
  if (typeof key !== 'string') {
    problems.push({ path: join(path, 'key'), message: `key must be a string, got ${describe(key)}` });
  } else {
    checkKey(key, join(path, 'key'), problems);
  }
  const op = OPERATORS.find((o) => o === operator);
  if (op === undefined) {
    const near = OPERATORS.find(
      (o) => typeof operator === 'string' && o.toLowerCase() === operator.toLowerCase(),
    );
    problems.push({
      path: join(path, 'operator'),
      message: `unknown operator ${describe(operator)}`,
      fix:
        near !== undefined
          ? `operators are case-sensitive: write ${near}`
          : `use one of ${OPERATORS.join(', ')}`,
    });
  }
  const list = checkValues(values, op, join(path, 'values'), problems);
  if (problems.length > before || op === undefined || typeof key !== 'string') return undefined;
  return Object.freeze({ key, operator: op, values: list });
}

function checkValues(
  raw: unknown,
  op: LabelSelectorRequirement['operator'] | undefined,
  path: string,
  problems: SelectorProblem[],
): readonly string[] {
  const list = raw === undefined || raw === null ? [] : raw;
  if (!Array.isArray(list)) {
    problems.push({ path, message: `values must be a list of strings, got ${describe(raw)}` });
    return [];
  }
  if ((op === 'In' || op === 'NotIn') && list.length === 0) {
    problems.push({ path, message: `operator ${op} needs at least one value` });
  }
  if ((op === 'Exists' || op === 'DoesNotExist') && list.length > 0) {
    problems.push({
      path,
      message: `operator ${op} takes no values`,
      fix: `remove values, or use ${op === 'Exists' ? 'In' : 'NotIn'} to compare against them`,
    });
  }
  const out: string[] = [];
  list.forEach((v: unknown, i) => {
    if (typeof v !== 'string') {
      problems.push({ path: `${path}[${i}]`, message: `value must be a string, got ${describe(v)}` });
    } else {
      checkValue(v, `${path}[${i}]`, problems);
      out.push(v);
    }
  });
  return Object.freeze(out);
}

/** A qualified name: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
function checkKey(key: string, path: string, problems: SelectorProblem[]): void {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0) {
      problems.push({ path, message: `label key "${key}": prefix part must be non-empty` });
    } else if (prefix.length > 253) {
      problems.push({ path, message: `label key "${key}": prefix part must be no more than 253 characters` });
    } else if (!DNS_SUBDOMAIN.test(prefix)) {
      problems.push({
        path,
        message: `label key "${key}": prefix part must be a lowercase DNS subdomain (e.g. example.com)`,
      });
    }
  }
  if (name.length === 0) {
    problems.push({ path, message: `label key "${key}": name part must be non-empty` });
  } else if (name.length > 63) {
    problems.push({ path, message: `label key "${key}": name part must be no more than 63 characters` });
  } else if (!NAME.test(name)) {
    const extra = name.includes('/') ? '; a key has at most one "/"' : '';
    problems.push({ path, message: `label key "${key}": name part must consist of ${NAME_RULE}${extra}` });
  }
}

function checkValue(value: string, path: string, problems: SelectorProblem[]): void {
  if (value.length > 63) {
    problems.push({ path, message: `label value "${value}" must be no more than 63 characters` });
  } else if (value !== '' && !NAME.test(value)) {
    problems.push({ path, message: `label value "${value}" must be empty or consist of ${NAME_RULE}` });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Same spelling as `formatPath` in policy/validate-context.ts, which parses these paths back. */
const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `a.b` for plain fields, `a["app.kubernetes.io/name"]` for anything else. */
function join(path: string, field: string): string {
  if (!PLAIN_KEY.test(field)) return `${path}[${JSON.stringify(field)}]`;
  return path === '' ? field : `${path}.${field}`;
}
