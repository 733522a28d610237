/**
 * Where validation writes what it finds: one context per document, which turns a path into the
 * `spec.rules[0].matches[1]` text and line number every issue carries.
 *
 * Validators never throw and never stop early; they report and carry on, so one run shows every
 * problem in every file.
 */
import type { DocPath, RawDocument } from './documents';
import type { IssueCode } from './issues';
import type { Issue } from './types';
import { extend } from './extend';

export interface ValidationContext {
  readonly doc: RawDocument;
  error(path: DocPath, code: IssueCode, message: string, fix?: string): void;
  warn(path: DocPath, code: IssueCode, message: string, fix?: string): void;
  /** Errors reported so far for this document; a resource with any is not returned. */
  readonly errorCount: number;
  readonly issues: readonly Issue[];
}

export function createContext(doc: RawDocument): ValidationContext {
  const issues: Issue[] = [];
  let errorCount = 0;
  const report = (
    severity: Issue['severity'],
    path: DocPath,
    code: IssueCode,
    message: string,
    fix: string | undefined,
  ): void => {
    const issue = {
      code,
      file: doc.file,
      origin: doc.origin,
      line: doc.lineOf(path),
      path: formatPath(path),
      message,
      severity,
    };
    issues.push(fix === undefined ? issue : extend(issue, { fix }));
  };
  return {
    doc,
    issues,
    get errorCount() {
      return errorCount;
    },
    error(path, code, message, fix) {
      errorCount += 1;
      report('error', path, code, message, fix);
    },
    warn(path, code, message, fix) {
      report('warning', path, code, message, fix);
    },
  };
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `['spec', 'rules', 0, 'matches']` → `spec.rules[0].matches`; odd keys are quoted: `labels["a.b/c"]`. */
export function formatPath(path: DocPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/**
 * The inverse of `formatPath`, for primitives that report paths as text (the label-selector
 * validator). Anything it cannot read is dropped, which only costs line precision.
 */
export function parsePath(text: string): DocPath {
  const segments: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const match of text.matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(unquote(match[3]));
  }
  return segments;
}

function unquote(quoted: string): string {
  try {
    const value: unknown = JSON.parse(quoted);
    return typeof value === 'string' ? value : quoted;
  } catch {
    return quoted.slice(1, -1);
  }
}
