/**
 * Every worked example of the mirrord, firewall and namespace models, through `portcullis check` on
 * the manifests in test/fixtures/seeds/: the outcome each source documents, with the deciding
 * reason.
 */
import path from 'node:path';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '../..');
const seed = (n: string) => path.join(root, 'test/fixtures/seeds', n);

interface Outcome {
  readonly verdict: 'allow' | 'deny';
  readonly reasonCode: string;
  readonly layer: string;
  readonly trace: { layer: string; outcome: string; reasonCode?: string; rule?: { label: string } }[];
}

async function check(policy: string, ...args: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['check', '--policy', policy, '--json', ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  if (code === 2) throw new Error(err.join('\n'));
  const decision = JSON.parse(out[0]!) as Outcome;
  expect(code).toBe(decision.verdict === 'allow' ? 0 : 1);
  return decision;
}

describe('mirrord outgoing traffic policy', () => {
  const policy = seed('000');
  const inDefault = ['--namespace', 'default'];

  it.each([
    ['10.0.0.0/16 on 443 is allowed', ['--dest', '10.0.1.5:443'], 'allow', 'mirrord_allowed'],
    ['the 10.0.5.0/24 exception is not', ['--dest', '10.0.5.7:443'], 'deny', 'mirrord_not_allowed'],
    [
      'UDP 53 in the range is allowed',
      ['--dest', '10.0.1.5:53', '--protocol', 'udp'],
      'allow',
      'mirrord_allowed',
    ],
    ['TCP 53 is not listed', ['--dest', '10.0.1.5:53'], 'deny', 'mirrord_not_allowed'],
    ['port 22 in the range is not allowed', ['--dest', '10.0.1.5:22'], 'deny', 'mirrord_not_allowed'],
    [
      'metalbear.co:443 matches the hostname regex',
      ['--dest', 'metalbear.co:443'],
      'allow',
      'mirrord_allowed',
    ],
    ['metalbear.com:443 too', ['--dest', 'metalbear.com:443'], 'allow', 'mirrord_allowed'],
    ['metalbear.io does not', ['--dest', 'metalbear.io:443'], 'deny', 'mirrord_not_allowed'],
    [
      'a subdomain does not (anchored regex)',
      ['--dest', 'www.metalbear.co:443'],
      'deny',
      'mirrord_not_allowed',
    ],
    [
      'a CONNECT by name to port 22 is not allowed either',
      ['--dest', 'metalbear.co:22', '--resolve', 'metalbear.co=10.0.1.5'],
      'deny',
      'mirrord_not_allowed',
    ],
  ] as const)('%s', async (_n, args, verdict, reasonCode) => {
    expect(await check(policy, ...inDefault, ...args)).toMatchObject({
      verdict,
      reasonCode,
      layer: 'mirrord',
    });
  });

  it('does not apply to agents outside its namespace (every layer abstains: no_policy)', async () => {
    expect(await check(policy, '--dest', '10.0.1.5:443')).toMatchObject({
      verdict: 'deny',
      reasonCode: 'no_policy',
    });
  });
});

describe('firewall egress rules', () => {
  const policy = seed('002');
  const firewall = (d: Outcome) => d.trace.find((t) => t.layer === 'firewall');

  it.each([
    ['10.0.0.0/8', '10.1.2.3:443'],
    ['172.16.0.0/12', '172.20.0.9:443'],
    ['192.168.0.0/16', '192.168.1.1:443'],
  ])('the SSRF rule denies %s', async (_range, dest) => {
    const d = await check(policy, '--dest', dest);
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'firewall_rule_denied', layer: 'firewall' });
    expect(firewall(d)?.rule?.label).toBe('deny SSRF destinations');
  });

  it('denies the metadata endpoint (the SSRF guard and the rule both say so)', async () => {
    const d = await check(policy, '--dest', '169.254.169.254:80');
    expect(d.verdict).toBe('deny');
    expect(firewall(d)).toMatchObject({ outcome: 'deny', rule: { label: 'deny SSRF destinations' } });
  });

  it('lets api.openai.com through even when it resolves into a denied range', async () => {
    const d = await check(policy, '--dest', 'api.openai.com:443', '--resolve', 'api.openai.com=10.0.0.5');
    expect(d).toMatchObject({ verdict: 'allow', reasonCode: 'firewall_default_allowed' });
  });

  it('catches metadata.internal by what it resolves to, though it is not listed by name', async () => {
    const d = await check(
      policy,
      '--dest',
      'metadata.internal:80',
      '--resolve',
      'metadata.internal=169.254.169.254',
    );
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'firewall_rule_denied' });
  });

  it('leaves other destinations to the default verdict', async () => {
    expect(
      await check(policy, '--dest', 'example.com:443', '--resolve', 'example.com=93.184.216.34'),
    ).toMatchObject({
      verdict: 'allow',
      reasonCode: 'firewall_default_allowed',
    });
  });

  describe('the allow-list posture, attached to an agent', () => {
    it.each([
      ['a listed host', 'arxiv.org:443', 'allow', 'firewall_rule_allowed'],
      ['a wildcard-listed host', 'en.wikipedia.org:443', 'allow', 'firewall_rule_allowed'],
      ['a carve-out inside the allow list', 'upload.wikipedia.org:443', 'deny', 'firewall_default_denied'],
      ['anything else (default_verdict deny)', 'example.com:443', 'deny', 'firewall_default_denied'],
    ] as const)('%s', async (_n, dest, verdict, reasonCode) => {
      expect(await check(policy, '--agent', 'researcher', '--dest', dest)).toMatchObject({
        verdict,
        reasonCode,
      });
    });
  });
});

describe('global lists and hierarchical namespaces', () => {
  const policy = seed('003');

  it.each([
    ['eu-west reaches the bank', 'payments-eu', 'api.bank.eu:443', 'allow', 'namespace_allowed'],
    [
      'eu-west cannot reach Stripe though its parent can',
      'payments-eu',
      'api.stripe.com:443',
      'deny',
      'namespace_not_allowed',
    ],
    ['prod/payments reaches Stripe', 'payments', 'api.stripe.com:443', 'allow', 'namespace_allowed'],
    ['prod/builds reaches GitHub', 'builder', 'api.github.com:443', 'allow', 'namespace_allowed'],
    ['prod/builds cannot reach Stripe', 'builder', 'api.stripe.com:443', 'deny', 'namespace_not_allowed'],
    ['a blocked domain is blocked for everyone', 'payments', 'evil-c2.example:443', 'deny', 'global_blocked'],
  ] as const)('%s', async (_n, agent, dest, verdict, reasonCode) => {
    expect(await check(policy, '--agent', agent, '--dest', dest)).toMatchObject({ verdict, reasonCode });
  });

  it.each([
    [
      'an unauthenticated caller is refused a require_auth entry',
      [],
      'api.stripe.com:443',
      'deny',
      'auth_required',
    ],
    [
      'an mTLS-identified caller is allowed it',
      ['--principal', 'spiffe://cluster.local/ns/ops/sa/bot'],
      'api.stripe.com:443',
      'allow',
      'global_allowed',
    ],
    ['an entry without require_auth allows anyone', [], 'status.example.com:443', 'allow', 'global_allowed'],
    ['the root default is deny', [], 'random.example:443', 'deny', 'namespace_not_allowed'],
  ] as const)('root namespace: %s', async (_n, args, dest, verdict, reasonCode) => {
    expect(await check(policy, ...args, '--dest', dest)).toMatchObject({ verdict, reasonCode });
  });
});
