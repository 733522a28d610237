/**
 * The engine's input and output (docs/architecture.md). Adapters (gRPC Check, ext_proc, DNS, admin dry-run,
 * CLI) translate their wire formats into an `EgressRequest` and a `Decision` back into theirs; no
 * policy logic lives outside `policy/`, `compile/` and `engine/`.
 */
import type { IpAddress, Protocol } from '../policy/values';

/** Where a request entered Portcullis. A closed set: it is a metric label. */
export type Surface = 'check-http' | 'check-l4' | 'ext_proc' | 'dns' | 'dry-run' | 'cli';

/**
 * What an adapter saw, untouched except for decoding. The engine canonicalises it once
 * (`engine/destination.ts`), so every surface gets the same parsing and the same rejections.
 */
export interface EgressRequest {
  readonly surface: Surface;
  /** Envoy's request or stream id, when there is one. */
  readonly requestId?: string;
  readonly source: {
    readonly address?: string;
    readonly port?: number;
    /** mTLS principal (URI SAN, e.g. `spiffe://cluster.local/ns/a/sa/b`). */
    readonly principal?: string;
  };
  readonly destination: RawDestination;
  readonly l7?: { readonly method: string; readonly path: string; readonly scheme: string };
  readonly context: {
    readonly gateway?: string;
    readonly listener?: string;
    readonly agent?: string;
  };
  /** Raw `Proxy-Authorization` value; identity resolves it and it never reaches a log. */
  readonly proxyAuthorization?: string;
}

export interface RawDestination {
  /** CONNECT request-target or `:authority`/Host: `host[:port]`, `[v6][:port]`. */
  readonly authority?: string;
  /** Which header `authority` came from. */
  readonly authoritySource?: 'connect' | 'host-header';
  /** Absolute-form request URL, when the client sent one. */
  readonly url?: string;
  /** Scheme, used for the default port when `authority` has none (http → 80, https → 443). */
  readonly scheme?: string;
  /** The address the connection actually goes to (L4 original destination, transparent HTTP). */
  readonly address?: string;
  readonly port?: number;
  /** TLS server name presented by the client. */
  readonly sni?: string;
  readonly protocol: Protocol;
}

/** Where the destination's host name came from. */
export type HostEvidence = 'authority' | 'host-header' | 'sni' | 'dns-binding';

/** The canonical destination every matcher works on. */
export interface Destination {
  /** Normalised DNS name (lower case, no trailing dot, punycode), when there is name evidence. */
  readonly host?: string;
  readonly hostEvidence?: HostEvidence;
  /** All names the evidence supports (e.g. every name of a DNS binding); `host` is the first. */
  readonly names: readonly string[];
  /**
   * Names the client claimed (Host, SNI) that are not proven for `ip`: only a route match that also
   * pins CIDRs holding `ip` may match by them (engine/name-evidence.ts). Absent: none.
   */
  readonly claims?: readonly string[];
  /** The address, when known: an IP literal authority, or the connection's address. */
  readonly ip?: IpAddress;
  /** IPv4 found inside NAT64, 6to4 or Teredo addresses; checked against deny rules and the guard. */
  readonly embeddedIpv4?: IpAddress;
  readonly port: number;
  readonly protocol: Protocol;
}

/** The layers, in evaluation order (docs/architecture.md). A closed set: it is a metric label. */
export const LAYERS = ['sanity', 'ssrf', 'global', 'gateway', 'mirrord', 'firewall', 'namespace'] as const;
export type Layer = (typeof LAYERS)[number];

/**
 * Why a decision came out as it did. Closed: these are metric labels and API values, so a new
 * code is a deliberate change here (and in README's table).
 */
