/**
 * Normalised network values shared by policy validation, compiled matchers and the engine.
 *
 * Every value here is produced once (at load for policy, once per request for destinations) by the
 * parsers in `ip.ts`, `cidr.ts` and `hostname.ts`; nothing downstream re-parses strings.
 */

/** An IPv4 address as an unsigned 32-bit integer. */
export interface Ipv4Address {
  readonly family: 4;
  /** 0 … 2^32-1 */
  readonly value: number;
  /** Canonical dotted quad. */
  readonly text: string;
}

/** An IPv6 address as four unsigned 32-bit words, most significant first. */
export interface Ipv6Address {
  readonly family: 6;
  readonly words: readonly [number, number, number, number];
  /** Canonical RFC 5952 text, without zone. */
  readonly text: string;
}

export type IpAddress = Ipv4Address | Ipv6Address;

/** A CIDR block; host bits are always zero (validation rejects or reports them). */
export interface Cidr {
  readonly address: IpAddress;
  readonly prefixLength: number;
  /** Canonical `address/prefix` text. */
  readonly text: string;
}

/**
 * A host-name pattern from policy.
 *
 * - `exact`: `api.example.com`
 * - `single`: `*.example.com`, exactly one extra label (Gateway API Hostname as CLRK reads it)
 * - `multi`: `**.example.com`, one or more extra labels; never the apex
 *
 * `suffix` is the normalised name after the wildcard (or the whole name for `exact`).
 */
export interface HostPattern {
  readonly kind: 'exact' | 'single' | 'multi';
  readonly suffix: string;
  /** Canonical text as written after normalisation (`*.example.com`). */
  readonly text: string;
}

/** Inclusive port range, 1 ≤ start ≤ end ≤ 65535. */
export interface PortRange {
  readonly start: number;
  readonly end: number;
}

export type Protocol = 'tcp' | 'udp';

/** Kubernetes label selector, validated. An empty selector selects everything. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

/** A CIDR with carve-outs (`ipBlock` of NetworkPolicy and mirrord); every `except` lies inside `cidr`. */
export interface CidrBlock {
  readonly cidr: Cidr;
  readonly except: readonly Cidr[];
}
