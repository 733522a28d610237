/**
 * The explanation of `check --server`, laid out like a local check's (src/cli/format-decision.ts)
 * but only with what the server's CheckResponse says: no layer, agent or trace, which stay in the
 * server's decision log.
 */
import type { ServerAnswer } from './check-server';
import type { CheckShape } from './envoy-check-request';

export interface AskedServer {
  readonly server: string;
  readonly shape: CheckShape;
  /** The target as given (`host:port` or URL), with its protocol. */
  readonly target: string;
  readonly protocol: string;
}

export function traceHint(answer: ServerAnswer): string {
  const id = answer.decisionId ?? '…';
  return `(trace: see the decision log / GET /api/events?decision_id=${id})`;
}

export function formatServerAnswer(answer: ServerAnswer, asked: AskedServer): string[] {
  const verdict =
    answer.verdict === 'allow' ? (answer.enforced === false ? 'ALLOW (shadow)' : 'ALLOW') : 'DENY';
  const target = asked.target.includes('://') ? asked.target : `${asked.target}/${asked.protocol}`;
  const lines = [
    `${verdict}  ${target}`,
    `  reason:   ${answer.reasonCode ?? '-'}${answer.reason !== undefined ? `: ${answer.reason}` : ''}`,
    `  policy:   ${answer.policy !== undefined ? policyText(answer.policy) : '-'}`,
    `  rule:     ${answer.rule ?? '-'}`,
  ];
  if (answer.response !== undefined) {
    lines.push(`  response: ${answer.response.status} ${JSON.stringify(answer.response.body)}`);
  } else if (answer.verdict === 'deny') {
    lines.push('  response: (connection closed: the network filter sends no HTTP answer)');
  }
  const snapshot = answer.snapshotVersion !== undefined ? ` (snapshot ${answer.snapshotVersion})` : '';
  lines.push(`  decision: ${answer.decisionId ?? '-'}${snapshot}`);
  lines.push(`  server:   ${asked.server} (asked as ${SHAPE_TEXT[asked.shape]})`);
  lines.push(traceHint(answer));
  return lines;
}

/** The keys of `check --json` (src/engine/decision-json.ts), null where the answer does not say. */
export function serverAnswerToJson(answer: ServerAnswer, asked: AskedServer): Record<string, unknown> {
  return {
    id: answer.decisionId ?? null,
    verdict: answer.verdict,
    enforced: answer.enforced ?? null,
    layer: null,
    reasonCode: answer.reasonCode ?? null,
    reason: answer.reason ?? null,
    policy: answer.policy !== undefined ? policyRef(answer.policy) : null,
    rule: answer.rule !== undefined ? { label: answer.rule } : null,
    response: answer.response ?? null,
    destination: null,
    agent: null,
    notes: null,
    trace: null,
    snapshotVersion: answer.snapshotVersion ?? null,
    server: asked.server,
    shape: asked.shape,
    grpcStatus: answer.grpcStatus,
  };
}

const SHAPE_TEXT: Record<CheckShape, string> = {
  connect: 'HTTP filter, CONNECT',
  http: 'HTTP filter, plain HTTP',
  transparent: 'HTTP filter, transparent',
  l4: 'network filter, L4',
};

/** `Kind/name` or `Kind/namespace/name` (dynamic metadata) → the parts. */
function policyRef(text: string): { kind: string; namespace: string; name: string } {
  const parts = text.split('/');
  const kind = parts[0] ?? '';
  if (parts.length >= 3) return { kind, namespace: parts[1]!, name: parts.slice(2).join('/') };
  return { kind, namespace: '', name: parts[1] ?? '' };
}

/** As a local check prints it: `Kind namespace/name`. */
function policyText(text: string): string {
  const ref = policyRef(text);
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}
