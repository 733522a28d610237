/**
 * Every source's documents as one policy set: parsed, validated together and compiled into one
 * snapshot, so references cross between sources and a name defined in two of them is a
 * `POLICY_DUPLICATE_NAME` issue naming both places (never silently resolved).
 *
 * Documents are validated in source order, so on a clash the earlier source (the policy files come
 * first) keeps its definition and the issue lands on the later one. Issues are listed by source,
 * then file, then line; issues in no source document come first.
 */
import type { RawDocument } from '../policy/documents';
import { parseDocuments } from '../policy/documents';
import type { Origin } from '../policy/origin';
import type { Issue, Resource } from '../policy/types';
import { validateDocuments } from '../policy/validate';
import type { PolicySource, PolicySourceKind, SourceDocuments, SourceRead } from './policy-source';
import { readPolicyPaths } from './read-policy-files';

/** The policy files as read (files.ts); the file source's documents. */
export type FileDocuments = SourceDocuments;

/** One source's documents, or a stand-in for them (a candidate being checked). */
export interface SourcePart {
  readonly kind: PolicySourceKind;
  readonly documents: SourceDocuments;
}

export interface PolicySet {
  readonly resources: Resource[];
  readonly issues: Issue[];
}

export async function readFileDocuments(paths: readonly string[]): Promise<FileDocuments> {
  const read = await readPolicyPaths(paths);
  const docs: RawDocument[] = [];
  const issues: Issue[] = [...read.issues];
  for (const { file, text } of read.files) {
    const parsed = parseDocuments(file, text);
    docs.push(...parsed.docs);
    issues.push(...parsed.issues);
  }
  return { docs, issues, files: read.files.map((f) => f.file) };
}

/**
 * Reads every source, in list order, each as `read` says. A source that fails fails the whole
 * read, with its name in front of the reason.
 */
export async function readSources(
  sources: readonly PolicySource[],
  read: (source: PolicySource) => SourceRead,
): Promise<(SourcePart & { readonly source: PolicySource })[]> {
  const parts: (SourcePart & { readonly source: PolicySource })[] = [];
  for (const source of sources) {
    try {
      parts.push({ source, kind: source.kind, documents: await source.documents(read(source)) });
    } catch (err) {
      throw new Error(`${source.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return parts;
}

/** Validates every part's documents as one set. */
export function mergeSources(parts: readonly SourcePart[]): PolicySet {
  const validated = validateDocuments(parts.flatMap((p) => p.documents.docs));
  const issues = [...parts.flatMap((p) => p.documents.issues), ...validated.issues];
  const rank = issueRank(parts);
  const keys = new Map(issues.map((issue) => [issue, rank(issue)]));
  issues.sort((a, b) => {
    const [x, y] = [keys.get(a)!, keys.get(b)!];
    return x[0] - y[0] || x[1] - y[1] || a.line - b.line;
  });
  return { resources: validated.resources, issues };
}

/** [the first part of the issue's source kind, the file's place among the files read]; -1 unknown. */
function issueRank(parts: readonly SourcePart[]): (issue: Issue) => readonly [number, number] {
  const partOf = new Map<PolicySourceKind, number>();
  parts.forEach((p, i) => {
    if (!partOf.has(p.kind)) partOf.set(p.kind, i);
  });
  const fileOrder = new Map<string, number>();
  for (const p of parts) p.documents.files.forEach((file, i) => fileOrder.set(file, i));
  const within = (origin: Origin): number =>
    origin.kind === 'file' ? (fileOrder.get(origin.file) ?? -1) : 0;
  return (issue) =>
    issue.origin === undefined ? [-1, 0] : [partOf.get(issue.origin.kind) ?? -1, within(issue.origin)];
}
