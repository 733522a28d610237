/** A Decision as the lines `portcullis check` prints; its JSON form is src/engine/decision-json.ts. */
import type { Decision } from '../engine/types';
import { describeTarget } from '../engine/describe';

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
