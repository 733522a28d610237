/**
 * The Decision as one stable JSON object: what `portcullis check --json` prints and what the admin
 * API's dry-run Test answers with. Pure, beside the Decision type, so every adapter shows the same
 * keys (src/cli/format-server-answer.ts lays a remote answer out with them too).
 */
import { extend } from '../policy/extend';
import type { Decision } from './types';

export function decisionToJson(d: Decision): Record<string, unknown> {
  const dest = d.destination;
  return {
    id: d.id,
    verdict: d.verdict,
    enforced: d.enforced,
    layer: d.layer,
    reasonCode: d.reasonCode,
    reason: d.reason,
    policy: d.policy ?? null,
    rule: d.rule ?? null,
    response: d.response,
    destination: dest
      ? extend(
          {
            host: dest.host ?? null,
            hostEvidence: dest.hostEvidence ?? null,
            ip: dest.ip?.text ?? null,
            port: dest.port,
            protocol: dest.protocol,
          },
          dest.embeddedIpv4 ? { embeddedIpv4: dest.embeddedIpv4.text } : {},
        )
      : null,
    agent: d.agent,
    notes: d.notes,
    nearMisses: d.nearMisses,
    trace: d.trace,
    snapshotVersion: d.snapshotVersion,
  };
}
