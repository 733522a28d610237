/**
 * `portcullis check` and `portcullis validate` on CLRK's manifests (test/fixtures/seeds/001) and
 * the shipped examples, asserting the outcomes CLRK's guide documents and the CLI contract (exit
 * codes, output shapes).
 */
import path from 'node:path';
import { main } from '../../src/cli/main';
import { startZone } from '../support/dns-zone';

const root = path.resolve(__dirname, '../..');
const seed = (file: string) => path.join(root, 'test/fixtures/seeds/001', file);
const examples = path.join(root, 'examples/policies');
const invalid = (file: string) => path.join(root, 'test/fixtures/policies/invalid', file);

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('portcullis check on CLRK: default-deny + allowlist', () => {
  const policy = ['--policy', seed('01-default-deny-allowlist.yaml')];

  it.each([
    ['Anthropic over the TLS listener', ['--dest', 'api.anthropic.com:443', '--listener', 'tls-out'], 0],
    [
      'Anthropic over the TCP listener (route is on tls-out only)',
      ['--dest', 'api.anthropic.com:443', '--listener', 'tcp-out'],
      1,
    ],
    ['Postgres over the TCP listener', ['--dest', 'pg.prod.internal:5432', '--listener', 'tcp-out'], 0],
    ['Postgres on another port', ['--dest', 'pg.prod.internal:5433', '--listener', 'tcp-out'], 1],
    [
      'a paste site ("anything not matched … is dropped")',
      ['--dest', 'pastebin.com:443', '--listener', 'tls-out'],
      1,
    ],
    ['nc to a hostile listener by IP', ['--dest', '198.51.100.66:4444', '--listener', 'tcp-out'], 1],
  ])('%s', async (_name, args, code) => {
    const r = await run('check', ...policy, ...args);
    expect(r.code).toBe(code);
    expect(r.out[0]).toMatch(code === 0 ? /^ALLOW / : /^DENY /);
  });
});

describe('portcullis check on CLRK: wildcards and CIDRs', () => {
  const policy = [
    '--policy',
    seed('01-default-deny-allowlist.yaml'),
    '--policy',
    seed('02-wildcards-and-cidrs.yaml'),
  ];

  it.each([
    ['exact name', 'api.openai.com:443', 0],
    ['single-label wildcard', 'eastus.azure.openai.com:443', 0],
    ['wildcard is one label only', 'eu.eastus.azure.openai.com:443', 1],
    ['wildcard never matches the apex', 'azure.openai.com:443', 1],
    ['inclusive range, first port', 'api.openai.com:8000', 0],
    ['inclusive range, last port', 'api.openai.com:8099', 0],
    ['just past the range', 'api.openai.com:8100', 1],
  ])('%s: %s', async (_name, dest, code) => {
    expect((await run('check', ...policy, '--dest', dest)).code).toBe(code);
  });
});

describe('portcullis check on CLRK: the three canned allowlists', () => {
  const gw = seed('01-default-deny-allowlist.yaml');

  it.each([
    ['03-canned-anthropic-only.yaml', 'api.anthropic.com:443', 0],
    ['03-canned-anthropic-only.yaml', 's3.us-east-1.amazonaws.com:443', 1],
    ['04-canned-customer-data.yaml', 's3.us-east-1.amazonaws.com:443', 0],
    ['04-canned-customer-data.yaml', 'pg.prod.internal:5432', 0],
    ['04-canned-customer-data.yaml', 'pg.prod.internal:443', 1],
    ['05-canned-cluster-internal.yaml', 'db.svc.cluster.local:5432', 0],
    ['05-canned-cluster-internal.yaml', '10.1.2.3:6379', 0],
    ['05-canned-cluster-internal.yaml', 'api.anthropic.com:443', 1],
  ])('%s → %s', async (file, dest, code) => {
    expect((await run('check', '--policy', gw, '--policy', seed(file), '--dest', dest)).code).toBe(code);
  });
});

