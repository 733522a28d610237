/** A fixed deny Decision for the adapter and encoder tests; `overrides` replace whole fields. */
import type { Decision } from '../../src/engine/types';

export function sampleDecision(overrides: Partial<Decision> = {}): Decision {
  return {
    id: 'dec-1',
    verdict: 'deny',
    enforced: true,
    layer: 'gateway',
    reasonCode: 'deny_policy',
    reason: 'api.evil.example is denied by EgressDenyPolicy default/block-evil',
    policy: { kind: 'EgressDenyPolicy', namespace: 'default', name: 'block-evil' },
    rule: { index: 'rules[0].matches[0]', label: 'rules[0].matches[0]' },
    response: { status: 403, body: 'blocked by policy\n', headers: {} },
    agent: { name: 'anonymous', namespace: '', identifiedBy: 'anonymous' },
    notes: [],
    trace: [],
    snapshotVersion: 3,
    nearMisses: [],
    stripHeaders: ['proxy-authorization'],
    ...overrides,
  };
}
