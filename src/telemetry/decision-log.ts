/**
 * The field catalogue of a decision record: every field the canonical log line and the
 * OpenTelemetry records carry, named once here so dashboards and queries can rely on them. Log keys
 * match the Envoy dynamic metadata keys (`decision_id`, `reason_code`, …); attributes follow the
 * OpenTelemetry semantic conventions where one exists (`server.*`, `client.*`,
 * `network.transport`) and the `egress.*` namespace otherwise, as CLRK's `egress.dial.denied`
 * records do.
 *
 * Fields are picked one by one from the decision, the request's addresses and the call: nothing
 * else of the request is read, so a credential (`proxyAuthorization`) can never become a field.
 */
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type { Decision } from '../engine/types';
import type { DecisionMessage } from './decision-channel';
import type { Logger } from './logger';
import { subscribeDecisions } from './decision-channel';

export type FieldValue = string | number | boolean | readonly string[] | undefined;

export interface DecisionField {
  /** Key in the canonical JSON log line; absent for record-only fields. */
  readonly log?: string;
  /** OpenTelemetry attribute on the span and log record; absent for log-only fields. */
  readonly attribute?: string;
  readonly help: string;
  readonly value: (m: DecisionMessage) => FieldValue;
}

/** The three record names. Denials are their own record, so nobody queries for a missing allow. */
export const RECORD_NAMES = {
  denied: 'egress.dial.denied',
  allowed: 'egress.dial.allowed',
  audited: 'egress.dial.audited',
} as const;
export type RecordKind = keyof typeof RECORD_NAMES;

