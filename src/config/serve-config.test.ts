import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PortcullisError } from '../errors/portcullis-error';
import { loadServeConfig } from './serve-config';

const load = (args: string[], env: NodeJS.ProcessEnv = {}) => loadServeConfig(args, env);

const problems = (args: string[], env: NodeJS.ProcessEnv = {}): readonly string[] => {
  try {
    loadServeConfig(args, env);
  } catch (err) {
    if (err instanceof PortcullisError) return err.problems;
    throw err;
  }
  return [];
};

describe('loadServeConfig()', () => {
  it('fills defaults and freezes the result', () => {
    const c = loadServeConfig(['--policy', 'p'], {});
    expect(c).toMatchObject({
      policyPaths: ['p'],
      grpcPort: 9191,
      adminPort: 8443,
      grpcAddress: '127.0.0.1',
      logLevel: 'info',
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.policyPaths)).toBe(true);
  });

  it('takes flags over environment over the config file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-config-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'policy: [from-file]\ngrpcPort: 1000\nadminPort: 1001\nlogLevel: debug\n');
    const env = { PORTCULLIS_GRPC_PORT: '2000', PORTCULLIS_POLICY: 'a,b' };
    const c = loadServeConfig(['--config', file, '--admin-port', '3001'], env);
    expect(c).toMatchObject({ policyPaths: ['a', 'b'], grpcPort: 2000, adminPort: 3001, logLevel: 'debug' });
  });

  it.each([
    ['no policy', [], {}, /no policy/],
    [
      'port not a number',
      ['--policy', 'p', '--grpc-port', '80x'],
      {},
      /--grpc-port: "80x" is not a whole number from 0 to 65535/,
    ],
    ['port out of range', ['--policy', 'p', '--grpc-port', '70000'], {}, /--grpc-port/],
    ['env port out of range', ['--policy', 'p'], { PORTCULLIS_ADMIN_PORT: '-5' }, /PORTCULLIS_ADMIN_PORT/],
    ['log level', ['--policy', 'p', '--log-level', 'loud'], {}, /log level "loud"/],
    ['unknown flag', ['--policy', 'p', '--grpc-prot', '1'], {}, /grpc-prot/],
  ] as const)('reports %s with where it came from', (_name, args, env, pattern) => {
    expect(problems([...args], env).join('\n')).toMatch(pattern);
  });

  it('leaves DNS off unless a DNS port is set, and validates its settings', () => {
    expect(loadServeConfig(['--policy', 'p'], {}).dns).toBeUndefined();
    const c = loadServeConfig(
      [
        '--policy',
        'p',
        '--dns-port',
        '5353',
        '--dns-upstream',
        '10.0.0.2:53',
        '--dns-upstream',
        '[fd00::53]',
      ],
      { PORTCULLIS_DNS_REJECT: 'nxdomain' },
    );
    expect(c.dns).toEqual({
      address: '127.0.0.1',
      port: 5353,
      upstreams: ['10.0.0.2:53', '[fd00::53]'],
      reject: 'nxdomain',
      minTtlSeconds: 60,
      maxTtlSeconds: 86400,
      proxySources: [],
    });
    // The same upstreams serve decisions' lookups.
    expect(c.lookupServers).toEqual(['10.0.0.2:53', '[fd00::53]']);
    const found = problems([
      '--policy',
      'p',
      '--dns-port',
      '53',
      '--dns-upstream',
      'dns.google',
      '--dns-reject',
      'drop',
      '--dns-min-ttl',
      '900',
      '--dns-max-ttl',
      '60',
    ]);
    expect(found.join('\n')).toMatch(/DNS upstream "dns.google"/);
    expect(found.join('\n')).toMatch(/DNS reject "drop"/);
    expect(found.join('\n')).toMatch(/min TTL 900 is above max TTL 60/);
  });

  it('reads trusted DNS proxy sources as addresses or CIDRs, and rejects anything else', () => {
    const c = load(['--policy', 'p', '--dns-port', '53', '--dns-proxy-source', '10.253.0.0/16'], {
      PORTCULLIS_DNS_PROXY_SOURCE: 'ignored-by-the-flag',
    });
    expect(c.dns?.proxySources.map((cidr) => cidr.text)).toEqual(['10.253.0.0/16']);
    const single = load(['--policy', 'p', '--dns-port', '53'], { PORTCULLIS_DNS_PROXY_SOURCE: '10.1.2.3' });
    expect(single.dns?.proxySources.map((cidr) => cidr.text)).toEqual(['10.1.2.3/32']);
    const found = problems(['--policy', 'p', '--dns-port', '53', '--dns-proxy-source', 'envoy']);
    expect(found.join('\n')).toMatch(/DNS proxy source "envoy" is not an IP address or CIDR/);
  });

  it("bounds decisions' lookups", () => {
    expect(load(['--policy', 'p']).lookupTimeoutMs).toBe(150);
    expect(load(['--policy', 'p', '--lookup-timeout-ms', '90']).lookupTimeoutMs).toBe(90);
    expect(problems(['--policy', 'p', '--lookup-timeout-ms', '0']).join('\n')).toMatch(/lookup-timeout-ms/);
  });

  it('reports every problem at once, including unknown config-file keys', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-config-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'grpcProt: 1\n');
    const found = problems(['--config', file, '--grpc-port', 'x']);
    expect(found).toHaveLength(3);
    expect(found.join('\n')).toMatch(/unknown setting "grpcProt"/);
  });

  it('defaults the admin store under the working directory and reads its settings', () => {
    const defaults = loadServeConfig(['--policy', 'p'], {});
    expect(defaults).toMatchObject({
      dataDir: path.resolve('.portcullis-data'),
      eventsQueueSize: 10_000,
      eventsRetentionDays: 7,
    });
    expect(defaults.tokensFile).toBeUndefined();
    const c = loadServeConfig(['--policy', 'p', '--data-dir', '/var/lib/pc', '--events-queue-size', '5'], {
      PORTCULLIS_TOKENS: 'tokens.yaml',
      PORTCULLIS_EVENTS_RETENTION_DAYS: '30',
    });
    expect(c).toMatchObject({
      dataDir: '/var/lib/pc',
      tokensFile: 'tokens.yaml',
      eventsQueueSize: 5,
      eventsRetentionDays: 30,
    });
    expect(problems(['--policy', 'p', '--events-queue-size', '0']).join('\n')).toMatch(
      /--events-queue-size: "0" is not a whole number from 1/,
    );
  });
  it('reads the reload windows and the events row bound: flag over environment over config file', () => {
    expect(loadServeConfig(['--policy', 'p'], {})).toMatchObject({
      reloadSettleMs: 1000,
      reloadEmptyGraceMs: 10_000,
      eventsMaxRows: 1_000_000,
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-config-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'reloadSettleMs: 300\nreloadEmptyGraceMs: 4000\neventsMaxRows: 50\n');
    const c = loadServeConfig(['--config', file, '--policy', 'p', '--reload-settle-ms', '0'], {
      PORTCULLIS_RELOAD_SETTLE_MS: '700',
      PORTCULLIS_RELOAD_EMPTY_GRACE_MS: '60000',
    });
    expect(c).toMatchObject({ reloadSettleMs: 0, reloadEmptyGraceMs: 60_000, eventsMaxRows: 50 });
    expect(loadServeConfig(['--policy', 'p', '--events-max-rows', '0'], {}).eventsMaxRows).toBe(0);
    const found = problems(['--policy', 'p', '--reload-settle-ms=-1', '--events-max-rows', 'many'], {
      PORTCULLIS_RELOAD_EMPTY_GRACE_MS: '1.5',
    }).join('\n');
    expect(found).toMatch(/--reload-settle-ms: "-1" is not a whole number from 0/);
    expect(found).toMatch(/PORTCULLIS_RELOAD_EMPTY_GRACE_MS: "1.5" is not a whole number/);
    expect(found).toMatch(/--events-max-rows: "many" is not a whole number from 0/);
  });
});
