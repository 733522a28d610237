import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

import { request, type RequestSpec } from '../../test/support/policy';
import { compileSnapshot } from '../compile/snapshot';
import { decide } from '../engine/decide';
import type { Agent } from '../engine/types';
import type { Resource } from '../policy/types';
import { loadPolicies } from '../sources/read-policy-files';
import { importCommand } from './import-command';
import { isPortcullisError } from '../errors/portcullis-error';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const SEED_000 = join(FIXTURES, 'seeds', '000');
const SEED_001 = join(FIXTURES, 'seeds', '001');
const NATIVE = 'egress.portcullis.dev/v1alpha1';

/** A clrk deny policy whose targetRef names the clrk group, to see that reference rewritten too. */
const CLRK_DENY = `# CLRK agents never reach the metadata service's neighbours.
apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressDenyPolicy
metadata:
  name: no-cluster-internal
spec:
  targetRef:
    group: clrk.apoxy.dev
    kind: EgressL4Route
    name: canned-cluster-internal # keep this comment
  denyResponse: { statusCode: 451, message: internal services are off limits }
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-import-'));
  writeFileSync(join(dir, 'deny.yaml'), CLRK_DENY);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await importCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err };
}

/** Imports `paths`, writes the result to a file and loads both through the real loader. */
async function roundTrip(name: string, ...paths: string[]) {
  const imported = await run(...paths);
  expect(imported.err.filter((line) => !line.includes(': warning: '))).toEqual([]);
  expect(imported.code).toBe(0);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${imported.out}\n`);
  const before = await loadPolicies(paths);
  const after = await loadPolicies([file]);
  return { text: imported.out, file, before, after };
}

/** A resource as the engine sees it: where it came from and which group spelled it do not decide. */
function semantic(resource: Resource): unknown {
  return JSON.parse(
    JSON.stringify(resource, (key: string, value: unknown) =>
      key === 'source' || key === 'apiVersion' || key === 'group' ? undefined : value,
    ),
  );
}

const AGENT: Agent = {
  name: 'prod-agent',
  namespace: '',
  labels: { team: 'platform' },
  identifiedBy: 'context',
  authenticated: false,
};

function decisionsFor(resources: Resource[], cases: readonly RequestSpec[], agent = AGENT) {
  const snapshot = compileSnapshot(resources, { version: 7 });
  return cases.map((spec) => decide(snapshot, request(spec), agent, { id: 'same' }));
}

