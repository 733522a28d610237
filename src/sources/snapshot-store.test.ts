import { createSnapshotStore, type ReloadRequest } from './snapshot-store';

/** A store whose loads wait until released, recording the request each one got. */
function gatedStore() {
  const requests: ReloadRequest[] = [];
  const gates: (() => void)[] = [];
  const store = createSnapshotStore({
    load: (request) => {
      requests.push(request);
      return new Promise((resolve) => gates.push(() => resolve({ resources: [], issues: [] })));
    },
  });
  const releaseAll = async (): Promise<void> => {
    for (let i = 0; i < 10 && gates.length > 0; i++) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { store, requests, releaseAll };
}

describe('createSnapshotStore().reload()', () => {
  it('merges the triggers that arrive during a reload into one more, reading the files now if any asked to', async () => {
    const t = gatedStore();
    const first = t.store.reload({ acceptedFiles: true });
    const second = t.store.reload({ acceptedFiles: true });
    const third = t.store.reload();
    expect(second).toBe(third);
    await t.releaseAll();
    await Promise.all([first, second]);
    expect(t.requests).toEqual([{ acceptedFiles: true }, { acceptedFiles: false }]);
  });

  it('keeps using the accepted files when every merged trigger asked for them', async () => {
    const t = gatedStore();
    const first = t.store.reload();
    const second = t.store.reload({ acceptedFiles: true });
    t.store.reload({ acceptedFiles: true });
    await t.releaseAll();
    await Promise.all([first, second]);
    expect(t.requests).toEqual([{}, { acceptedFiles: true }]);
  });

  it('reports no pending file change unless told one', async () => {
    const plain = createSnapshotStore({ load: async () => ({ resources: [], issues: [] }) });
    expect(plain.status().reload).toEqual({ pending: false });
    const pending = {
      pending: true,
      code: 'settling',
      reason: 'r',
      since: '2026-01-01T00:00:00.000Z',
      loadAfter: '2026-01-01T00:00:01.000Z',
    } as const;
    const told = createSnapshotStore({
      load: async () => ({ resources: [], issues: [] }),
      reloadState: () => pending,
    });
    expect(told.status().reload).toEqual(pending);
  });
});
