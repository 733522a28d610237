/**
 * A decision as an events-log record: the namespace model's event names (`proxy_domain_denied` for
 * a deny) with the firewall model's fields (`verdict`, `surface: egress`, `egress_host`,
 * `egress_url`, `policy_name`, `rule_label`, `reason`, agent, `request_id`).
 *
 * `verdict` is `audit` when the request went through but was recorded as something to look at: a
 * shadow-mode deny, or a firewall rule whose verdict is audit.
 */
import type { Decision, EgressRequest } from '../engine/types';
import type { DecisionMessage } from '../telemetry/decision-channel';
import type { EventRecord } from './event-store';
import { extend } from '../policy/extend';

export const DECISION_EVENT_TYPES = {
  deny: 'proxy_domain_denied',
  audit: 'proxy_domain_audited',
  allow: 'proxy_domain_allowed',
} as const;

export type EventVerdict = keyof typeof DECISION_EVENT_TYPES;

export function eventVerdict(d: Decision): EventVerdict {
  if (d.verdict === 'deny') return 'deny';
  return !d.enforced || d.reasonCode === 'firewall_audit' ? 'audit' : 'allow';
}

export function decisionEvent(m: DecisionMessage, timeMs: number): EventRecord {
  const d = m.decision;
  const verdict = eventVerdict(d);
  const host = d.destination?.host ?? d.destination?.ip?.text ?? m.request?.destination.authority;
  const url = m.request === undefined ? undefined : egressUrl(m.request);
  const data: Record<string, unknown> = {
    decision_id: d.id,
    verdict,
    enforced: d.enforced,
    surface: 'egress',
    via: m.surface,
    egress_host: host ?? null,
    egress_url: url ?? null,
    egress_ip: d.destination?.ip?.text ?? null,
    egress_port: d.destination?.port ?? null,
    protocol: d.destination?.protocol ?? null,
    layer: d.layer,
    policy_kind: d.policy?.kind ?? null,
    policy_name: d.policy?.name ?? null,
    rule_label: d.rule?.label ?? null,
    reason_code: d.reasonCode,
    reason: d.reason,
    agent: d.agent.name,
    agent_namespace: d.agent.namespace,
    agent_identified_by: d.agent.identifiedBy,
    request_id: m.request?.requestId ?? null,
    snapshot_version: d.snapshotVersion,
    duration_ms: Math.round(m.durationMs * 1000) / 1000,
  };
  const event = {
    type: DECISION_EVENT_TYPES[verdict],
    timeMs,
    verdict,
    agent: d.agent.name,
    decisionId: d.id,
  };
  return extend(event, host === undefined ? { data } : { host, data });
}

/**
 * The URL of a plain HTTP request (not CONNECT, whose target is only host:port). The query string is
 * left out: it is where credentials and personal data most often travel.
 */
function egressUrl(request: EgressRequest): string | undefined {
  const l7 = request.l7;
  const url = request.destination.url;
  if (url !== undefined) return url.split('?')[0];
  if (l7 === undefined || l7.method === 'CONNECT') return undefined;
  const authority = request.destination.authority;
  if (authority === undefined) return undefined;
  const scheme = l7.scheme === '' ? 'http' : l7.scheme;
  return `${scheme}://${authority}${l7.path.split('?')[0]}`;
}