describe('portcullis import: CLRK manifests (clrk.apoxy.dev)', () => {
  it('rewrites apiVersion and reference groups, keeps comments, names each source', async () => {
    const { text } = await roundTrip('seed-001', SEED_001, join(dir, 'deny.yaml'));
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) throw new Error('no documents');
    expect(docs.map((doc) => doc.get('apiVersion'))).toEqual(Array(8).fill(NATIVE));
    const notes = text.split('\n').filter((line) => line.startsWith('# from '));
    expect(notes).toHaveLength(8);
    notes.forEach((note) => expect(note).toMatch(/^# from .+\.yaml:\d+ \(was clrk\.apoxy\.dev\/v1alpha1\)$/));
    expect(text).toContain(
      `# from ${join(SEED_001, '01-default-deny-allowlist.yaml')}:5 (was clrk.apoxy.dev/v1alpha1)`,
    );
    expect(text).toContain(`# from ${join(dir, 'deny.yaml')}:2 (was clrk.apoxy.dev/v1alpha1)`);
    expect(text).toContain('name: canned-cluster-internal # keep this comment');
    expect(text).toContain('"*.azure.openai.com" # single-label wildcard');
    expect(text).toContain('destinationHostnames: ["api.anthropic.com"]');
    expect(text.split('\n').filter((line) => !line.trimStart().startsWith('#'))).not.toContainEqual(
      expect.stringContaining('clrk.apoxy.dev'),
    );
    expect(text).toMatch(/group: egress\.portcullis\.dev\n/);
  });

  it('produces a policy that validates with no issues and means the same resources', async () => {
    const { before, after } = await roundTrip('seed-001-same', SEED_001, join(dir, 'deny.yaml'));
    expect(before.issues).toEqual([]);
    expect(after.issues).toEqual([]);
    expect(after.resources.every((r) => r.meta.apiVersion === NATIVE)).toBe(true);
    expect(after.resources.map(semantic)).toEqual(before.resources.map(semantic));
  });

  const destinations: readonly RequestSpec[] = [
    { connect: 'api.anthropic.com:443', listener: 'tls-out' },
    { connect: 'api.anthropic.com:443', listener: 'tcp-out' },
    { connect: 'pg.prod.internal:5432', listener: 'tcp-out' },
    { connect: 'pg.prod.internal:5433', listener: 'tcp-out' },
    { connect: 'api.openai.com:443' },
    { connect: 'api.openai.com:8099' },
    { connect: 'api.openai.com:8100' },
    { connect: 'eastus.azure.openai.com:443' },
    { connect: 'eu.eastus.azure.openai.com:443' },
    { connect: 's3.us-east-1.amazonaws.com:443' },
    { connect: 'payments.svc.cluster.local:80' },
    { connect: 'pastebin.com:443' },
    { l4: '10.20.1.1:443' },
    { l4: '203.0.113.5:8000' },
    { l4: '10.3.3.3:22' },
    { l4: '169.254.169.254:80' },
    { l4: '198.51.100.66:4444' },
    { connect: 'api.openai.com:443', protocol: 'udp' },
  ];

  it('decides identically on a table of destinations', async () => {
    const { before, after } = await roundTrip('seed-001-decide', SEED_001, join(dir, 'deny.yaml'));
    const original = decisionsFor(before.resources, destinations);
    const imported = decisionsFor(after.resources, destinations);
    expect(imported).toEqual(original);
    // The table covers both verdicts and the deny policy, so agreement is not vacuous.
    expect(new Set(original.map((d) => d.verdict))).toEqual(new Set(['allow', 'deny']));
    expect(original.map((d) => d.reasonCode)).toContain('deny_policy');
  });

  it('passes documents already in our group through, and imports its own output unchanged', async () => {
    const first = await roundTrip('seed-001-once', SEED_001);
    const second = await run(first.file);
    expect(second.code).toBe(0);
    const strip = (text: string) => text.replace(/^# from .*\n/gm, '');
    expect(strip(second.out)).toBe(strip(first.text));
    const notes = second.out.split('\n').filter((line) => line.startsWith(`# from ${first.file}:`));
    expect(notes).toHaveLength(7);
    notes.forEach((note) => expect(note).not.toContain('(was '));
  });
});

describe('portcullis import: mirrord manifests (policies.mirrord.metalbear.co)', () => {
  // Needs the mirrord kinds in the registry (validate-registry.ts); fails until they are.
  it('translates the example policy into one that validates and decides the same', async () => {
    const { text, before, after } = await roundTrip('seed-000', SEED_000);
    expect(before.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(after.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(text).toMatch(
      /^# from .*mirrord-policy\.yaml:5 \(was policies\.mirrord\.metalbear\.co\/v1alpha\)/,
    );
    expect(text).toContain(`apiVersion: ${NATIVE}\nkind: MirrordPolicy`);
    expect(text).toContain('hostname: "^metalbear\\\\.(co|com)$"');
    expect(after.resources.map(semantic)).toEqual(before.resources.map(semantic));
    const cases: RequestSpec[] = [
      { l4: '10.0.1.1:80' },
      { l4: '10.0.5.1:80' },
      { l4: '10.0.1.1:22' },
      { l4: '10.0.1.1:53', protocol: 'udp' },
      { l4: '192.0.2.1:443' },
      { connect: 'metalbear.co:443' },
      { connect: 'metalbear.com:80' },
      { connect: 'example.com:443' },
    ];
    // A MirrordPolicy covers the agents of its own Kubernetes namespace.
    const agent: Agent = { ...AGENT, namespace: 'default' };
    const original = decisionsFor(before.resources, cases, agent);
    expect(decisionsFor(after.resources, cases, agent)).toEqual(original);
    expect(original.map((d) => d.reasonCode)).toEqual(
      expect.arrayContaining(['mirrord_allowed', 'mirrord_not_allowed']),
    );
  });
});

describe('portcullis import: errors', () => {
  it('exits 1 with every problem, printing nothing, on invalid input', async () => {
    const bad = join(FIXTURES, 'policies', 'invalid', 'bad-cidr.yaml');
    const r = await run(bad);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err[0]).toMatch(/bad-cidr\.yaml:20: spec\.rules\[0\]\.matches\[0\]\.destinationCIDRs\[0\]: /);
    expect(r.err.at(-1)).toMatch(/1 error\(s\).*nothing was imported/);
  });

  it('exits 1 on a file that does not exist', async () => {
    const r = await run(join(dir, 'missing.yaml'));
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain('no such file or directory');
  });

  it.each<[string, string[]]>([
    ['no file', []],
    ['an unknown option', ['--output', 'x.yaml']],
  ])('is a usage error (exit 2) with %s', async (_name, args) => {
    const err: unknown = await run(...args).catch((e: unknown) => e);
    expect(isPortcullisError(err, 'usage')).toBe(true);
  });
});

describe('portcullis import --with: references into other files', () => {
  const GATEWAY = `apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressGateway
metadata: { name: shared }
spec:
  listeners:
    - { name: tls-out, protocol: TLS }
`;
  const ROUTE = `apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressL4Route
metadata: { name: paste }
spec:
  parentRefs: [{ group: clrk.apoxy.dev, name: shared, sectionName: tls-out }]
  rules:
    - matches:
        - destinationHostnames: [pastebin.com]
          ports: [{ port: 443 }]
`;
  const DENY = `apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-paste }
spec:
  targetRef: { group: clrk.apoxy.dev, kind: EgressL4Route, name: paste }
`;
  let withDir: string;
  const file = (name: string) => join(withDir, name);

  beforeAll(() => {
    withDir = mkdtempSync(join(tmpdir(), 'portcullis-import-with-'));
    writeFileSync(file('gateway.yaml'), GATEWAY);
    writeFileSync(file('route.yaml'), ROUTE);
    writeFileSync(file('deny.yaml'), DENY);
  });
  afterAll(() => rmSync(withDir, { recursive: true, force: true }));

  const kinds = (text: string) => {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) throw new Error('no documents');
    return docs.map((doc) => `${String(doc.get('kind'))}/${String(doc.getIn(['metadata', 'name']))}`);
  };

  it('without --with, a route whose gateway is elsewhere fails and the hint names --with', async () => {
    const r = await run(file('route.yaml'));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.join('\n')).toMatch(/route\.yaml:\d+: .*shared/);
    expect(r.err).toContain(
      'if what is referred to is defined in another file, name that file with --with PATH',
    );
  });

  it('with --with, the route is translated and the gateway is read but not printed', async () => {
    const r = await run(file('route.yaml'), '--with', file('gateway.yaml'));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(kinds(r.out)).toEqual(['EgressL4Route/paste']);
    expect(r.out).toContain(`# from ${file('route.yaml')}:1 (was clrk.apoxy.dev/v1alpha1)`);
    expect(r.out).not.toContain('gateway.yaml');
    expect(r.out).toContain(`group: ${NATIVE.split('/')[0]}`);
  });

  it('a deny policy whose route and gateway are elsewhere: --with repeated', async () => {
    const r = await run(file('deny.yaml'), '--with', file('route.yaml'), '--with', file('gateway.yaml'));
    expect(r.code).toBe(0);
    expect(kinds(r.out)).toEqual(['EgressDenyPolicy/no-paste']);
  });

  it('the output loads with the files it referred to, and decides as the original does', async () => {
    const r = await run(file('route.yaml'), file('deny.yaml'), '--with', file('gateway.yaml'));
    expect(r.code).toBe(0);
    const out = join(withDir, 'imported.out');
    writeFileSync(out, `${r.out}\n`);
    const before = await loadPolicies([file('gateway.yaml'), file('route.yaml'), file('deny.yaml')]);
    const after = await loadPolicies([file('gateway.yaml'), out]);
    expect(after.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const agent = { ...AGENT, labels: {} };
    const cases: RequestSpec[] = [
      { connect: 'pastebin.com:443', listener: 'tls-out' },
      { connect: 'example.com:443', listener: 'tls-out' },
    ];
    const verdicts = (resources: Resource[]) =>
      decisionsFor(resources, cases, agent).map((d) => [d.verdict, d.reasonCode]);
    expect(verdicts(after.resources)).toEqual(verdicts(before.resources));
    expect(verdicts(after.resources)[0]).toEqual(['deny', 'deny_policy']);
  });

  it('a file named both to translate and as context is translated once', async () => {
    const r = await run(file('route.yaml'), '--with', withDir);
    expect(r.code).toBe(0);
    expect(kinds(r.out)).toEqual(['EgressL4Route/paste']);
  });

  it('--with alone, with no file to translate, is a usage error', async () => {
    await expect(run('--with', file('gateway.yaml'))).rejects.toThrow(
      'name at least one policy file or directory',
    );
  });
});
