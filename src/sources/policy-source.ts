/**
 * Where policy documents come from. The snapshot store (snapshot-store.ts) reads an ordered list of
 * sources (the policy files, files.ts; the admin store, admin-store.ts; later Kubernetes), merges
 * their documents, validates and compiles them as one set, and swaps the snapshot atomically. A
 * source only reads and announces; it never validates, and it knows no other source.
 */
import type { RawDocument } from '../policy/documents';
import type { OriginKind } from '../policy/origin';
import type { Issue } from '../policy/types';
import type { ReloadState } from './snapshot-store';

/** The metrics label and the `origin.kind` of every document the source hands over. */
export type PolicySourceKind = OriginKind;

export interface SourceDocuments {
  readonly docs: readonly RawDocument[];
  /** Problems met while reading (a file that does not parse), reported with validation's. */
  readonly issues: readonly Issue[];
  /** Files in the order they were read, which issues are listed in; empty for other sources. */
  readonly files: readonly string[];
}

/**
 * Why a source is read:
 * - `changed`: the reload loads only changes this source announced (`onChange`); it may hand back
 *   what it accepted then (the file source's settled, verified read);
 * - `reload`: startup, an explicit reload, or another source's change: read now;
 * - `check`: a candidate is being validated (an admin change, a dry run): read now, and leave the
 *   source's own state (what it accepted) as it is.
 */
export type SourceRead = 'changed' | 'reload' | 'check';

export interface PolicySource {
  /** Unique in the list; messages name the source by it. */
  readonly name: string;
  readonly kind: PolicySourceKind;
  documents(read: SourceRead): Promise<SourceDocuments>;
  /**
   * Calls `onChange` each time a change is ready to load; returns the unsubscribe function. A
   * source may start watching on the first subscription and stop after the last.
   */
  onChange(onChange: () => void): () => void;
  /** A change seen and not ready to load yet (`/api/status`); absent or `pending: false`: none. */
  pending?(): ReloadState;
}
