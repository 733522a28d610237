/**
 * The validated, normalised resource model.
 *
 * These are what validation returns: every string that names a host, CIDR or port has already been
 * parsed into the values of `values.ts`, defaults are filled in, and aliases of other API groups
 * (clrk.apoxy.dev, policies.mirrord.metalbear.co) are folded into one shape. Objects are frozen.
 */
import type { Cidr, CidrBlock, HostPattern, IpAddress, LabelSelector, PortRange, Protocol } from './values';
import type { Origin } from './origin';
import type { IssueCode } from './issues';

/** Our own API group; the CLRK and mirrord groups are accepted as aliases of the same model. */
export const NATIVE_GROUP = 'egress.portcullis.dev';
export const NATIVE_API_VERSION = `${NATIVE_GROUP}/v1alpha1`;
export const CLRK_GROUP = 'clrk.apoxy.dev';
export const MIRRORD_GROUP = 'policies.mirrord.metalbear.co';

/** Where a resource came from, for error messages and `explain` output. */
export interface SourceRef {
  /** How messages name the place: the file path as given, or `originLabel` of another source. */
  readonly file: string;
  /** 1-based line of the document's first line; 0 when the source has no lines. */
  readonly line: number;
  /**
   * Which source defined it (origin.ts): what code reads to tell a file from the admin store.
   * Absent only on resources built in code (tests, benchmarks), which count as files.
   */
  readonly origin?: Origin;
}

export interface ResourceMeta {
  readonly apiVersion: string;
  /** The API group of `apiVersion` (used to default `group` in references). */
  readonly group: string;
  readonly name: string;
  /** Kubernetes namespace of the resource (not an EgressNamespace path); `default` when omitted. */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly source: SourceRef;
}

export type ListenerProtocol = 'TCP' | 'TLS' | 'HTTP' | 'HTTPS' | 'UDP';

export interface Listener {
  readonly name: string;
  readonly protocol: ListenerProtocol;
  readonly tlsMode?: 'Passthrough' | 'Terminate';
  readonly port?: number;
}

export interface EgressGateway {
  readonly kind: 'EgressGateway';
  readonly meta: ResourceMeta;
  readonly defaultPolicy: 'deny-all' | 'allow-all';
  readonly mode: 'enforce' | 'shadow';
  readonly listeners: readonly Listener[];
  /** Loopback, link-local, metadata and unspecified destinations denied unless a route targets them. */
  readonly ssrfGuard: boolean;
  /**
   * How a claimed name (Host, SNI) is proven for the address a transparent or L4 connection is
   * dialled to: `resolve` (a binding of the agent, or a lookup through Portcullis's resolver),
   * `binding` (the agent's DNS bindings only) or `none` (believe the client: unsafe).
   */
  readonly nameProof: 'resolve' | 'binding' | 'none';
}

export interface RouteRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  /** Kubernetes namespace of the target; the referring resource's own when omitted. */
  readonly namespace?: string;
  readonly sectionName?: string;
}

export interface L4Match {
  /** Empty: any host. */
  readonly destinationHostnames: readonly HostPattern[];
  /** Empty: any address. Entries are `"10.0.0.0/8"` or `{cidr, except}` in YAML. */
  readonly destinationCIDRs: readonly CidrBlock[];
  /** Empty: any port. */
  readonly ports: readonly PortRange[];
  readonly protocol: Protocol;
  /** Absent: every agent. */
  readonly sourceAgents?: LabelSelector;
}

export interface L4Rule {
  readonly matches: readonly L4Match[];
}

export interface EgressL4Route {
  readonly kind: 'EgressL4Route';
  readonly meta: ResourceMeta;
  readonly parentRefs: readonly RouteRef[];
  readonly rules: readonly L4Rule[];
}

