/**
 * The admin store as a PolicySource: every resource the admin API stored, as documents the
 * validator reads like a parsed file's. Each carries its typed origin (the stored kind and name) and
 * is named `admin:<kind>/<name>` in issues; lines are unknown (0).
 *
 * The store has one writer, this process, and its write path (admin-policy.ts) reloads the
 * snapshot itself and waits for it; so nothing is announced through `onChange`. A store shared by
 * several processes would announce the others' changes there.
 */
import type { RawDocument } from '../policy/documents';
import { adminOrigin, originLabel } from '../policy/origin';
import type { ResourceDocument, ResourceStore } from '../store/resource-store';
import type { PolicySource } from './policy-source';

export const ADMIN_SOURCE_NAME = 'admin store';

/** A stored document as the validator reads a parsed file. */
export function storeDocument(doc: ResourceDocument): RawDocument {
  const origin = adminOrigin(doc.kind, doc.metadata.name);
  return { file: originLabel(origin), origin, line: 0, value: doc, lineOf: () => 0 };
}

export function createAdminSource(store: Pick<ResourceStore, 'list'>): PolicySource {
  return {
    name: ADMIN_SOURCE_NAME,
    kind: 'admin',
    async documents() {
      const stored = await store.list();
      return { docs: stored.map((r) => storeDocument(r.document)), issues: [], files: [] };
    },
    onChange: () => () => undefined,
  };
}