describe('portcullis check --json', () => {
  it('prints the decision as one JSON object with the documented fields', async () => {
    const r = await run(
      'check',
      '--policy',
      examples,
      '--dest',
      'pastebin.com:443',
      '--method',
      'CONNECT',
      '--json',
    );
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(1);
    const d = JSON.parse(r.out[0]!);
    expect(d).toMatchObject({
      verdict: 'deny',
      enforced: true,
      reasonCode: 'deny_policy',
      policy: { kind: 'EgressDenyPolicy', name: 'block-paste-sites' },
      rule: { index: 'rules[0].matches[0]' },
      response: { status: 403, headers: { 'x-portcullis-reason': 'paste-site-blocked' } },
      destination: { host: 'pastebin.com', ip: null, port: 443, protocol: 'tcp' },
    });
    expect(d.response.body).toContain('paste sites are blocked');
    expect(typeof d.reason).toBe('string');
  });

  it('selects routes by agent labels', async () => {
    const args = ['check', '--policy', examples, '--dest', 'api.payments.svc.cluster.local:80', '--json'];
    expect((await run(...args)).code).toBe(1);
    const r = await run(...args, '--agent', 'builder', '--label', 'team=platform');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!)).toMatchObject({ verdict: 'allow', agent: { name: 'builder' } });
  });

  it('explains a denial in text, naming layer, policy and reason', async () => {
    const r = await run('check', '--policy', examples, '--dest', 'example.org:443');
    expect(r.code).toBe(1);
    const text = r.out.join('\n');
    expect(text).toContain('layer:    gateway');
    expect(text).toContain('gateway_default_deny');
    expect(text).toContain('EgressGateway default/agents');
  });
});

describe('usage and policy errors', () => {
  it.each([
    ['no --dest', ['check', '--policy', examples]],
    ['no --policy', ['check', '--dest', 'a.example:443']],
    ['unknown flag', ['check', '--policy', examples, '--dest', 'a.example:443', '--bogus']],
    ['bad label', ['check', '--policy', examples, '--dest', 'a.example:443', '--label', 'novalue']],
    ['bad protocol', ['check', '--policy', examples, '--dest', 'a.example:443', '--protocol', 'sctp']],
    ['validate with no path', ['validate']],
    ['unknown command', ['frobnicate']],
  ])('%s exits 2 with a message', async (_name, argv) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).not.toBe('');
  });

  it('check exits 2 when the policy is invalid', async () => {
    const r = await run('check', '--policy', invalid('bad-cidr.yaml'), '--dest', 'a.example:443');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/bad-cidr\.yaml:\d+: /);
  });
});

describe('portcullis validate', () => {
  it.each([
    ['the examples', examples],
    ['every CLRK manifest', path.join(root, 'test/fixtures/seeds/001')],
  ])('exits 0 on %s', async (_name, dir) => {
    const r = await run('validate', dir);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^ok: \d+ resource\(s\) valid$/);
  });

  it('reports a clash of names between two sets', async () => {
    const r = await run('validate', examples, path.join(root, 'test/fixtures/seeds/001'));
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/app-postgres is defined twice/);
  });

  it.each(['bad-cidr.yaml', 'port-zero.yaml', 'wildcard-in-middle.yaml'])(
    'exits 1 on %s with file:line: path: message',
    async (file) => {
      const r = await run('validate', invalid(file));
      expect(r.code).toBe(1);
      expect(r.err[0]).toMatch(new RegExp(`^\\S+${file.replace('.', '\\.')}:\\d+: spec\\.\\S+: .+`));
    },
  );
});

describe('portcullis check: checked is dialled on the shipped examples', () => {
  const policy = ['--policy', examples, '--listener', 'tls-out'];
  // Where api.anthropic.com really is, as a lookup through Portcullis's resolver would say.
  const answer = ['--resolve', 'api.anthropic.com=160.79.104.10'];

  it('denies an allowed SNI sent to another address (name_unverified)', async () => {
    const r = await run('check', ...policy, '--dest', '6.6.6.6:443', '--sni', 'api.anthropic.com', ...answer);
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toMatch(/name_unverified/);
    expect(r.out.join('\n')).toMatch(/api\.anthropic\.com \(SNI\) is not proven for 6\.6\.6\.6/);
  });

  it('looks the name up through --dns-server when no fixed answer is given', async () => {
    const zone = await startZone({ 'api.anthropic.com': '160.79.104.10' });
    try {
      const dns = ['--dns-server', zone.address];
      expect(
        (await run('check', ...policy, '--dest', '160.79.104.10:443', '--sni', 'api.anthropic.com', ...dns))
          .code,
      ).toBe(0);
      expect(
        (await run('check', ...policy, '--dest', '6.6.6.6:443', '--sni', 'api.anthropic.com', ...dns)).code,
      ).toBe(1);
    } finally {
      await zone.close();
    }
  });

  it('allows the same SNI to the address the name resolves to', async () => {
    const r = await run(
      'check',
      ...policy,
      '--dest',
      '160.79.104.10:443',
      '--sni',
      'api.anthropic.com',
      ...answer,
    );
    expect(r.code).toBe(0);
  });
});
