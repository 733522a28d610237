import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PortcullisError } from '../errors/portcullis-error';
import { loadServeConfig, SERVE_OPTIONS, type ServeConfig } from './serve-config';
import { SERVE_SETTINGS, SETTING_GROUPS, settingsInOrder, type ServeSettingName } from './serve-settings';

/** A value for each setting other than its default; a new row does not compile until it has one. */
const SAMPLES: Record<ServeSettingName, { text: string; value: unknown }> = {
  policy: { text: 'a,b', value: ['a', 'b'] },
  'reload-interval-ms': { text: '2000', value: 2000 },
  'reload-settle-ms': { text: '0', value: 0 },
  'reload-empty-grace-ms': { text: '500', value: 500 },
  'grpc-address': { text: '::1', value: '::1' },
  'grpc-port': { text: '19191', value: 19191 },
  'admin-address': { text: '0.0.0.0', value: '0.0.0.0' },
  'admin-port': { text: 'off', value: 'off' },
  'dns-port': { text: '5353', value: 5353 },
  'dns-address': { text: '10.0.0.1', value: '10.0.0.1' },
  'dns-upstream': { text: '10.0.0.2:53,[fd00::53]', value: ['10.0.0.2:53', '[fd00::53]'] },
  'dns-reject': { text: 'nxdomain', value: 'nxdomain' },
  'dns-min-ttl': { text: '5', value: 5 },
  'dns-max-ttl': { text: '600', value: 600 },
  'dns-proxy-source': { text: '10.253.0.0/16', value: ['10.253.0.0/16'] },
  'lookup-timeout-ms': { text: '90', value: 90 },
  'data-dir': { text: '/var/lib/portcullis', value: '/var/lib/portcullis' },
  tokens: { text: 'tokens.yaml', value: 'tokens.yaml' },
  'events-queue-size': { text: '5', value: 5 },
  'events-retention-days': { text: '30', value: 30 },
  'events-max-rows': { text: '0', value: 0 },
  'log-level': { text: 'debug', value: 'debug' },
  'shutdown-grace-ms': { text: '1', value: 1 },
};

const NAMES = Object.keys(SERVE_SETTINGS) as ServeSettingName[];

/** What every load needs besides the setting under test: a policy, and the resolver on so its fields exist. */
function base(name?: ServeSettingName): string[] {
  return [
    ...(name === 'policy' ? [] : ['--policy', 'p']),
    ...(name === 'dns-port' ? [] : ['--dns-port', '53']),
  ];
}
const BASE = base();

/** The value a setting's row put in the configuration (CIDRs as text, for comparing). */
function fieldOf(config: ServeConfig, name: ServeSettingName): unknown {
  const field = SERVE_SETTINGS[name].field;
  const value = field.startsWith('dns.')
    ? (config.dns as unknown as Record<string, unknown> | undefined)?.[field.slice(4)]
    : (config as unknown as Record<string, unknown>)[field];
  return Array.isArray(value)
    ? value.map((v: unknown) => (typeof v === 'object' && v !== null && 'text' in v ? v.text : v))
    : value;
}

function problems(args: string[], env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    loadServeConfig(args, env);
  } catch (err) {
    if (err instanceof PortcullisError) return err.problems;
    throw err;
  }
  return [];
}

function configFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'portcullis-settings-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('SERVE_SETTINGS', () => {
  it.each(NAMES)('%s: its environment variable and config key follow the flag', (name) => {
    const setting = SERVE_SETTINGS[name];
    expect(setting.env).toBe(`PORTCULLIS_${name.toUpperCase().replace(/-/g, '_')}`);
    expect(setting.key).toBe(name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()));
    expect(setting.help).toMatch(/^[a-z'"A-Z].*[^.]$/);
    expect(Object.keys(SETTING_GROUPS)).toContain(setting.group);
  });

  it.each(NAMES.filter((n) => 'default' in SERVE_SETTINGS[n]))(
    '%s: its default passes its own parser',
    (name) => {
      const setting = SERVE_SETTINGS[name];
      expect(setting.parse.parse((setting as { default: string }).default)).toMatchObject({ ok: true });
    },
  );

  it('fills each field from one row only', () => {
    const fields = NAMES.map((n) => SERVE_SETTINGS[n].field);
    expect(new Set(fields).size).toBe(fields.length);
  });

  it('gives parseArgs one option per row, repeatable where the row is, and --config', () => {
    expect(Object.keys(SERVE_OPTIONS).sort()).toEqual(['config', ...NAMES].sort());
    for (const name of NAMES) {
      expect(SERVE_OPTIONS[name]).toEqual({ type: 'string', multiple: 'repeatable' in SERVE_SETTINGS[name] });
    }
  });

  it('lists every row once in help order, grouped', () => {
    const ordered = settingsInOrder();
    expect(ordered.map(([n]) => n).sort()).toEqual([...NAMES].sort());
    const groups = ordered.map(([, s]) => s.group);
    expect(groups.filter((g, i) => g !== groups[i - 1])).toEqual(Object.keys(SETTING_GROUPS));
  });
});