/** Audited: a shadow resource would have denied, or a firewall `audit` rule matched. */
export function recordKind(d: Decision): RecordKind {
  if (d.verdict === 'deny') return 'denied';
  if (!d.enforced || d.reasonCode === 'firewall_audit') return 'audited';
  return 'allowed';
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;

function traceId(m: DecisionMessage): string | undefined {
  const header = m.traceContext?.traceparent;
  if (header === undefined) return undefined;
  const id = TRACEPARENT.exec(header)?.[1];
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}

const policyName = ({ decision: { policy: p } }: DecisionMessage): string | undefined =>
  p ? `${p.kind}/${p.namespace}/${p.name}` : undefined;

export const DECISION_FIELDS: readonly DecisionField[] = [
  {
    log: 'event',
    help: 'Record name: egress.dial.denied, egress.dial.allowed or egress.dial.audited (the span and log record name).',
    value: (m) => RECORD_NAMES[recordKind(m.decision)],
  },
  {
    log: 'decision_id',
    attribute: 'egress.decision_id',
    help: 'Decision id; Envoy has it too (x-portcullis-decision-id, dynamic metadata decision_id).',
    value: (m) => m.decision.id,
  },
  {
    log: 'verdict',
    attribute: 'egress.verdict',
    help: 'allow or deny: what Envoy was told.',
    value: (m) => m.decision.verdict,
  },
  {
    log: 'enforced',
    help: 'False when a shadow resource wanted to deny and the request was let through.',
    value: (m) => m.decision.enforced,
  },
  {
    attribute: 'egress.shadow',
    help: 'True when a shadow resource wanted to deny and the request was let through (not enforced).',
    value: (m) => !m.decision.enforced,
  },
  {
    log: 'reason_code',
    attribute: 'egress.reason_code',
    help: 'Reason code from the closed list (REASON_CODES), for every verdict.',
    value: (m) => m.decision.reasonCode,
  },
  {
    attribute: 'egress.deny_reason',
    help: 'The reason code of a denial or a shadow would-deny; absent on allowed records. Query this to find denials.',
    value: (m) => (m.decision.verdict === 'deny' || !m.decision.enforced ? m.decision.reasonCode : undefined),
  },
  {
    log: 'reason',
    help: 'Human reason naming the destination, resource and rule (the log record body in OpenTelemetry).',
    value: (m) => m.decision.reason,
  },
  {
    log: 'layer',
    attribute: 'egress.layer',
    help: 'Deciding layer: sanity, ssrf, global, gateway, mirrord, firewall, namespace.',
    value: (m) => m.decision.layer,
  },
  {
    log: 'policy',
    attribute: 'egress.policy',
    help: 'Deciding resource as Kind/namespace/name.',
    value: policyName,
  },
  {
    log: 'rule',
    attribute: 'egress.rule',
    help: "Deciding rule: the firewall rule's label, else its index path in the resource.",
    value: (m) => m.decision.rule?.label,
  },
  {
    log: 'surface',
    attribute: 'egress.surface',
    help: 'Where the request entered: check-http, check-l4, ext_proc, dns, dry-run.',
    value: (m) => m.surface,
  },
  {
    log: 'agent',
    attribute: 'agent.name',
    help: 'Agent name (anonymous when nothing identified the caller).',
    value: (m) => m.decision.agent.name,
  },
  {
    log: 'agent_namespace',
    attribute: 'agent.namespace',
    help: 'EgressNamespace path of the agent ("" is the root).',
    value: (m) => m.decision.agent.namespace,
  },
  {
    log: 'agent_identified_by',
    attribute: 'egress.agent.identified_by',
    help: 'Evidence that identified the agent: context, principal, key, source-ip, anonymous.',
    value: (m) => m.decision.agent.identifiedBy,
  },
  {
    log: 'dst_host',
    attribute: 'egress.dst.name',
    help: 'Destination name: the CONNECT authority, Host header, SNI or DNS binding it was judged by.',
    value: (m) => m.decision.destination?.host,
  },
  {
    log: 'dst_host_evidence',
    attribute: 'egress.dst.name_source',
    help: 'Where the name came from: authority, host-header, sni, dns-binding.',
    value: (m) => m.decision.destination?.hostEvidence,
  },
  {
    log: 'dst_ip',
    help: 'Destination address, when known (IP literal, or the address the connection goes to).',
    value: (m) => m.decision.destination?.ip?.text,
  },
  {
    attribute: ATTR_SERVER_ADDRESS,
    help: 'Destination address when known, else its name (semantic conventions: server.address).',
    value: (m) => m.decision.destination?.ip?.text ?? m.decision.destination?.host,
  },
  {
    log: 'dst_port',
    attribute: ATTR_SERVER_PORT,
    help: 'Destination port.',
    value: (m) => m.decision.destination?.port,
  },
  {
    log: 'protocol',
    attribute: ATTR_NETWORK_TRANSPORT,
    help: 'tcp or udp.',
    value: (m) => m.decision.destination?.protocol,
  },
  {
    log: 'src_ip',
    attribute: ATTR_CLIENT_ADDRESS,
    help: "The agent's address (downstream peer as Envoy saw it).",
    value: (m) => m.request?.source.address,
  },
  {
    log: 'src_port',
    attribute: ATTR_CLIENT_PORT,
    help: "The agent's source port.",
    value: (m) => m.request?.source.port,
  },
  {
    log: 'request_id',
    attribute: 'egress.request_id',
    help: "Envoy's request or stream id.",
    value: (m) => m.request?.requestId,
  },
  {
    log: 'notes',
    attribute: 'egress.notes',
    help: 'Observations that did not decide the verdict: no_name_binding, sni_mismatch, name_ip_mismatch, name_unverified, port_mismatch, encrypted_dns, shadow.',
    value: (m) => (m.decision.notes.length > 0 ? m.decision.notes : undefined),
  },
  {
    log: 'near_misses',
    attribute: 'egress.near_misses',
    help: 'For a deny: what would have allowed it (a route on another listener, port or label; a namespace that allows the host), at most 3.',
    value: (m) => (m.decision.nearMisses.length > 0 ? m.decision.nearMisses : undefined),
  },
  {
    log: 'snapshot_version',
    attribute: 'egress.snapshot_version',
    help: 'Version of the policy snapshot the decision used.',
    value: (m) => m.decision.snapshotVersion,
  },
  {
    log: 'duration_ms',
    help: 'Time from receiving the call to having the decision (the span covers the same interval).',
    value: (m) => Math.round(m.durationMs * 1000) / 1000,
  },
  {
    log: 'trace_id',
    help: "Trace id of the caller's W3C trace context, when Envoy traced the call.",
    value: traceId,
  },
];

const LOG_FIELDS = DECISION_FIELDS.filter((f): f is DecisionField & { log: string } => f.log !== undefined);
const ATTRIBUTE_FIELDS = DECISION_FIELDS.filter(
  (f): f is DecisionField & { attribute: string } => f.attribute !== undefined,
);

/** The canonical log line's fields; absent values are left out. */
export function decisionLogFields(m: DecisionMessage): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of LOG_FIELDS) {
    const v = f.value(m);
    if (v !== undefined) out[f.log] = v;
  }
  return out;
}

export type AttributeValue = string | number | boolean | string[];

/** The attributes of the span and log record; absent values are left out, arrays copied. */
export function decisionAttributes(m: DecisionMessage): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const f of ATTRIBUTE_FIELDS) {
    const v = f.value(m);
    if (v !== undefined) out[f.attribute] = typeof v === 'object' ? [...v] : v;
  }
  return out;
}

/** One canonical line per decision at level info; nothing is subscribed when info is off. */
export function subscribeDecisionLog(logger: Logger): () => void {
  if (!logger.isLevelEnabled('info')) return () => {};
  return subscribeDecisions(
    (m) => logger.info(decisionLogFields(m), 'decision'),
    (err) => logger.warn({ err }, 'could not log a decision'),
  );
}
