import { mirrordFromYaml } from '../../test/support/mirrord';
import {
  compileGlob,
  compileMirrordLayer,
  encodeNames,
  policiesSelecting,
  selectsAgent,
} from './mirrord-layer';

describe('compileGlob (targetPath)', () => {
  it.each([
    ['boats', 'boats', true],
    ['boats', 'boats-1', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['boats-*', 'boats-', true],
    ['boats-*', 'boats-1', true],
    ['boats-*', 'boats', false],
    ['boats-?', 'boats-1', true],
    ['boats-?', 'boats-12', false],
    ['boats-?', 'boats-', false],
    ['*-worker-*', 'eu-worker-7', true],
    ['*-worker-*', 'eu-worker', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['a*a*a*a*b', `${'a'.repeat(200)}`, false],
    ['?*?', 'ab', true],
    ['?*?', 'a', false],
    ['b.ats', 'boats', false],
  ])('%s against %s: %s', (glob, name, expected) => {
    expect(compileGlob(glob)(name)).toBe(expected);
  });
});

describe('compileMirrordLayer', () => {
  const [doc] = mirrordFromYaml(`apiVersion: policies.mirrord.metalbear.co/v1alpha
kind: MirrordPolicy
metadata: { name: p, namespace: team-a }
spec:
  targetPath: "boats-*"
  network:
    outgoing:
      allow:
        - hostname: "^metalbear\\\\.(co|com)$"
          ports: [{ protocol: TCP, port: 443 }, { protocol: UDP, port: 53 }, { protocol: TCP, port: 80 }]
      block:
        - ipBlock: { cidr: 0.0.0.0/0 }
`);
  const layer = compileMirrordLayer(doc === undefined ? [] : [doc]);
  const [policy] = layer.policies;

  it('compiles each policy once, frozen, in load order', () => {
    expect(layer.policies).toHaveLength(1);
    expect(Object.isFrozen(layer)).toBe(true);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(policy?.ref).toEqual({ kind: 'MirrordPolicy', namespace: 'team-a', name: 'p' });
    expect(policy?.namespacePrefix).toBe('team-a/');
    expect(policy?.targets?.('boats-1')).toBe(true);
    expect(policy?.targets?.('cars-1')).toBe(false);
  });

  it('indexes rules and splits ports by protocol', () => {
    const [allow] = policy?.allow ?? [];
    expect(allow?.index).toBe('network.outgoing.allow[0]');
    expect(allow?.ports?.tcp?.ranges).toEqual([
      { start: 80, end: 80 },
      { start: 443, end: 443 },
    ]);
    expect(allow?.ports?.udp?.has(53)).toBe(true);
    expect(allow?.ports?.udp?.has(443)).toBe(false);
    expect(policy?.block[0]?.index).toBe('network.outgoing.block[0]');
    expect(policy?.block[0]?.ports).toBeUndefined();
  });

  it.each([
    ['metalbear.co', true],
    ['metalbear.com', true],
    ['metalbear.io', false],
    ['www.metalbear.co', false],
  ])('tests the hostname regex on encoded names: %s → %s', (name, expected) => {
    const [bytes] = encodeNames([name]);
    expect(bytes !== undefined && policy?.allow[0]?.hostname?.test(bytes)).toBe(expected);
  });

  it('ignores other kinds', () => {
    expect(compileMirrordLayer([]).policies).toEqual([]);
  });
});

describe('policiesSelecting', () => {
  const policies = mirrordFromYaml(`apiVersion: policies.mirrord.metalbear.co/v1alpha
kind: MirrordClusterPolicy
metadata: { name: gpu }
spec:
  selector: { matchLabels: { tier: gpu } }
  network: { outgoing: { block: [{ ipBlock: { cidr: 10.0.0.0/8 } }] } }
---
apiVersion: policies.mirrord.metalbear.co/v1alpha
kind: MirrordPolicy
metadata: { name: boats, namespace: team-a }
spec:
  targetPath: "boats-*"
  network: { outgoing: { block: [{ ipBlock: { cidr: 10.0.0.0/8 } }] } }
`);
  const gpuLabels = Object.freeze({ tier: 'gpu' });
  const agents = [
    { name: 'boats-1', namespace: 'team-a', labels: gpuLabels },
    { name: 'cars-1', namespace: 'team-a', labels: Object.freeze({}) },
  ];
  const layer = compileMirrordLayer(policies, agents);
  const names = (agent: (typeof agents)[number]) => policiesSelecting(layer, agent).map((p) => p.ref.name);

  it('works out each declared agent once at load, the same as selecting afresh', () => {
    expect(layer.byAgent.size).toBe(2);
    expect(policiesSelecting(layer, agents[0]!)).toBe(layer.byAgent.get('boats-1')?.policies);
    expect(names(agents[0]!)).toEqual(['gpu', 'boats']);
    expect(names(agents[1]!)).toEqual([]);
    for (const agent of agents) {
      expect(names(agent)).toEqual(
        layer.policies.filter((p) => selectsAgent(p, agent)).map((p) => p.ref.name),
      );
    }
  });

  it('selects afresh when the agent differs from the declared one (what-if labels, another namespace)', () => {
    expect(names({ name: 'cars-1', namespace: 'team-a', labels: { tier: 'gpu' } })).toEqual(['gpu']);
    expect(names({ name: 'boats-1', namespace: 'team-b', labels: gpuLabels })).toEqual(['gpu']);
    expect(names({ name: 'unknown', namespace: 'team-a/x', labels: {} })).toEqual([]);
    expect(names({ name: 'boats-9', namespace: 'team-a/x', labels: {} })).toEqual(['boats']);
  });
});
