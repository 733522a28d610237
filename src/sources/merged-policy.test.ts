import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CASCADE_FORCED_ANNOTATION } from '../policy/validate-namespace';
import type { ResourceDocument } from '../store/resource-store';
import { createAdminSource } from './admin-store';
import { mergeSources, readFileDocuments, type PolicySet } from './merged-policy';

const API = 'egress.portcullis.dev/v1alpha1';
const ns = (p: string, allowed: string[], annotations?: Record<string, string>): ResourceDocument => ({
  apiVersion: API,
  kind: 'EgressNamespace',
  metadata: { name: p.replace(/\//g, '.'), ...(annotations ? { annotations } : {}) },
  spec: { path: p, allowedDomains: allowed },
});

/** The files under `paths` and `stored` as the admin store's documents, merged. */
async function loadMergedPolicies(paths: string[], stored: () => ResourceDocument[]): Promise<PolicySet> {
  const admin = createAdminSource({
    list: async () => stored().map((document) => ({ document, updatedAt: '' })),
  });
  return mergeSources([
    { kind: 'file', documents: await readFileDocuments(paths) },
    { kind: 'admin', documents: await admin.documents('reload') },
  ]);
}

function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-merged-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('mergeSources()', () => {
  it('validates files and stored documents as one set, references crossing between them', async () => {
    const dir = policyDir({
      'prod.yaml': `apiVersion: ${API}\nkind: EgressNamespace\nmetadata: { name: prod }\nspec: { allowedDomains: [a.example] }\n`,
    });
    const { resources, issues } = await loadMergedPolicies([dir], () => [ns('prod/x', ['b.example'])]);
    expect(resources.map((r) => r.meta.source.file)).toEqual([path.join(dir, 'prod.yaml')]);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'POLICY_CHILD_WIDENS_PARENT',
        file: 'admin:EgressNamespace/prod.x',
        severity: 'error',
      }),
    ]);
  });

  it('reports a name defined in a file and in the store, naming both', async () => {
    const dir = policyDir({
      'list.yaml': `apiVersion: ${API}\nkind: EgressDomainList\nmetadata: { name: shared }\nspec: { allow: [a.example] }\n`,
    });
    const stored: ResourceDocument = {
      apiVersion: API,
      kind: 'EgressDomainList',
      metadata: { name: 'shared' },
      spec: { block: ['b.example'] },
    };
    const { resources, issues } = await loadMergedPolicies([dir], () => [stored]);
    expect(resources).toHaveLength(1);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'POLICY_DUPLICATE_NAME',
        file: 'admin:EgressDomainList/shared',
        message: `EgressDomainList default/shared is defined twice: here and at ${path.join(dir, 'list.yaml')}:1`,
      }),
    ]);
  });

  it.each([
    ['without the forced mark: an error, and the child is left out', undefined, 'error', 1],
    [
      'with the forced mark: a warning, and the child stays (the walk then denies)',
      { [CASCADE_FORCED_ANNOTATION]: 'b.example' },
      'warning',
      2,
    ],
  ] as const)('a child its parent no longer covers, %s', async (_name, annotations, severity, count) => {
    const stored = [ns('prod', ['a.example']), ns('prod/x', ['b.example'], annotations)];
    const { resources, issues } = await loadMergedPolicies([policyDir({})], () => stored);
    expect(issues.map((i) => [i.code, i.severity])).toEqual([['POLICY_CHILD_WIDENS_PARENT', severity]]);
    expect(resources).toHaveLength(count);
  });
});