export const REASON_CODES = [
  // allow
  'route_allowed',
  'gateway_default_allow',
  'mirrord_allowed',
  'firewall_rule_allowed',
  'firewall_default_allowed',
  'firewall_audit',
  'namespace_allowed',
  'global_allowed',
  // deny
  'invalid_destination',
  'invalid_request',
  'host_sni_mismatch',
  'ssrf_guard',
  'global_blocked',
  'deny_policy',
  'gateway_default_deny',
  'gateway_unknown',
  'gateway_ambiguous',
  'listener_unknown',
  'mirrord_not_allowed',
  'mirrord_blocked',
  'firewall_rule_denied',
  'firewall_default_denied',
  'namespace_not_allowed',
  'namespace_blocked',
  'namespace_quarantined',
  'auth_required',
  'name_unverified',
  'resolution_failed',
  'no_policy',
  'no_snapshot',
  'internal_error',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * Observations worth recording that did not decide the verdict (closed set).
 * - `no_name_binding`: a rule matched by name but there was no name evidence, so it could not apply.
 * - `sni_mismatch`: the agent's DNS bindings for the address name other hosts than its SNI.
 * - `name_unverified`: a claimed name (Host, SNI) was not proven for the dialled address; the
 *   request was judged without it (and allowed on other grounds, or it would be a deny).
 * - `port_mismatch`: the Host's port differs from the port the connection is dialled to; the dialled
 *   port was judged.
 */
export const DECISION_NOTES = [
  'no_name_binding',
  'sni_mismatch',
  'name_ip_mismatch',
  'name_unverified',
  'port_mismatch',
  'encrypted_dns',
  'shadow',
] as const;
export type DecisionNote = (typeof DECISION_NOTES)[number];

export interface ResourceRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface RuleRef {
  /** Index path inside the resource, e.g. `rules[0].matches[1]`. */
  readonly index: string;
  /** Human label where the resource has one (firewall rules), else the index. */
  readonly label: string;
}

export interface DenyHttpResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What one layer concluded; the `trace` of a decision lists them in order. */
export interface LayerResult {
  readonly layer: Layer;
  readonly outcome: 'allow' | 'deny' | 'abstain' | 'audit';
  readonly reasonCode?: ReasonCode | undefined;
  readonly reason: string;
  readonly policy?: ResourceRef | undefined;
  readonly rule?: RuleRef | undefined;
  /** True when this layer wanted to deny but its resource is in shadow mode. */
  readonly shadow?: boolean | undefined;
}

export interface AgentRef {
  readonly name: string;
  readonly namespace: string;
  /** Which evidence identified the agent. */
  readonly identifiedBy: 'context' | 'principal' | 'key' | 'source-ip' | 'anonymous';
}

export interface Decision {
  readonly id: string;
  readonly verdict: 'allow' | 'deny';
  /** False when a shadow resource wanted to deny and the request was let through. */
  readonly enforced: boolean;
  readonly layer: Layer;
  readonly reasonCode: ReasonCode;
  /** Human reason; shadow ones read `[shadow] would deny — …`. */
  readonly reason: string;
  readonly policy?: ResourceRef | undefined;
  readonly rule?: RuleRef | undefined;
  /** The HTTP answer for a deny on HTTP/CONNECT surfaces (403 unless a deny policy says otherwise). */
  readonly response: DenyHttpResponse;
  /** Absent only when the destination could not be parsed. */
  readonly destination?: Destination | undefined;
  readonly agent: AgentRef;
  readonly notes: readonly DecisionNote[];
  readonly trace: readonly LayerResult[];
  readonly snapshotVersion: number;
  /** For a deny: what would have allowed it (a route on another listener, port, label…), at most 3. */
  readonly nearMisses: readonly string[];
  /**
   * Request headers that must never leave the proxy towards the destination: the credential the
   * agent presented to Portcullis (`Proxy-Authorization`). Every surface that forwards removes them.
   */
  readonly stripHeaders: readonly string[];
}

/** The proxy credential: it identifies the agent to Portcullis and is no business of the destination. */
export const CREDENTIAL_HEADERS: readonly string[] = Object.freeze(['proxy-authorization']);

/** Who is calling, as identity resolution found them (src/identity/resolve-agent.ts). */
export interface Agent {
  readonly name: string;
  /** EgressNamespace path, e.g. `prod/payments`; `` is the root. */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly identifiedBy: AgentRef['identifiedBy'];
  /** Identified by a key or an mTLS principal (what `requireAuth` entries ask for). */
  readonly authenticated: boolean;
  /** Name of the EgressFirewallPolicy attached to the agent's key, if any. */
  readonly firewallPolicy?: string | undefined;
}

/** The caller nobody recognised: root namespace, no labels. */
export const ANONYMOUS_AGENT: Agent = Object.freeze({
  name: 'anonymous',
  namespace: '',
  labels: Object.freeze({}),
  identifiedBy: 'anonymous',
  authenticated: false,
  firewallPolicy: undefined,
});
