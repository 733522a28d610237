import { parseDocuments } from './documents';

describe('parseDocuments', () => {
  it('splits a stream, skips empty documents and keeps each first line', () => {
    const text = [
      '# leading comment',
      '---',
      '---',
      'kind: A',
      'spec:',
      '  x: 1',
      '---',
      '# only a comment',
      '---',
      'kind: B',
      '',
    ].join('\n');
    const { docs, issues } = parseDocuments('p.yaml', text);
    expect(issues).toEqual([]);
    expect(docs.map((doc) => [doc.file, doc.line, doc.value])).toEqual([
      ['p.yaml', 4, { kind: 'A', spec: { x: 1 } }],
      ['p.yaml', 10, { kind: 'B' }],
    ]);
  });

  it('finds the line of a path, or of its nearest existing ancestor', () => {
    const text = [
      'kind: EgressL4Route', // 1
      'spec:', // 2
      '  rules:', // 3
      '    - matches:', // 4
      '        - ports: [{ port: 443 }]', // 5
      '          destinationCIDRs:', // 6
      '            - 10.0.0.0/8', // 7
      '            - cidr: 10.1.0.0/16', // 8
      '              except: [10.1.2.0/24]', // 9
    ].join('\n');
    const [doc] = parseDocuments('r.yaml', text).docs;
    const match = ['spec', 'rules', 0, 'matches', 0];
    expect(doc.lineOf([])).toBe(1);
    expect(doc.lineOf(['spec'])).toBe(2);
    expect(doc.lineOf([...match])).toBe(5);
    expect(doc.lineOf([...match, 'ports', 0, 'port'])).toBe(5);
    expect(doc.lineOf([...match, 'destinationCIDRs', 1])).toBe(8);
    expect(doc.lineOf([...match, 'destinationCIDRs', 1, 'except', 0])).toBe(9);
    expect(doc.lineOf([...match, 'destinationCIDRs', 7])).toBe(6);
    expect(doc.lineOf(['spec', 'nope', 'deeper'])).toBe(2);
    expect(doc.lineOf(['kind', 'x'])).toBe(1);
  });

  it('reports syntax errors with their line and keeps the good documents', () => {
    const text = ['kind: A', '---', 'a:', '  b: 1', ' c: 2', '---', 'kind: C'].join('\n');
    const { docs, issues } = parseDocuments('bad.yaml', text);
    expect(docs.map((doc) => doc.value)).toEqual([{ kind: 'A' }, { kind: 'C' }]);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({
      code: 'POLICY_YAML_SYNTAX',
      file: 'bad.yaml',
      line: 5,
      severity: 'error',
    });
  });

  it('reports an unclosed flow sequence', () => {
    const { docs, issues } = parseDocuments('u.yaml', 'ports: [1, 2\nkind: x\n');
    expect(docs).toEqual([]);
    expect(issues[0]).toMatchObject({ code: 'POLICY_YAML_SYNTAX', path: '' });
    expect(issues[0].fix).toMatch(/brackets/);
  });

  it('names the key that is duplicated', () => {
    const { issues } = parseDocuments('d.yaml', 'spec:\n  a: 1\n  a: 2\n');
    expect(issues).toEqual([
      expect.objectContaining({ code: 'POLICY_YAML_SYNTAX', line: 3, fix: expect.stringContaining('`a`') }),
    ]);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i += 1) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(
        `${next}: &${next} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
      );
    }
    const { docs, issues } = parseDocuments('bomb.yaml', lines.join('\n'));
    expect(docs).toEqual([]);
    expect(issues[0].code).toBe('POLICY_YAML_SYNTAX');
  });

  it('accepts JSON, including tab indentation', () => {
    const text =
      '{\n\t"apiVersion": "egress.portcullis.dev/v1alpha1",\n\t"spec": {\n\t\t"ports": [443]\n\t}\n}\n';
    const { docs, issues } = parseDocuments('p.json', text);
    expect(issues).toEqual([]);
    expect(docs[0].value).toEqual({ apiVersion: 'egress.portcullis.dev/v1alpha1', spec: { ports: [443] } });
    expect(docs[0].lineOf(['spec', 'ports', 0])).toBe(4);
  });

  it('returns nothing for an empty file', () => {
    expect(parseDocuments('e.yaml', '')).toEqual({ docs: [], issues: [] });
    expect(parseDocuments('e.yaml', '# nothing here\n')).toEqual({ docs: [], issues: [] });
  });

  it('reads YAML 1.2: yes/no/on stay strings', () => {
    const [doc] = parseDocuments('b.yaml', 'a: yes\nb: on\nc: true\n').docs;
    expect(doc.value).toEqual({ a: 'yes', b: 'on', c: true });
  });
});
