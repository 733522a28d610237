/**
 * The write path of the admin API. Every change runs in one process-wide serial queue:
 *
 *   1. copy the stored documents and let the caller edit the copy (the candidate);
 *   2. validate the policy files and the candidate together, in memory: any error in a stored
 *      document rejects the change and nothing is written;
 *   3. commit the changed documents and their events in one transaction (fsynced);
 *   4. reload the snapshot, so that the 2xx answer means the next decision already sees the change.
 *
 * The caller's edit sees the resources of the snapshot in force; since every change reloads before
 * the next one starts, that is the state the candidate was built from.
 */
import type { RawDocument } from '../policy/documents';
import type { Issue, Resource } from '../policy/types';
import type { EventRecord } from '../store/event-store';
import type { ResourceDocument, ResourceStore } from '../store/resource-store';
import type { SerialQueue } from '../store/serial-queue';
import { isAdminSource, readFileDocuments, storeDocument, validatePolicySet } from './merged-policy';
import type { PolicySet } from './merged-policy';
import type { ReloadResult, SnapshotStore } from './snapshot-store';

/** The candidate set of stored documents, keyed by `kind/name`. */
export type DocumentDraft = Map<string, ResourceDocument>;

export interface EditResult<T> {
  readonly result: T;
  readonly events: readonly EventRecord[];
}

export interface EditContext {
  /** Validated resources of the snapshot in force (files and store). */
  readonly resources: readonly Resource[];
}

/** The candidate does not validate; `issues` are the errors (stored documents first). */
export class PolicyRejected extends Error {
  override readonly name = 'PolicyRejected';
  constructor(
    readonly issues: readonly Issue[],
    /** True when only policy files are at fault: no admin change can be accepted until they are fixed. */
    readonly filesInvalid: boolean,
  ) {
    super(issues[0]?.message ?? 'the policy change does not validate');
  }
}

export interface AdminPolicy {
  /** Stored documents by `kind/name`. */
  documents(): DocumentDraft;
  resources(): readonly Resource[];
  change<T>(edit: (draft: DocumentDraft, context: EditContext) => EditResult<T>): Promise<T>;
  /**
   * Files and stored documents with `draft` in place of any document of the same kind, namespace
   * and name, validated as one set; nothing is written (the dry-run Test).
   */
  validateWith(draft: readonly RawDocument[]): Promise<PolicySet>;
}

export function documentKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

export function createAdminPolicy(deps: {
  store: ResourceStore;
  snapshots: SnapshotStore;
  queue: SerialQueue;
  policyPaths: readonly string[];
  onReloadFailed?: (result: ReloadResult) => void;
}): AdminPolicy {
  const documents = (): DocumentDraft =>
    new Map(deps.store.list().map(({ document: d }) => [documentKey(d.kind, d.metadata.name), d]));
  const resources = (): readonly Resource[] => deps.snapshots.current()?.resources ?? [];

  async function validateDraft(draft: DocumentDraft): Promise<{ resources: Resource[]; issues: Issue[] }> {
    const files = await readFileDocuments(deps.policyPaths);
    return validatePolicySet(
      files,
      [...draft.values()].map((d) => storeDocument(d)),
    );
  }

  return {
    documents,
    resources,
    change<T>(edit: (draft: DocumentDraft, context: EditContext) => EditResult<T>): Promise<T> {
      return deps.queue.run(async () => {
        const before = documents();
        const draft = new Map(before);
        const { result, events } = edit(draft, { resources: resources() });
        const put = [...draft].filter(([k, d]) => before.get(k) !== d).map(([, d]) => d);
        const remove = [...before.keys()]
          .filter((k) => !draft.has(k))
          .map((k) => ({ kind: before.get(k)!.kind, name: before.get(k)!.metadata.name }));
        if (put.length > 0 || remove.length > 0) {
          const { issues } = await validateDraft(draft);
          const errors = issues.filter((i) => i.severity === 'error');
          if (errors.length > 0) {
            const ours = errors.filter((i) => isAdminSource(i.file));
            throw new PolicyRejected(ours.length > 0 ? ours : errors, ours.length === 0);
          }
        }
        deps.store.commit({ put, remove, events });
        if (put.length > 0 || remove.length > 0) {
          const reloaded = await deps.snapshots.reload();
          if (!reloaded.ok) deps.onReloadFailed?.(reloaded);
        }
        return result;
      });
    },
    async validateWith(draft) {
      const replaced = new Set(draft.map((d) => rawKey(d.value)));
      const kept = (d: RawDocument): boolean => !replaced.has(rawKey(d.value));
      const files = await readFileDocuments(deps.policyPaths);
      const stored = [...documents().values()].map((d) => storeDocument(d));
      return validatePolicySet({ ...files, docs: files.docs.filter(kept) }, [
        ...stored.filter(kept),
        ...draft,
      ]);
    },
  };
}

/** `kind\0namespace\0name` of a raw document, or '' when it does not say. */
function rawKey(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const v = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof v.kind !== 'string' || typeof v.metadata?.name !== 'string') return '';
  const ns = typeof v.metadata.namespace === 'string' ? v.metadata.namespace : 'default';
  return `${v.kind}\0${ns}\0${v.metadata.name}`;
}
