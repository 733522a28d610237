import { openAdminDatabase } from './database';
import { createEventStore } from './event-store';
import { createResourceStore, type ResourceDocument } from './resource-store';

const doc = (kind: string, name: string, spec: Record<string, unknown> = {}): ResourceDocument => ({
  apiVersion: 'egress.portcullis.dev/v1alpha1',
  kind,
  metadata: { name },
  spec,
});

describe('createResourceStore()', () => {
  it('puts, replaces and removes documents, listed by kind then name', async () => {
    const db = openAdminDatabase(undefined);
    const store = createResourceStore(db.policy, () => new Date('2030-01-01T00:00:00Z'));
    await store.commit({ put: [doc('B', 'y'), doc('A', 'z'), doc('B', 'x')], remove: [], events: [] });
    await store.commit({ put: [doc('B', 'x', { v: 2 })], remove: [{ kind: 'A', name: 'z' }], events: [] });
    expect(await store.list()).toEqual([
      { document: doc('B', 'x', { v: 2 }), updatedAt: '2030-01-01T00:00:00.000Z' },
      { document: doc('B', 'y'), updatedAt: '2030-01-01T00:00:00.000Z' },
    ]);
    db.close();
  });

  it('writes a change and its events in one transaction: all or nothing', async () => {
    const db = openAdminDatabase(undefined);
    const store = createResourceStore(db.policy);
    const events = createEventStore(db.events);
    const bad = { type: 'x', timeMs: Number.NaN, data: {} };
    const rejected = await store
      .commit({ put: [doc('A', 'a')], remove: [], events: [{ type: 'ok', timeMs: 1, data: {} }, bad] })
      .then(
        () => false,
        () => true,
      );
    expect(rejected).toBe(true);
    expect(await store.list()).toEqual([]);
    expect(events.count()).toBe(0);
    await store.commit({
      put: [doc('A', 'a')],
      remove: [],
      events: [{ type: 'policy_allow', timeMs: 1, data: { domain: 'a' } }],
    });
    expect(events.query({ limit: 10 })).toEqual([
      { id: expect.any(Number), time: '1970-01-01T00:00:00.001Z', type: 'policy_allow', domain: 'a' },
    ]);
    db.close();
  });
});
