/**
 * The metric catalogue: every metric Portcullis exports, in one place, with closed label sets
 * (never a host name or an IP as a label value).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../engine/types';

export interface Metrics {
  readonly registry: Registry;
  recordDecision(decision: Decision, surface: string): void;
  setSnapshotVersion(version: number): void;
  recordReload(ok: boolean, source: string): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const decisions = new Counter({
    name: 'portcullis_decisions_total',
    help: 'Decisions made, by verdict, reason code, deciding layer, enforcement mode and surface.',
    labelNames: ['verdict', 'reason', 'layer', 'mode', 'surface'] as const,
    registers: [registry],
  });
  const snapshotVersion = new Gauge({
    name: 'portcullis_policy_snapshot_version',
    help: 'Version of the policy snapshot in force (0: none loaded).',
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'portcullis_policy_reloads_total',
    help: 'Policy reload attempts, by source and result.',
    labelNames: ['source', 'result'] as const,
    registers: [registry],
  });
  const reloadErrors = new Counter({
    name: 'portcullis_policy_reload_errors_total',
    help: 'Policy reloads rejected (the last good snapshot stayed in force), by source.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  return {
    registry,
    recordDecision(d, surface) {
      decisions.inc({
        verdict: d.verdict,
        reason: d.reasonCode,
        layer: d.layer,
        mode: d.enforced ? 'enforce' : 'shadow',
        surface,
      });
    },
    setSnapshotVersion: (v) => snapshotVersion.set(v),
    recordReload(ok, source) {
      reloads.inc({ source, result: ok ? 'ok' : 'error' });
      if (!ok) reloadErrors.inc({ source });
    },
  };
}
