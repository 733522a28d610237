/**
 * Reloads are counted for the source whose change they loaded: an admin API change as `admin`, a
 * policy file change as `file`; startup counts as `file`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startAdmin, writePolicyDir, type AdminHarness } from '../support/admin-api';
import { parsePrometheusText, sumSamples } from '../support/telemetry';

const list = (name: string, domain: string): string => `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: ${name} }
spec:
  allow: [{ domain: ${domain}, reason: tests }]
`;

async function reloads(h: AdminHarness, source: string): Promise<number> {
  const text = await h.service.metrics.registry.metrics();
  return sumSamples(parsePrometheusText(text), 'portcullis_policy_reloads_total', { source, result: 'ok' });
}

/** Waits until `holds`, at most `ms`. */
async function until(holds: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await holds()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('policy reload metrics by source', () => {
  it('counts startup and file changes as file, admin API changes as admin', async () => {
    const dir = writePolicyDir({ 'lists.yaml': list('from-file', 'a.example') });
    const h = await startAdmin({
      policyDir: dir,
      overrides: { reloadIntervalMs: 50, reloadSettleMs: 0 },
    });
    try {
      expect([await reloads(h, 'file'), await reloads(h, 'admin')]).toEqual([1, 0]);

      const added = await h.call('POST', '/api/policy/egress/allow', { body: { domain: 'b.example' } });
      expect(added.status).toBeLessThan(300);
      expect([await reloads(h, 'file'), await reloads(h, 'admin')]).toEqual([1, 1]);

      writeFileSync(path.join(dir, 'lists.yaml'), list('from-file', 'c.example'));
      expect(await until(async () => (await reloads(h, 'file')) === 2)).toBe(true);
      expect(await reloads(h, 'admin')).toBe(1);
    } finally {
      await h.close();
    }
  });
});
