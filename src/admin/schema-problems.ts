/**
 * A request that fails its JSON schema, as one error listing every problem. ajv runs with
 * `allErrors` (server.ts), so a body with three mistakes gets all three back at once, each with its
 * field path (`body.rules[2].verdict`); the answer's `error`, `message` and `field` are the first
 * problem's, as they were when only the first was reported.
 */
import { PortcullisError } from '../errors/portcullis-error';
import type { ErrorCode } from '../errors/error-codes';

export interface AjvIssue {
  readonly keyword: string;
  readonly instancePath: string;
  /** Where in the schema: lets the branches of a failed `anyOf` be told from other problems. */
  readonly schemaPath?: string;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

interface Problem {
  readonly code: ErrorCode;
  readonly field: string;
  readonly message: string;
  readonly expected?: unknown;
}

/** Enough to fix a body by; a megabyte of wrong entries must not come back as ten. */
export const MAX_LISTED = 100;

/** `issues` come from one validation of `context` (`body`, `querystring`, `params`). */
export function schemaError(issues: readonly AjvIssue[], context: string): PortcullisError {
  const problems = unique(collapseAlternatives(issues).map((issue) => problemOf(issue, context)));
  const [first] = problems;
  if (first === undefined) return new PortcullisError('invalid_value', `the ${context} is not valid`);
  const listed = problems
    .slice(0, MAX_LISTED)
    .map((p) => ({ code: p.code, field: p.field, message: p.message }));
  return new PortcullisError(first.code, first.message, {
    field: first.field,
    ...(first.expected === undefined ? {} : { expected: first.expected }),
    issues: listed,
    ...(problems.length > MAX_LISTED ? { issues_omitted: problems.length - MAX_LISTED } : {}),
  });
}

/**
 * A failed `anyOf` reports each branch's failure and then itself. When every branch failed on the
 * value's type, that is one wrong type ("string or array"); otherwise the problems of the branches
 * that had the right type are the ones worth reading.
 */
function collapseAlternatives(issues: readonly AjvIssue[]): AjvIssue[] {
  const failed = issues.filter((i) => i.keyword === 'anyOf' && i.schemaPath !== undefined);
  if (failed.length === 0) return [...issues];
  const out: AjvIssue[] = [];
  const done = new Set<AjvIssue>();
  for (const issue of issues) {
    if (done.has(issue)) continue;
    const group = failed.find((f) => issue === f || isBranchOf(issue, f));
    if (group === undefined) {
      out.push(issue);
      continue;
    }
    const branches = issues.filter((i) => isBranchOf(i, group));
    for (const i of [group, ...branches]) done.add(i);
    const typeOnly = branches.filter((b) => b.keyword === 'type' && b.instancePath === group.instancePath);
    if (typeOnly.length === branches.length) {
      const types = typeOnly.map((b) => String(b.params['type']));
      out.push({ keyword: 'type', instancePath: group.instancePath, params: { type: types.join(' or ') } });
    } else {
      out.push(...branches.filter((b) => !typeOnly.includes(b)));
    }
  }
  return out;
}

function isBranchOf(issue: AjvIssue, anyOf: AjvIssue): boolean {
  return issue !== anyOf && issue.schemaPath?.startsWith(`${anyOf.schemaPath}/`) === true;
}

function problemOf(issue: AjvIssue, context: string): Problem {
  const p = issue.params;
  switch (issue.keyword) {
    case 'additionalProperties': {
      const field = fieldPath(context, issue.instancePath, String(p['additionalProperty']));
      return { code: 'unknown_field', field, message: `unknown field ${field}` };
    }
    case 'required': {
      const field = fieldPath(context, issue.instancePath, String(p['missingProperty']));
      return { code: 'missing_field', field, message: `${field} is required` };
    }
    case 'type': {
      const field = fieldPath(context, issue.instancePath);
      return {
        code: 'wrong_type',
        field,
        message: `${field} must be ${String(p['type'])}`,
        expected: p['type'],
      };
    }
    default: {
      const field = fieldPath(context, issue.instancePath);
      return { code: 'invalid_value', field, message: `${field} ${issue.message ?? 'is not valid'}` };
    }
  }
}

function unique(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}\0${p.field}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `body.allowed_domains[2]` style, from ajv's `/allowed_domains/2`. */
function fieldPath(context: string, instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  let text = context === 'querystring' ? 'query' : context;
  for (const p of parts) text += /^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`;
  return text;
}
