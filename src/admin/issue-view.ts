/** A policy issue as the admin API shows it: the validator's code, where, what and how to fix it. */
import type { Issue } from '../policy/types';

export function issueView(issue: Issue): Record<string, unknown> {
  return {
    code: issue.code,
    resource: issue.file,
    ...(issue.line > 0 ? { line: issue.line } : {}),
    path: issue.path,
    message: issue.message,
    ...(issue.fix === undefined ? {} : { fix: issue.fix }),
    severity: issue.severity,
  };
}