export interface DenyResponse {
  readonly statusCode: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface EgressDenyPolicy {
  readonly kind: 'EgressDenyPolicy';
  readonly meta: ResourceMeta;
  readonly targetRef: RouteRef;
  readonly denyResponse: DenyResponse;
}

/** One `network.outgoing.allow/block` rule of a mirrord policy; every given field must hold. */
export interface MirrordRule {
  readonly ipBlock?: CidrBlock;
  /** Regular expression source, matched with re2 against the normalised destination name. */
  readonly hostname?: string;
  /** Empty: any port and protocol. */
  readonly ports: readonly { readonly protocol: Protocol; readonly port: number }[];
}

/** `MirrordPolicy` (namespaced) and `MirrordClusterPolicy` (everywhere), as mirrord defines them. */
export interface MirrordPolicy {
  readonly kind: 'MirrordPolicy' | 'MirrordClusterPolicy';
  readonly meta: ResourceMeta;
  /** Absent: every agent in scope. */
  readonly selector?: LabelSelector;
  /** Glob over agent names (`*` any run of characters, `?` one). Absent: every agent. */
  readonly targetPath?: string;
  readonly allow: readonly MirrordRule[];
  readonly block: readonly MirrordRule[];
}

/** One entry of a firewall rule's list: a CIDR, an IP literal or a host name. */
export type FirewallEntry =
  | { readonly kind: 'cidr'; readonly cidr: Cidr; readonly text: string }
  | { readonly kind: 'ip'; readonly ip: IpAddress; readonly text: string }
  | { readonly kind: 'host'; readonly pattern: HostPattern; readonly text: string };

export interface FirewallRule {
  readonly label: string;
  /** `egress` or `` (all stages) apply here; other stages are kept but never match egress. */
  readonly stage: string;
  readonly verdict: 'allow' | 'deny' | 'audit';
  readonly allow: readonly FirewallEntry[];
  readonly deny: readonly FirewallEntry[];
  /**
   * Set only for rules stored before validation-on-save (admin store): the list could not be read.
   * A deny rule with a broken list still gates everything; an allow rule with one never fires.
   */
  readonly brokenList?: string;
}

/** `EgressFirewallPolicy` (the firewall model): ordered rules, first in-scope rule wins. */
export interface EgressFirewallPolicy {
  readonly kind: 'EgressFirewallPolicy';
  readonly meta: ResourceMeta;
  readonly rules: readonly FirewallRule[];
  readonly defaultVerdict: 'allow' | 'deny' | 'audit';
  /** Denies become audit records reading `[shadow] would deny — …`. */
  readonly shadow: boolean;
  /** The policy for agents whose key names none (at most one per snapshot). */
  readonly workspaceDefault: boolean;
  readonly enabled: boolean;
}

export interface DomainEntry {
  readonly pattern: HostPattern;
  readonly reason: string;
  /** Only agents identified by a key or an mTLS principal are allowed by this entry. */
  readonly requireAuth: boolean;
}

/** `EgressNamespace` (the namespace model): one node of the hierarchy; children may only narrow. */
export interface EgressNamespace {
  readonly kind: 'EgressNamespace';
  readonly meta: ResourceMeta;
  /** `prod`, `prod/payments`, `prod/payments/eu-west`. */
  readonly path: string;
  readonly description: string;
  /** Absent: this namespace does not restrict. Empty: quarantined (allows nothing). */
  readonly allowedDomains?: readonly HostPattern[];
  readonly blockedDomains: readonly HostPattern[];
}

/** `EgressDomainList` (the namespace model): the global allow and block lists; block wins. */
export interface EgressDomainList {
  readonly kind: 'EgressDomainList';
  readonly meta: ResourceMeta;
  readonly allow: readonly DomainEntry[];
  readonly block: readonly DomainEntry[];
}

/** `EgressAgent`: who an agent is and how it is recognised. */
export interface EgressAgent {
  readonly kind: 'EgressAgent';
  readonly meta: ResourceMeta;
  /** EgressNamespace path the agent belongs to; `` is the root. */
  readonly namespacePath: string;
  readonly labels: Readonly<Record<string, string>>;
  /** EgressFirewallPolicy attached to this agent's key. */
  readonly firewallPolicy?: string;
  /** Name Envoy sends as the `agent` context extension or `x-portcullis-agent` metadata. */
  readonly contextName: string;
  /** mTLS principals (URI SANs such as `spiffe://cluster.local/ns/a/sa/b`). */
  readonly principals: readonly string[];
  /** SHA-256 (lower-case hex) of each key the agent may present; keys themselves are never stored. */
  readonly keySha256: readonly string[];
  readonly sourceCIDRs: readonly Cidr[];
}

export type Resource =
  | EgressGateway
  | EgressL4Route
  | EgressDenyPolicy
  | MirrordPolicy
  | EgressFirewallPolicy
  | EgressNamespace
  | EgressDomainList
  | EgressAgent;
export type ResourceKind = Resource['kind'];

/** One problem found while loading or validating, with enough to locate and fix it. */
export interface Issue {
  /** Stable code from the closed list ISSUE_CODES (src/policy/issues.ts), e.g. `POLICY_INVALID_CIDR`. */
  readonly code: IssueCode;
  /** Where, for people: a file path or another source's `originLabel`. */
  readonly file: string;
  /** The source document it is in, for code (origin.ts); absent when it is in none. */
  readonly origin?: Origin;
  /** 1-based line; 0 when not known. */
  readonly line: number;
  /** JSON-pointer-like path inside the document, e.g. `spec.rules[0].matches[1].destinationCIDRs[2]`. */
  readonly path: string;
  readonly message: string;
  /** How to fix it, when there is something to say. */
  readonly fix?: string;
  readonly severity: 'error' | 'warning';
}
