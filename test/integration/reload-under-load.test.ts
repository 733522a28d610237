/**
 * Hot reload under load: a client keeps calling Check while the policy file changes validly and
 * invalidly many times. Every call must get a normal answer (no gRPC error), and every answer must
 * be consistent with exactly one snapshot: all answers carrying one snapshot version agree.
 */
import { testConfig } from '../support/service';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../../src/cli/serve';
import { createLogger } from '../../src/telemetry/logger';
import type { ReloadResult } from '../../src/sources/snapshot-store';
import { connectAsEnvoy, connectRequest } from '../support/envoy-client';

const GATEWAY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec: {}
`;
const ALLOWS = `${GATEWAY}---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: probe }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationHostnames: [probe.example.com], ports: [{ port: 443 }] }] }]
`;
const DENIES = GATEWAY;
const INVALID = `${GATEWAY}---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: probe }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationCIDRs: [10.0.0.0/33] }] }]
`;

const CHANGES = 24;
const CONCURRENCY = 8;
const MAX_CALLS = 50_000;
const DEADLINE_MS = 25_000;

let dir: string;
let file: string;
let service: RunningService;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-reload-'));
  file = path.join(dir, 'policy.yaml');
  writeFileSync(file, ALLOWS);
  service = await startService(
    testConfig([dir], {
      reloadIntervalMs: 50,
      // Each change is one whole write; a short settle window keeps 24 changes quick.
      reloadSettleMs: 50,
    }),
    createLogger('silent'),
  );
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the next reload result, or rejects after `ms`. */
function nextReload(ms: number): Promise<ReloadResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no reload within ${ms} ms`));
    }, ms);
    const off = service.store.onReload((r) => {
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

it('answers every call from one whole snapshot while the policy changes', async () => {
  const envoy = connectAsEnvoy(service.grpcPort);
  const verdictsByVersion = new Map<number, Set<number>>();
  const failures: unknown[] = [];
  let calls = 0;
  let writing = true;
  const started = Date.now();

  const loop = async (): Promise<void> => {
    while ((writing || calls < 200) && calls < MAX_CALLS && Date.now() - started < DEADLINE_MS) {
      calls++;
      try {
        const res = await envoy.check(connectRequest('probe.example.com:443'));
        const code = res.status?.code ?? 0;
        const version = Number(res.dynamic_metadata?.fields?.['snapshot_version']?.['numberValue']);
        if (code !== 0 && code !== 7) failures.push(`status ${code}`);
        if (!verdictsByVersion.has(version)) verdictsByVersion.set(version, new Set());
        verdictsByVersion.get(version)!.add(code);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, loop);

  const results: ReloadResult[] = [];
  try {
    for (let i = 0; i < CHANGES; i++) {
      const content = [ALLOWS, INVALID, DENIES, INVALID][i % 4]!;
      const reloaded = nextReload(5000);
      writeFileSync(file, content);
      results.push(await reloaded);
    }
  } finally {
    writing = false;
    await Promise.all(loops);
    envoy.close();
  }

  expect(failures).toEqual([]);
  expect(calls).toBeGreaterThan(200);
  // Each snapshot version answered with one verdict only: no request saw a half-applied policy.
  for (const [version, codes] of verdictsByVersion) expect([version, codes.size]).toEqual([version, 1]);
  expect(verdictsByVersion.size).toBeGreaterThan(2);
  // The invalid changes were rejected and counted; the valid ones advanced the version.
  expect(results.filter((r) => !r.ok).length).toBeGreaterThanOrEqual(CHANGES / 2 - 1);
  const status = service.store.status();
  expect(status.reloadErrors).toBeGreaterThanOrEqual(CHANGES / 2 - 1);
  expect(status.lastError?.issues[0]?.code).toBe('POLICY_INVALID_CIDR');
  const metrics = await service.metrics.registry.getSingleMetricAsString(
    'portcullis_policy_reload_errors_total',
  );
  expect(metrics).toMatch(/portcullis_policy_reload_errors_total\{source="file"\} [1-9]/);
}, 40_000);