describe('each setting, from each source', () => {
  const defaults = loadServeConfig(BASE, {});

  it.each(NAMES)('%s: flag, environment variable and config key give its field the same value', (name) => {
    const setting = SERVE_SETTINGS[name];
    const sample = SAMPLES[name];
    // A repeatable flag is repeated; the environment and the file take the comma-separated text.
    const items = 'repeatable' in setting ? sample.text.split(',') : [sample.text];
    const fromFlag = loadServeConfig([...base(name), ...items.flatMap((item) => [`--${name}`, item])], {});
    const fromEnv = loadServeConfig(base(name), { [setting.env]: sample.text });
    const file = configFile(`${setting.key}: ${JSON.stringify(sample.text)}\n`);
    const fromFile = loadServeConfig(['--config', file, ...base(name)], {});
    expect(fieldOf(fromFlag, name)).toEqual(sample.value);
    expect(fieldOf(fromEnv, name)).toEqual(sample.value);
    expect(fieldOf(fromFile, name)).toEqual(sample.value);
    expect(fieldOf(defaults, name)).not.toEqual(sample.value);
  });

  it.each(NAMES.filter((n) => SERVE_SETTINGS[n].parse.accepts.match(/^\d/)))(
    '%s: a bad value is reported with the flag, variable or file key it came from',
    (name) => {
      const setting = SERVE_SETTINGS[name];
      const fromFlag = problems([...base(name), `--${name}`, 'abc']);
      expect(fromFlag).toHaveLength(1);
      expect(fromFlag[0]).toMatch(new RegExp(`^--${name}: "abc" is not a whole number from \\d+ to \\d+`));
      const why = fromFlag[0]!.slice(`--${name}: `.length);
      expect(problems(base(name), { [setting.env]: 'abc' })).toEqual([`${setting.env}: ${why}`]);
      const file = configFile(`${setting.key}: abc\n`);
      expect(problems(['--config', file, ...base(name)])).toEqual([`${file}: ${setting.key}: ${why}`]);
    },
  );
});

describe('--admin-port', () => {
  it('turns the admin API off with off, from any source, and still reads the old -1 as off', () => {
    expect(loadServeConfig(['--policy', 'p', '--admin-port', 'off'], {}).adminPort).toBe('off');
    expect(loadServeConfig(['--policy', 'p', '--admin-port=-1'], {}).adminPort).toBe('off');
    expect(loadServeConfig(['--policy', 'p'], { PORTCULLIS_ADMIN_PORT: 'off' }).adminPort).toBe('off');
    expect(loadServeConfig(['--policy', 'p'], { PORTCULLIS_ADMIN_PORT: '-1' }).adminPort).toBe('off');
    const file = configFile('adminPort: -1\n');
    expect(loadServeConfig(['--config', file, '--policy', 'p'], {}).adminPort).toBe('off');
    expect(loadServeConfig(['--policy', 'p', '--admin-port', '0'], {}).adminPort).toBe(0);
  });

  it('refuses anything else, naming where it came from', () => {
    expect(problems(['--policy', 'p'], { PORTCULLIS_ADMIN_PORT: 'of' })).toEqual([
      'PORTCULLIS_ADMIN_PORT: "of" is not a whole number from 0 to 65535, nor off',
    ]);
    expect(problems(['--policy', 'p', '--admin-port=-2'])).toEqual([
      '--admin-port: "-2" is not a whole number from 0 to 65535, nor off',
    ]);
  });
});

describe('problems across sources', () => {
  it('names the variable of a bad environment value', () => {
    expect(problems(['--policy', 'p'], { PORTCULLIS_GRPC_PORT: 'abc' })).toEqual([
      'PORTCULLIS_GRPC_PORT: "abc" is not a whole number from 0 to 65535',
    ]);
    expect(problems(['--policy', 'p'], { PORTCULLIS_LOG_LEVEL: 'loud' })).toEqual([
      'PORTCULLIS_LOG_LEVEL: log level "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('says how to give a required setting that is missing', () => {
    expect(problems([])).toEqual([
      'no policy: pass --policy PATH, set PORTCULLIS_POLICY, or give policy in the --config file',
    ]);
    expect(problems([], { PORTCULLIS_POLICY: ' , ' })).toHaveLength(1);
  });

  it('refuses a list or a mapping where one value belongs, and suggests a misspelt config key', () => {
    const file = configFile('grpcPort: [1, 2]\nlogLevel: { a: 1 }\ngrpcPrt: 3\npolicy: [p]\n');
    const found = problems(['--config', file]);
    expect(found).toContain(`${file}: grpcPort: a list where one value belongs`);
    expect(found).toContain(`${file}: logLevel: a mapping where one value belongs`);
    expect(found.join('\n')).toMatch(/unknown setting "grpcPrt" \(did you mean `grpcPort`\?\)/);
  });

  it('validates the resolver settings even while the resolver is off, and keeps it off', () => {
    expect(problems(['--policy', 'p', '--dns-reject', 'drop'])).toEqual([
      '--dns-reject: DNS reject "drop" is not one of refused, nxdomain',
    ]);
    const c = loadServeConfig(
      ['--policy', 'p', '--dns-reject', 'nxdomain', '--dns-upstream', '10.0.0.2'],
      {},
    );
    expect(c.dns).toBeUndefined();
    expect(c.lookupServers).toEqual(['10.0.0.2']);
  });

  it('names both sources when the TTL bounds contradict each other', () => {
    expect(problems(['--policy', 'p', '--dns-min-ttl', '900'], { PORTCULLIS_DNS_MAX_TTL: '60' })).toEqual([
      '--dns-min-ttl: DNS min TTL 900 is above max TTL 60 (PORTCULLIS_DNS_MAX_TTL)',
    ]);
  });
});
