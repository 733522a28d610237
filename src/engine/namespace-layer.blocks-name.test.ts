/**
 * `blocksName` and `blockedForEveryAgent`, the DNS layer's questions to the global block list and
 * the namespace walk: the same verdict the two layers give `decide` for a destination known by that
 * one name, whatever its port.
 */
import { request, resourcesFromYaml } from '../../test/support/policy';
import { compileNamespaceLayer } from '../compile/namespace-layer';
import type { LayerInput } from './layer';
import { blockedForEveryAgent, blocksName, evaluateGlobalBlock, evaluateNamespaces } from './namespace-layer';
import { ANONYMOUS_AGENT, type Agent } from './types';

const doc = (kind: string, name: string, spec: string): string =>
  `apiVersion: egress.portcullis.dev/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`;

const TREE = compileNamespaceLayer(
  resourcesFromYaml(
    [
      doc(
        'EgressDomainList',
        'lists',
        `{ allow: [{ domain: open.example, reason: r }, { domain: keyed.example, reason: r, requireAuth: true }],
           block: [{ domain: "**.evil.example", reason: threat-intel }] }`,
      ),
      doc(
        'EgressNamespace',
        'prod',
        '{ path: prod, allowedDomains: [api.stripe.com, "**.internal.example"], blockedDomains: [pastebin.com] }',
      ),
      doc('EgressNamespace', 'dev', '{ path: dev, allowedDomains: [] }'),
    ].join('---\n'),
  ),
);

const BLOCK_LIST_ONLY = compileNamespaceLayer(
  resourcesFromYaml(doc('EgressDomainList', 'intel', '{ block: [{ domain: evil.example, reason: r }] }')),
);

const agent = (namespace: string, authenticated = false): Agent => ({
  ...ANONYMOUS_AGENT,
  name: `agent-in-${namespace || 'root'}`,
  namespace,
  authenticated,
});

const CASES = [
  ['a globally blocked name', TREE, agent(''), 'c2.evil.example', true],
  ['a name the global allow list holds (root agent)', TREE, agent(''), 'open.example', false],
  ['a name it does not hold (root default: deny)', TREE, agent(''), 'other.example', true],
  ['a requireAuth entry, unauthenticated', TREE, agent(''), 'keyed.example', true],
  ['a requireAuth entry, authenticated', TREE, agent('', true), 'keyed.example', false],
  ["a name the agent's namespace allows", TREE, agent('prod'), 'db.internal.example', false],
  ['a name the namespace blocks', TREE, agent('prod'), 'pastebin.com', true],
  ['a name the namespace does not allow', TREE, agent('prod'), 'open.example', true],
  ['a globally blocked name in a namespace', TREE, agent('prod'), 'x.evil.example', true],
  ['any name in a quarantined namespace', TREE, agent('dev'), 'api.stripe.com', true],
  [
    'a name outside the block list, where no namespace applies',
    BLOCK_LIST_ONLY,
    agent('prod'),
    'ok.example',
    false,
  ],
  ['a blocked name there', BLOCK_LIST_ONLY, agent('prod'), 'evil.example', true],
] as const;

describe('blocksName()', () => {
  it.each(CASES)('%s (%s)', (_case, layer, who, host, expected) => {
    expect(blocksName(layer, who, host)).toBe(expected);
  });

  it.each(CASES)('agrees with the layers decide() evaluates: %s', (_case, layer, who, host) => {
    const input: LayerInput = {
      request: request({ connect: `${host}:443` }),
      dest: { names: [host], host, hostEvidence: 'authority', port: 443, protocol: 'tcp' },
      agent: who,
    };
    const denied =
      evaluateGlobalBlock(layer, input).outcome === 'deny' ||
      evaluateNamespaces(layer, input).outcome === 'deny';
    expect(blocksName(layer, who, host)).toBe(denied);
  });
});

describe('blockedForEveryAgent()', () => {
  it.each([
    ['a globally blocked name', TREE, 'c2.evil.example', true],
    ['a name only a namespace blocks', TREE, 'pastebin.com', false],
    ['a name only the root default denies', TREE, 'other.example', false],
    ['a name with no block list loaded', compileNamespaceLayer([]), 'evil.example', false],
  ] as const)('%s (%s)', (_case, layer, host, expected) => {
    expect(blockedForEveryAgent(layer, host)).toBe(expected);
  });
});
