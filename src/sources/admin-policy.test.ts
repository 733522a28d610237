import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAdminDatabase } from '../store/database';
import { createEventStore } from '../store/event-store';
import { createResourceStore, type ResourceDocument } from '../store/resource-store';
import { createSerialQueue } from '../store/serial-queue';
import { createAdminPolicy, documentKey, PolicyRejected } from './admin-policy';
import { createAdminSource } from './admin-store';
import { createFileSource } from './files';
import { createPolicyFiles } from './policy-files';
import { createSnapshotStore } from './snapshot-store';

const list = (name: string, allow: unknown[]): ResourceDocument => ({
  apiVersion: 'egress.portcullis.dev/v1alpha1',
  kind: 'EgressDomainList',
  metadata: { name },
  spec: { allow },
});

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-admin-policy-'));
  const db = openAdminDatabase(undefined);
  const store = createResourceStore(db.policy);
  const files = createPolicyFiles([dir], { settleMs: 1000, emptyGraceMs: 10_000 });
  const source = createAdminSource(store);
  const snapshots = createSnapshotStore({
    sources: [createFileSource([dir], files, { intervalMs: 60_000 }), source],
  });
  const policy = createAdminPolicy({ store, source, snapshots, queue: createSerialQueue() });
  return { db, store, snapshots, policy, events: createEventStore(db.events) };
}

describe('createAdminPolicy().change()', () => {
  it('commits the edit with its events, and the snapshot has it when the promise resolves', async () => {
    const t = setup();
    await t.snapshots.reload();
    const result = await t.policy.change((draft) => {
      draft.set(documentKey('EgressDomainList', 'l'), list('l', ['a.example']));
      return { result: 'done', events: [{ type: 'policy_allow', timeMs: 1, data: {} }] };
    });
    expect(result).toBe('done');
    expect(t.snapshots.current()?.resources.map((r) => r.meta.name)).toEqual(['l']);
    expect(t.events.count()).toBe(1);
    t.db.close();
  });

  it('writes nothing when the candidate does not validate', async () => {
    const t = setup();
    await t.snapshots.reload();
    const version = t.snapshots.status().version;
    const attempt = t.policy.change((draft) => {
      draft.set(documentKey('EgressDomainList', 'l'), list('l', ['not a domain']));
      return { result: undefined, events: [{ type: 'policy_allow', timeMs: 1, data: {} }] };
    });
    await expect(attempt).rejects.toBeInstanceOf(PolicyRejected);
    await attempt.catch((err: PolicyRejected) => {
      expect([err.filesInvalid, err.issues.map((i) => [i.code, i.file])]).toEqual([
        false,
        [['POLICY_INVALID_HOSTNAME', 'admin:EgressDomainList/l']],
      ]);
    });
    expect(await t.store.list()).toEqual([]);
    expect(t.events.count()).toBe(0);
    expect(t.snapshots.status().version).toBe(version);
    t.db.close();
  });

  it('runs edits one after another: each sees the state the previous one committed', async () => {
    const t = setup();
    await t.snapshots.reload();
    const key = documentKey('EgressDomainList', 'l');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.policy.change((draft) => {
          const allow = (draft.get(key)?.spec['allow'] as string[] | undefined) ?? [];
          draft.set(key, list('l', [...allow, `d${i}.example`]));
          return { result: undefined, events: [] };
        }),
      ),
    );
    expect(((await t.store.list())[0]!.document.spec['allow'] as string[]).length).toBe(20);
    t.db.close();
  });
});
