/**
 * The canonical log line: one per decision, with field names fixed here so dashboards and queries
 * can rely on them. No credential is ever a field; the destination is data, not a label.
 */
import type { Decision, EgressRequest } from '../engine/types';

export function decisionLogFields(
  d: Decision,
  request: EgressRequest | undefined,
  surface: string,
): Record<string, unknown> {
  return {
    decision_id: d.id,
    verdict: d.verdict,
    enforced: d.enforced,
    reason_code: d.reasonCode,
    reason: d.reason,
    layer: d.layer,
    policy: d.policy ? `${d.policy.kind}/${d.policy.namespace}/${d.policy.name}` : undefined,
    rule: d.rule?.label,
    surface,
    agent: d.agent.name,
    agent_namespace: d.agent.namespace,
    agent_identified_by: d.agent.identifiedBy,
    dst_host: d.destination?.host,
    dst_host_evidence: d.destination?.hostEvidence,
    dst_ip: d.destination?.ip?.text,
    dst_port: d.destination?.port,
    protocol: d.destination?.protocol,
    src_ip: request?.source.address,
    src_port: request?.source.port,
    request_id: request?.requestId,
    notes: d.notes.length > 0 ? d.notes : undefined,
    snapshot_version: d.snapshotVersion,
  };
}
