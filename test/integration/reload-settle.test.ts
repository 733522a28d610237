/**
 * The running service's side of policy reloads and of the events row bound: a policy file
 * truncated to nothing is held (the last good policy keeps deciding, `/api/status` says why), and
 * the events log keeps at most `--events-max-rows` rows, counting what it pruned.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startAdmin, writePolicyDir, type AdminHarness } from '../support/admin-api';
import { connectAsEnvoy, connectRequest } from '../support/envoy-client';

const policy = (...domains: string[]): string => `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: lists }
spec:
  allow: [${domains.map((d) => `{ domain: ${d}, reason: tests }`).join(', ')}]
`;

/** Polls `/api/status` until `holds` is true of it, at most `ms`; returns the last status. */
async function statusWhen(
  h: AdminHarness,
  holds: (status: Record<string, unknown>) => boolean,
  ms = 5000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const status = (await h.call('GET', '/api/status', { as: 'member' })).body;
    if (holds(status) || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** gRPC status code of a CONNECT check: 0 allowed, 7 denied. */
async function verdict(h: AdminHarness, authority: string): Promise<number> {
  const envoy = connectAsEnvoy(h.service.grpcPort);
  try {
    return (await envoy.check(connectRequest(authority))).status?.code ?? 0;
  } finally {
    envoy.close();
  }
}

describe('a policy file truncated to nothing', () => {
  it('keeps the last good policy, reports the held change in /api/status, and loads the next good write', async () => {
    const dir = writePolicyDir({ 'lists.yaml': policy('a.allowed.example') });
    const h = await startAdmin({
      policyDir: dir,
      overrides: { reloadIntervalMs: 50, reloadSettleMs: 0, reloadEmptyGraceMs: 600_000 },
    });
    try {
      const version = h.service.store.status().version;
      truncateSync(path.join(dir, 'lists.yaml'), 0);
      const held = await statusWhen(
        h,
        (s) => (s['reload'] as { code?: string }).code === 'probable_partial_write',
      );
      expect(held).toMatchObject({
        version,
        reload: {
          pending: true,
          code: 'probable_partial_write',
          reason: expect.stringContaining('define no resources') as unknown,
          since: expect.any(String) as unknown,
        },
      });
      expect(await verdict(h, 'a.allowed.example:443')).toBe(0);

      writeFileSync(path.join(dir, 'lists.yaml'), policy('a.allowed.example', 'b.allowed.example'));
      const loaded = await statusWhen(h, (s) => s['version'] === version + 1);
      expect(loaded).toMatchObject({ version: version + 1, reload: { pending: false } });
      expect(await verdict(h, 'b.allowed.example:443')).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe('the events row bound', () => {
  it('keeps the newest rows up to the bound and counts the pruned ones', async () => {
    const h = await startAdmin({
      policyDir: writePolicyDir({ 'lists.yaml': policy('a.allowed.example') }),
      overrides: { eventsMaxRows: 40 },
    });
    const envoy = connectAsEnvoy(h.service.grpcPort);
    try {
      const N = 150;
      for (let i = 0; i < N; i += 30) {
        await Promise.all(
          Array.from({ length: 30 }, () => envoy.check(connectRequest('a.allowed.example:443'))),
        );
      }
      const status = await statusWhen(h, (s) => {
        const events = s['events'] as { written: number; pruned: { size: number } };
        return events.written === N && events.pruned.size === N - 40;
      });
      expect(status['events']).toMatchObject({ written: N, max_rows: 40, pruned: { age: 0, size: N - 40 } });
      const events = (await h.call('GET', '/api/events?limit=1000', { as: 'developer' })).body['events'] as {
        id: number;
      }[];
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: 40 }, (_, i) => N - i));
      const metrics = await (await fetch(`http://127.0.0.1:${h.service.adminPort}/metrics`)).text();
      expect(metrics).toContain(`portcullis_events_pruned_total{bound="size"} ${N - 40}`);
    } finally {
      envoy.close();
      await h.close();
    }
  });
});
