/**
 * YAML (and JSON, which is YAML) text → one plain value per document, each able to say which line
 * any path inside it came from.
 *
 * Validation works on plain JS values so that it never depends on the YAML library, but every
 * issue it reports needs a line number; `lineOf` keeps the parsed node tree for exactly that.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode, YAMLError } from 'yaml';
import type { Issue } from './types';
import { extend } from './extend';
import { fileOrigin, type Origin } from './origin';

export type DocPath = readonly (string | number)[];

export interface RawDocument {
  /** How issues name the place (origin.ts `originLabel`): the file path for a file. */
  readonly file: string;
  /** Which source the document came from, typed (origin.ts). */
  readonly origin: Origin;
  /** 1-based line where the document's content starts. */
  readonly line: number;
  /** The document as plain JS (maps → objects, sequences → arrays). */
  readonly value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: DocPath): number;
}

/**
 * Splits a multi-document stream. Documents with syntax errors are reported and left out (a
 * half-parsed document would only produce misleading follow-on issues); empty ones are skipped.
 */
export function parseDocuments(file: string, text: string): { docs: RawDocument[]; issues: Issue[] } {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const docs: RawDocument[] = [];
  const issues: Issue[] = [];
  const syntax = (error: YAMLError, severity: Issue['severity']): void => {
    const line = lineAt(error.pos[0]);
    const issue: Issue = {
      code: 'POLICY_YAML_SYNTAX',
      file,
      origin: fileOrigin(file, line),
      line,
      path: '',
      message: error.message,
      severity,
    };
    const fix = fixFor(error, text);
    issues.push(fix === undefined ? issue : extend(issue, { fix }));
  };

  if ('empty' in parsed) {
    for (const error of parsed.errors) syntax(error, 'error');
    return { docs, issues };
  }
  for (const doc of parsed) {
    for (const warning of doc.warnings) syntax(warning, 'warning');
    if (doc.errors.length > 0) {
      for (const error of doc.errors) syntax(error, 'error');
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (error: unknown) {
      // toJS throws on alias expansion beyond maxAliasCount (the "billion laughs" guard).
      const message = error instanceof Error ? error.message : String(error);
      const line = lineAt(doc.range[0]);
      issues.push({
        code: 'POLICY_YAML_SYNTAX',
        file,
        origin: fileOrigin(file, line),
        line,
        path: '',
        message,
        severity: 'error',
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    const start = startOf(doc.contents) ?? doc.range[0];
    const line = lineAt(start);
    docs.push({
      file,
      origin: fileOrigin(file, line),
      line,
      value,
      lineOf: (path) => lineAt(offsetOf(doc, path) ?? start),
    });
  }
  return { docs, issues };
}

/** The cases where the parser's message alone leaves people guessing. */
function fixFor(error: YAMLError, text: string): string | undefined {
  const token = /^("[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]]+)/.exec(text.slice(error.pos[0]))?.[0] ?? '';
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return `\`${token}\` appears twice in the same map; keep one (merge their contents)`;
    case 'TAB_AS_INDENT':
      return 'indent with spaces; YAML does not allow tabs for indentation';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and the closing brackets or quotes around this line';
    default:
      return undefined;
  }
}

/** Offset of the deepest node on `path` that exists: a map entry's key, a sequence item. */
function offsetOf(doc: Document.Parsed, path: DocPath): number | undefined {
  let node: unknown = doc.contents;
  let offset = startOf(node);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) return offset;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) return offset;
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function startOf(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range === undefined || range === null ? undefined : range[0];
}
