import type { RawDocument } from '../policy/documents';
import { adminOrigin, fileOrigin } from '../policy/origin';
import type { PolicySource, PolicySourceKind, SourceRead } from './policy-source';
import { createSnapshotStore, type ReloadState } from './snapshot-store';

const EMPTY = { docs: [], issues: [], files: [] };

/** A source whose reads wait until released, recording how each was asked for. */
function gatedSource(name: string, kind: PolicySourceKind = 'file') {
  const reads: SourceRead[] = [];
  const gates: (() => void)[] = [];
  const source: PolicySource = {
    name,
    kind,
    documents: (read) => {
      reads.push(read);
      return new Promise((resolve) => gates.push(() => resolve(EMPTY)));
    },
    onChange: () => () => undefined,
  };
  const releaseAll = async (): Promise<void> => {
    for (let i = 0; i < 10 && gates.length > 0; i++) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { source, reads, releaseAll };
}

/** A source that answers `docs` at once and announces a change when `announce` is called. */
function fixedSource(name: string, kind: PolicySourceKind, docs: RawDocument[]) {
  const listeners = new Set<() => void>();
  const source: PolicySource = {
    name,
    kind,
    documents: async () => ({ docs, issues: [], files: [] }),
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
  return { source, listeners, announce: () => listeners.forEach((l) => l()) };
}

const domainList = (name: string, origin: RawDocument['origin']): RawDocument => ({
  file: origin.kind === 'file' ? origin.file : `admin:EgressDomainList/${name}`,
  origin,
  line: 1,
  value: {
    apiVersion: 'egress.portcullis.dev/v1alpha1',
    kind: 'EgressDomainList',
    metadata: { name },
    spec: { allow: ['a.example'] },
  },
  lineOf: () => 1,
});

describe('createSnapshotStore().reload()', () => {
  it('merges the triggers that arrive during a reload into one more, reading the files now if any asked to', async () => {
    const t = gatedSource('files');
    const store = createSnapshotStore({ sources: [t.source] });
    const first = store.reload({ changed: 'files' });
    const second = store.reload({ changed: 'files' });
    const third = store.reload();
    expect(second).toBe(third);
    await t.releaseAll();
    await Promise.all([first, second]);
    expect(t.reads).toEqual(['changed', 'reload']);
  });

  it('keeps using the accepted files when every merged trigger asked for them', async () => {
    const t = gatedSource('files');
    const store = createSnapshotStore({ sources: [t.source] });
    const first = store.reload();
    const second = store.reload({ changed: 'files' });
    void store.reload({ changed: 'files' });
    await t.releaseAll();
    await Promise.all([first, second]);
    expect(t.reads).toEqual(['reload', 'changed']);
  });

  it("reads the other sources now on one source's change, and says which source changed", async () => {
    const files = gatedSource('files', 'file');
    const admin = gatedSource('admin', 'admin');
    const store = createSnapshotStore({ sources: [files.source, admin.source] });
    const changed = store.reload({ changed: 'admin' });
    for (let i = 0; i < 5; i++) {
      await files.releaseAll();
      await admin.releaseAll();
    }
    expect((await changed).changed).toEqual(['admin']);
    expect([files.reads, admin.reads]).toEqual([['reload'], ['changed']]);
  });

  it('reloads on the changes sources announce while watched', async () => {
    const files = fixedSource('files', 'file', [domainList('a', fileOrigin('a.yaml', 1))]);
    const store = createSnapshotStore({ sources: [files.source] });
    const reloaded = new Promise<readonly string[]>((resolve) => store.onReload((r) => resolve(r.changed)));
    const unwatch = store.watch();
    files.announce();
    expect(await reloaded).toEqual(['file']);
    unwatch();
    expect(files.listeners.size).toBe(0);
    expect(store.current()?.resources.map((r) => r.meta.name)).toEqual(['a']);
  });

  it('validates every source as one set: a name in two sources stays with the earlier one', async () => {
    const files = fixedSource('files', 'file', [domainList('shared', fileOrigin('a.yaml', 1))]);
    const admin = fixedSource('admin', 'admin', [
      domainList('shared', adminOrigin('EgressDomainList', 'shared')),
    ]);
    const store = createSnapshotStore({ sources: [files.source, admin.source] });
    const result = await store.reload();
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((i) => [i.code, i.file, i.origin?.kind])).toEqual([
      ['POLICY_DUPLICATE_NAME', 'admin:EgressDomainList/shared', 'admin'],
    ]);
  });

  it('keeps the last good snapshot when a source fails, naming the source', async () => {
    let fail = false;
    const source: PolicySource = {
      name: 'admin store',
      kind: 'admin',
      documents: async () => {
        if (fail) throw new Error('database is locked');
        return EMPTY;
      },
      onChange: () => () => undefined,
    };
    const store = createSnapshotStore({ sources: [source] });
    expect((await store.reload()).ok).toBe(true);
    fail = true;
    const result = await store.reload();
    expect(result).toMatchObject({ ok: false, keptVersion: 1 });
    expect(result.ok ? [] : result.issues.map((i) => [i.code, i.message])).toEqual([
      ['POLICY_LOAD_FAILED', 'admin store: database is locked'],
    ]);
    expect(store.current()?.version).toBe(1);
  });

  it('refuses two sources of one name', () => {
    const a = gatedSource('files').source;
    expect(() => createSnapshotStore({ sources: [a, a] })).toThrow(/a name of its own/);
  });

  it('reports no pending change unless a source has one', async () => {
    const plain = createSnapshotStore({ sources: [gatedSource('files').source] });
    expect(plain.status().reload).toEqual({ pending: false });
    const pending: ReloadState = {
      pending: true,
      code: 'settling',
      reason: 'r',
      since: '2026-01-01T00:00:00.000Z',
      loadAfter: '2026-01-01T00:00:01.000Z',
    };
    const told = createSnapshotStore({
      sources: [
        gatedSource('admin', 'admin').source,
        { ...gatedSource('files').source, pending: () => pending },
      ],
    });
    expect(told.status().reload).toEqual(pending);
  });
});
