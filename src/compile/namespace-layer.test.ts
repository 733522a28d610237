import { namespace } from '../../test/support/namespaces';
import { validateWith } from '../../test/support/validate-kinds';
import type { Resource } from '../policy/types';
import { domainListKind } from '../policy/validate-domain-list';
import { namespaceKind } from '../policy/validate-namespace';
import { chainFor, compileNamespaceLayer } from './namespace-layer';

function resources(text: string): Resource[] {
  const v = validateWith([namespaceKind, domainListKind], text);
  expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
  return v.resources;
}

const TREE = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressNamespace
metadata: { name: prod }
spec: { allowedDomains: [api.stripe.com, "*.github.com"], blockedDomains: ["**.pastebin.com"] }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressNamespace
metadata: { name: quarantine }
spec: { path: prod/quarantine, allowedDomains: [] }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressNamespace
metadata: { name: open }
spec: { path: prod/open }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: team-a }
spec: { allow: [{ domain: api.stripe.com, reason: payments, requireAuth: true }] }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: threat-intel, namespace: security }
spec: { allow: ["*.bank.eu"], block: [{ domain: evil-c2.example, reason: threat-intel }] }
`;

describe('compileNamespaceLayer', () => {
  const layer = compileNamespaceLayer(resources(TREE));

  it('indexes each namespace by path with its allowed and blocked domains', () => {
    expect([...layer.namespaces.keys()]).toEqual(['prod', 'prod/quarantine', 'prod/open']);
    const prod = layer.namespaces.get('prod');
    expect(prod?.ref).toEqual({ kind: 'EgressNamespace', namespace: 'default', name: 'prod' });
    expect(prod?.allowed?.has('api.stripe.com')).toBe(true);
    expect(prod?.allowed?.has('ci.github.com')).toBe(true);
    expect(prod?.allowed?.has('a.ci.github.com')).toBe(false);
    expect(prod?.blocked.has('a.b.pastebin.com')).toBe(true);
    expect(prod?.quarantined).toBe(false);
  });

  it('tells a quarantined namespace (empty list) from one that does not restrict (no list)', () => {
    expect(layer.namespaces.get('prod/quarantine')).toMatchObject({ quarantined: true });
    expect(layer.namespaces.get('prod/quarantine')?.allowed?.size).toBe(0);
    expect(layer.namespaces.get('prod/open')?.allowed).toBeUndefined();
    expect(layer.namespaces.get('prod/open')?.quarantined).toBe(false);
  });

  it('merges every EgressDomainList into one allow and one block index, keeping where entries came from', () => {
    expect(layer.globalAllow.size).toBe(2);
    const hits: string[] = [];
    layer.globalAllow.forEach(
      'eu.bank.eu',
      (e) => void hits.push(`${e.ref.namespace}/${e.ref.name} ${e.index}`),
    );
    expect(hits).toEqual(['security/threat-intel spec.allow[0]']);
    layer.globalAllow.forEach('api.stripe.com', (e) => {
      expect(e.entry).toMatchObject({ reason: 'payments', requireAuth: true });
    });
    expect(layer.globalBlock.has('evil-c2.example')).toBe(true);
    expect(layer.firstList).toEqual({ kind: 'EgressDomainList', namespace: 'default', name: 'team-a' });
  });

  it('walks each defined path once at compile time, and any other path on demand', () => {
    const paths = (levels: readonly { resource: { path: string } }[]) => levels.map((l) => l.resource.path);
    const quarantine = layer.chains.get('prod/quarantine');
    expect(quarantine && paths(quarantine.levels)).toEqual(['prod/quarantine', 'prod']);
    expect(quarantine?.skipped).toEqual([]);
    const open = chainFor(layer, 'prod/open');
    expect(open).toBe(layer.chains.get('prod/open'));
    expect(paths(open.defining)).toEqual(['prod']);

    const undefinedLeaf = chainFor(layer, 'prod/ml/train');
    expect(paths(undefinedLeaf.levels)).toEqual(['prod']);
    expect(undefinedLeaf.skipped).toEqual(['prod/ml/train', 'prod/ml']);
    expect(chainFor(layer, '')).toMatchObject({ levels: [], defining: [], skipped: [], note: '' });
  });

  it('sets the flags the layers use to abstain', () => {
    expect(layer).toMatchObject({ hasNamespaces: true, hasGlobalLists: true });
    expect(compileNamespaceLayer([])).toMatchObject({ hasNamespaces: false, hasGlobalLists: false });
    expect(compileNamespaceLayer([namespace('dev')])).toMatchObject({
      hasNamespaces: true,
      hasGlobalLists: false,
    });
    expect(compileNamespaceLayer([])).not.toHaveProperty('firstList');
  });

  it('defines the root only through a global allow list, never through a block-only list or a child', () => {
    expect(layer.rootDefined).toBe(true);
    expect(compileNamespaceLayer([namespace('prod/payments', ['api.stripe.com'])]).rootDefined).toBe(false);
    const blockOnly = resources(`apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: intel }
spec: { block: [evil-c2.example] }
`);
    expect(compileNamespaceLayer(blockOnly)).toMatchObject({ hasGlobalLists: true, rootDefined: false });
  });

  it('keeps the first definition of a repeated path', () => {
    const first = namespace('prod', ['a.example']);
    const compiled = compileNamespaceLayer([first, namespace('prod', ['b.example'])]);
    expect(compiled.namespaces.get('prod')?.resource).toBe(first);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(layer)).toBe(true);
    expect(Object.isFrozen(layer.namespaces.get('prod'))).toBe(true);
  });
});
