/**
 * Policy files and admin-store documents as one policy set: parsed, validated together and
 * compiled into one snapshot, so references cross between them and a name defined in both is a
 * `POLICY_DUPLICATE_NAME` issue naming both places (never silently resolved).
 *
 * Store documents are named `admin:<kind>/<name>` in issues. They come after the files, so on a
 * clash the file keeps its definition and the issue lands on the store document.
 */
import type { RawDocument } from '../policy/documents';
import { parseDocuments } from '../policy/documents';
import type { Issue, Resource } from '../policy/types';
import { validateDocuments } from '../policy/validate';
import type { ResourceDocument } from '../store/resource-store';
import { readPolicyPaths } from './read-policy-files';

export const ADMIN_SOURCE_PREFIX = 'admin:';

export interface FileDocuments {
  readonly docs: readonly RawDocument[];
  /** Files that could not be read or parsed. */
  readonly issues: readonly Issue[];
  /** File order, for sorting issues. */
  readonly files: readonly string[];
}

export interface PolicySet {
  readonly resources: Resource[];
  readonly issues: Issue[];
}

export function adminSourceName(kind: string, name: string): string {
  return `${ADMIN_SOURCE_PREFIX}${kind}/${name}`;
}

export function isAdminSource(file: string): boolean {
  return file.startsWith(ADMIN_SOURCE_PREFIX);
}

/** A stored document as the validator reads a parsed file; lines are unknown (0). */
export function storeDocument(
  doc: ResourceDocument,
  file = adminSourceName(doc.kind, doc.metadata.name),
): RawDocument {
  return { file, line: 0, value: doc, lineOf: () => 0 };
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

/** Validates file documents and extra ones (store, draft) as one set; issues in file order, then the rest. */
export function validatePolicySet(files: FileDocuments, extra: readonly RawDocument[]): PolicySet {
  const validated = validateDocuments([...files.docs, ...extra]);
  const issues = [...files.issues, ...validated.issues];
  const order = new Map(files.files.map((file, index) => [file, index]));
  const rank = (issue: Issue): number =>
    order.get(issue.file) ?? (isAdminSource(issue.file) ? files.files.length : -1);
  issues.sort((a, b) => rank(a) - rank(b) || a.line - b.line);
  return { resources: validated.resources, issues };
}

/** File documents already read plus every document in the admin store, as one set. */
export function mergePolicySet(files: FileDocuments, stored: readonly ResourceDocument[]): PolicySet {
  return validatePolicySet(
    files,
    stored.map((d) => storeDocument(d)),
  );
}

/** Files under `paths`, read now, plus every document in the admin store. */
export async function loadMergedPolicies(
  paths: readonly string[],
  stored: () => readonly ResourceDocument[],
): Promise<PolicySet> {
  const files = await readFileDocuments(paths);
  return mergePolicySet(files, stored());
}
