import type { Decision } from '../engine/types';
import { describeTarget } from '../engine/describe';

/** The Decision as the stable JSON object of `check --json` and the admin API. */
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
      ? {
          host: dest.host ?? null,
          hostEvidence: dest.hostEvidence ?? null,
          ip: dest.ip?.text ?? null,
          port: dest.port,
          protocol: dest.protocol,
          ...(dest.embeddedIpv4 ? { embeddedIpv4: dest.embeddedIpv4.text } : {}),
        }
      : null,
    agent: d.agent,
    notes: d.notes,
    nearMisses: d.nearMisses,
    trace: d.trace,
    snapshotVersion: d.snapshotVersion,
  };
}

/** Human explanation: verdict line, the deciding layer, policy and rule, then the whole trace. */
export function formatDecision(d: Decision): string[] {
  const target = d.destination
    ? `${describeTarget(d.destination)}/${d.destination.protocol}`
    : '(invalid destination)';
  const verdict = d.verdict === 'allow' ? (d.enforced ? 'ALLOW' : 'ALLOW (shadow)') : 'DENY';
  const lines = [
    `${verdict}  ${target}`,
    `  layer:    ${d.layer}`,
    `  reason:   ${d.reasonCode}: ${d.reason}`,
    `  policy:   ${d.policy ? `${d.policy.kind} ${d.policy.namespace}/${d.policy.name}` : '-'}`,
    `  rule:     ${d.rule ? d.rule.label : '-'}`,
  ];
  if (d.verdict === 'deny') lines.push(`  response: ${d.response.status} ${JSON.stringify(d.response.body)}`);
  if (d.destination?.hostEvidence)
    lines.push(`  name:     ${d.destination.host} (from ${d.destination.hostEvidence})`);
  lines.push(`  agent:    ${d.agent.name} (${d.agent.identifiedBy})`);
  if (d.notes.length > 0) lines.push(`  notes:    ${d.notes.join(', ')}`);
  for (const [i, miss] of d.nearMisses.entries()) {
    lines.push(`  ${i === 0 ? 'nearly:  ' : '         '} ${miss}`);
  }
  lines.push(`  decision: ${d.id} (snapshot ${d.snapshotVersion})`, 'trace:');
  for (const r of d.trace) lines.push(`  ${r.layer.padEnd(9)} ${r.outcome.padEnd(7)} ${r.reason}`);
  return lines;
}
