import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadServeConfig, ConfigError } from './serve-config';

const problems = (args: string[], env: NodeJS.ProcessEnv = {}): readonly string[] => {
  try {
    loadServeConfig(args, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
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
    });
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
});
