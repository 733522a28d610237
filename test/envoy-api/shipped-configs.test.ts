/**
 * Every Envoy config this repository ships, checked against Envoy's own API protos
 * (test/support/envoy-api.ts) in place of `envoy --mode validate`, which needs an Envoy binary:
 * each envoy/*.yaml, every file the compose stack mounts into its Envoy container, and the config
 * the end-to-end suite derives from envoy/forward-proxy.yaml.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { checkEnvoyConfig } from '../support/envoy-api';
import { NEWER_ENUM_VALUES, NEWER_FIELDS, NEWER_TYPES } from '../support/envoy-api-newer';
import { newerEnumValueKey, newerFieldKey } from '../support/envoy-api-newer-types';
import { envoyConfigForTest } from '../e2e/envoy-config-for-test';

const ROOT = resolve(__dirname, '..', '..');
const ENVOY_DIR = join(ROOT, 'envoy');
const COMPOSE_FILE = join(ROOT, 'compose', 'docker-compose.yml');

const shippedYaml = readdirSync(ENVOY_DIR)
  .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
  .sort();

interface ComposeService {
  image?: string;
  volumes?: (string | { type?: string; source?: string; target?: string })[];
}

/** Host files the compose stack mounts into a container running an envoyproxy/envoy image. */
function composeEnvoyMounts(): { service: string; source: string; target: string }[] {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services?: Record<string, ComposeService> };
  const mounts: { service: string; source: string; target: string }[] = [];
  for (const [service, spec] of Object.entries(compose.services ?? {})) {
    if (!(spec.image ?? '').startsWith('envoyproxy/envoy')) continue;
    for (const volume of spec.volumes ?? []) {
      const [source, target] =
        typeof volume === 'string' ? volume.split(':') : [volume.source ?? '', volume.target ?? ''];
      // Named volumes have no path; only files from the repository are configs we ship.
      if (source === undefined || target === undefined || !/^[./]/.test(source)) continue;
      mounts.push({ service, source: resolve(dirname(COMPOSE_FILE), source), target });
    }
  }
  return mounts;
}

const composeMounts = composeEnvoyMounts();

/** Every shipped document, for the usage check of the newer-than-snapshot list. */
function allShippedDocuments(): unknown[] {
  return [
    ...shippedYaml.map((name) => parse(readFileSync(join(ENVOY_DIR, name), 'utf8')) as unknown),
    ...composeMounts.map(({ source }) => parse(readFileSync(source, 'utf8')) as unknown),
    JSON.parse(envoyConfigForTest(9191)) as unknown,
  ];
}

describe('shipped Envoy configs pass a check against Envoy API protos', () => {
  test('the envoy directory has configs to check', () => {
    expect(shippedYaml).toEqual(expect.arrayContaining(['forward-proxy.yaml', 'transparent.yaml']));
  });

  test.each(shippedYaml)('envoy/%s', (name) => {
    const doc: unknown = parse(readFileSync(join(ENVOY_DIR, name), 'utf8'));
    expect(checkEnvoyConfig(doc)).toEqual([]);
  });

  test('the compose stack mounts an Envoy config and the command loads one of them', () => {
    expect(composeMounts.length).toBeGreaterThan(0);
    const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as {
      services: Record<string, { image?: string; command?: string[] }>;
    };
    const envoy = Object.values(compose.services).find((s) => (s.image ?? '').startsWith('envoyproxy/envoy'));
    const command = envoy?.command ?? [];
    const configPath = command[command.indexOf('-c') + 1];
    expect(composeMounts.map((m) => m.target)).toContain(configPath);
  });

  test.each(composeMounts.map((m) => [`${m.service}: ${m.target}`, m.source] as const))(
    'compose mount %s',
    (_label, source) => {
      expect(['.yaml', '.yml', '.json']).toContain(extname(source));
      const doc: unknown = parse(readFileSync(source, 'utf8'));
      expect(checkEnvoyConfig(doc)).toEqual([]);
    },
  );

  test('the end-to-end suite config (envoyConfigForTest)', () => {
    const doc: unknown = JSON.parse(envoyConfigForTest(9191));
    expect(checkEnvoyConfig(doc)).toEqual([]);
  });
});

describe('the newer-than-snapshot list (test/support/envoy-api-newer.ts)', () => {
  test('every entry is used by a shipped config', () => {
    const used = new Set<string>();
    for (const doc of allShippedDocuments())
      checkEnvoyConfig(doc, undefined, { onNewer: (key) => used.add(key) });
    const listed = [
      ...NEWER_FIELDS.map(newerFieldKey),
      ...NEWER_TYPES.map((entry) => entry.typeUrl),
      ...NEWER_ENUM_VALUES.map(newerEnumValueKey),
    ];
    expect(listed.filter((key) => !used.has(key))).toEqual([]);
  });

  test('every entry names an Envoy release and where that was read', () => {
    for (const entry of [...NEWER_FIELDS, ...NEWER_TYPES, ...NEWER_ENUM_VALUES]) {
      expect(entry.since).toMatch(/^1\.\d+\.\d+$/);
      expect(entry.source).not.toBe('');
    }
  });
});
