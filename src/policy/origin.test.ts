import { adminOrigin, fileOrigin, originLabel, originOf } from './origin';

describe('originLabel()', () => {
  it.each([
    ['a file by its path', fileOrigin('policies/a.yaml', 3), 'policies/a.yaml'],
    ['a stored resource by kind and name', adminOrigin('EgressDomainList', 'l'), 'admin:EgressDomainList/l'],
    [
      'a Kubernetes object by namespace and name',
      { kind: 'kubernetes', namespace: 'egress', name: 'agents', uid: 'u-1' } as const,
      'kubernetes:egress/agents',
    ],
  ])('names %s', (_name, origin, label) => {
    expect(originLabel(origin)).toBe(label);
  });
});

describe('originOf()', () => {
  it('reads the typed origin, never the label', () => {
    const origin = adminOrigin('EgressNamespace', 'prod');
    expect(originOf({ file: 'admin:x', line: 0, origin })).toBe(origin);
    // A file whose name looks like a stored resource's label is still a file.
    expect(originOf({ file: 'admin:EgressNamespace/prod', line: 1 })).toEqual(
      fileOrigin('admin:EgressNamespace/prod', 1),
    );
  });
});
