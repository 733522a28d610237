import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadPolicies, readPolicyPaths } from './read-policy-files';

const GATEWAY = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: g }
spec:
  listeners: [{ name: out, protocol: TCP }]
`;
const ROUTE = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: r }
spec:
  parentRefs: [{ name: g }]
  rules: [{ matches: [{ ports: [{ port: 443 }] }] }]
`;

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'portcullis-policy-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(relative: string, text: string): Promise<string> {
  const file = join(root, relative);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, text);
  return file;
}

describe('readPolicyPaths', () => {
  it('walks directories recursively in sorted order, skipping dotfiles and other extensions', async () => {
    await put('b.yml', 'b');
    await put('a.yaml', 'a');
    await put('sub/c.json', '{}');
    await put('sub/deeper/d.yaml', 'd');
    await put('.hidden.yaml', 'hidden');
    await put('.git/config.yaml', 'hidden');
    await put('README.md', '# no');
    await put('notes.txt', 'no');
    const { files, issues } = await readPolicyPaths([root]);
    expect(issues).toEqual([]);
    expect(files.map((f) => f.file.slice(root.length + 1))).toEqual([
      'a.yaml',
      'b.yml',
      'sub/c.json',
      'sub/deeper/d.yaml',
    ]);
    expect(files[0].text).toBe('a');
  });

  it('reads a file named directly whatever its extension, and each real file once', async () => {
    const named = await put('policy.txt', 'x');
    const real = await put('dir/one.yaml', 'one');
    await symlink(real, join(root, 'dir', 'two.yaml'));
    const { files } = await readPolicyPaths([named, join(root, 'dir'), real]);
    expect(files.map((f) => f.file)).toEqual([named, real]);
  });

  it('follows ConfigMap-style symlinks but skips the ..data directory itself', async () => {
    await put('..2024_01_01/policy.yaml', GATEWAY);
    await symlink(join(root, '..2024_01_01'), join(root, '..data'));
    await symlink(join(root, '..data', 'policy.yaml'), join(root, 'policy.yaml'));
    const { files } = await readPolicyPaths([root]);
    expect(files.map((f) => f.file)).toEqual([join(root, 'policy.yaml')]);
  });

  it('reports a missing path and carries on with the others', async () => {
    const good = await put('a.yaml', 'a');
    const missing = join(root, 'nope.yaml');
    const { files, issues } = await readPolicyPaths([missing, good]);
    expect(files.map((f) => f.file)).toEqual([good]);
    expect(issues).toEqual([
      expect.objectContaining({ code: 'POLICY_FILE_NOT_FOUND', file: missing, line: 0, severity: 'error' }),
    ]);
  });
});

describe('loadPolicies', () => {
  it('validates references across files as one set', async () => {
    await put('10-route.yaml', ROUTE);
    await put('00-gateway.yaml', GATEWAY);
    const { resources, issues } = await loadPolicies([root]);
    expect(issues).toEqual([]);
    expect(resources.map((r) => r.kind)).toEqual(['EgressGateway', 'EgressL4Route']);
  });

  it('orders issues by file, then line, across read, parse and validation', async () => {
    const a = await put('a.yaml', `${ROUTE.replace('name: g', 'name: missing')}---\nkey: [unclosed\n`);
    const b = await put('b.yaml', GATEWAY.replace('TCP', 'SCTP'));
    const { resources, issues } = await loadPolicies([root, join(root, 'gone')]);
    expect(resources).toEqual([]);
    expect(issues.map((i) => [i.file, i.line, i.code])).toEqual([
      [join(root, 'gone'), 0, 'POLICY_FILE_NOT_FOUND'],
      [a, 5, 'POLICY_UNKNOWN_GATEWAY'],
      ...issues.filter((i) => i.code === 'POLICY_YAML_SYNTAX').map((i) => [a, i.line, i.code]),
      [b, 5, 'POLICY_INVALID_VALUE'],
    ]);
  });
});
