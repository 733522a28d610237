/**
 * The write path of the admin API. Every change runs in one process-wide serial queue:
 *
 *   1. copy the stored documents and let the caller edit the copy (the candidate);
 *   2. validate the candidate with every other source's documents as they are now (the policy
 *      files), in memory: any error in a stored document rejects the change and nothing is written;
 *   3. commit the changed documents and their events in one transaction (fsynced);
 *   4. reload the snapshot, so that the 2xx answer means the next decision already sees the change.
 *
 * The caller's edit sees the resources of the snapshot in force; since every change reloads before
 * the next one starts, that is the state the candidate was built from.
 */
import type { RawDocument } from '../policy/documents';
import { documentIdentity } from '../policy/kind-documents';
import type { Issue, Resource } from '../policy/types';
import type { EventRecord } from '../store/event-store';
import type { ResourceDocument, ResourceStore } from '../store/resource-store';
import type { SerialQueue } from '../store/serial-queue';
import { storeDocument } from './admin-store';
import { mergeSources, type PolicySet, type SourcePart } from './merged-policy';
import type { PolicySource } from './policy-source';
import type { ReloadResult, SnapshotStore } from './snapshot-store';

/** The candidate set of stored documents, keyed by `kind/name`. */
export type DocumentDraft = Map<string, ResourceDocument>;

export interface EditResult<T> {
  readonly result: T;
  readonly events: readonly EventRecord[];
}

export interface EditContext {
  /** Validated resources of the snapshot in force (every source). */
  readonly resources: readonly Resource[];
}

/** The candidate does not validate; `issues` are the errors (stored documents first). */
export class PolicyRejected extends Error {
  override readonly name = 'PolicyRejected';
  constructor(
    readonly issues: readonly Issue[],
    /** True when only other sources (the policy files) are at fault: no admin change can be accepted until they are fixed. */
    readonly filesInvalid: boolean,
  ) {
    super(issues[0]?.message ?? 'the policy change does not validate');
  }
}

export interface AdminPolicy {
  /** Stored documents by `kind/name`. */
  documents(): Promise<DocumentDraft>;
  resources(): readonly Resource[];
  change<T>(edit: (draft: DocumentDraft, context: EditContext) => EditResult<T>): Promise<T>;
  /**
   * Every source's documents with `draft` in place of any document of the same kind, namespace
   * and name, validated as one set; nothing is written (the dry-run Test).
   */
  validateWith(draft: readonly RawDocument[]): Promise<PolicySet>;
}

export function documentKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

export function createAdminPolicy(deps: {
  store: ResourceStore;
  /** The admin store's PolicySource (admin-store.ts) among the snapshot store's sources. */
  source: PolicySource;
  snapshots: SnapshotStore;
  queue: SerialQueue;
  onReloadFailed?: (result: ReloadResult) => void;
}): AdminPolicy {
  const documents = async (): Promise<DocumentDraft> =>
    new Map((await deps.store.list()).map(({ document: d }) => [documentKey(d.kind, d.metadata.name), d]));
  const resources = (): readonly Resource[] => deps.snapshots.current()?.resources ?? [];

  /** Every source as it is now, with the draft standing in for the admin store's documents. */
  async function validateDraft(draft: DocumentDraft): Promise<PolicySet> {
    const candidate: SourcePart = {
      kind: deps.source.kind,
      documents: { docs: [...draft.values()].map((d) => storeDocument(d)), issues: [], files: [] },
    };
    const parts: SourcePart[] = (await deps.snapshots.read()).map((p) =>
      p.source === deps.source ? candidate : p,
    );
    if (!parts.includes(candidate)) parts.push(candidate);
    return mergeSources(parts);
  }

  return {
    documents,
    resources,
    change<T>(edit: (draft: DocumentDraft, context: EditContext) => EditResult<T>): Promise<T> {
      return deps.queue.run(async () => {
        const before = await documents();
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
            const ours = errors.filter((i) => i.origin?.kind === 'admin');
            throw new PolicyRejected(ours.length > 0 ? ours : errors, ours.length === 0);
          }
        }
        await deps.store.commit({ put, remove, events });
        if (put.length > 0 || remove.length > 0) {
          const reloaded = await deps.snapshots.reload({ changed: deps.source.name });
          if (!reloaded.ok) deps.onReloadFailed?.(reloaded);
        }
        return result;
      });
    },
    async validateWith(draft) {
      const replaced = new Set(draft.map((d) => rawKey(d.value)));
      const kept = (d: RawDocument): boolean => !replaced.has(rawKey(d.value));
      const parts: SourcePart[] = (await deps.snapshots.read()).map((p) => ({
        kind: p.kind,
        documents: {
          docs: p.documents.docs.filter(kept),
          issues: p.documents.issues,
          files: p.documents.files,
        },
      }));
      // The draft is text the caller sent, read like files (dry-run.ts): its issues come first.
      return mergeSources([...parts, { kind: 'file', documents: { docs: draft, issues: [], files: [] } }]);
    },
  };
}

/** `kind\0namespace\0name` of a raw document, or '' when it does not say. */
function rawKey(value: unknown): string {
  const id = documentIdentity(value);
  return id === undefined ? '' : `${id.kind}\0${id.namespace}\0${id.name}`;
}
