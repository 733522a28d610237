/**
 * The validated, normalised resource model (PRODUCT.md §2).
 *
 * These are what validation returns: every string that names a host, CIDR or port has already been
 * parsed into the values of `values.ts`, defaults are filled in, and aliases of other API groups
 * (clrk.apoxy.dev, policies.mirrord.metalbear.co) are folded into one shape. Objects are frozen.
 */
import type { CidrBlock, HostPattern, LabelSelector, PortRange, Protocol } from './values';

/** Our own API group; the seed groups are accepted as aliases of the same model. */
export const NATIVE_GROUP = 'egress.portcullis.dev';
export const NATIVE_API_VERSION = `${NATIVE_GROUP}/v1alpha1`;
export const CLRK_GROUP = 'clrk.apoxy.dev';
export const MIRRORD_GROUP = 'policies.mirrord.metalbear.co';

/** Where a resource came from, for error messages and `explain` output. */
export interface SourceRef {
  /** File path as given, or `admin:` / `inline:` for other sources. */
  readonly file: string;
  /** 1-based line of the document's first line. */
  readonly line: number;
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

export type Resource = EgressGateway | EgressL4Route | EgressDenyPolicy;
export type ResourceKind = Resource['kind'];

/** One problem found while loading or validating, with enough to locate and fix it. */
export interface Issue {
  /** Stable code, e.g. `POLICY_INVALID_CIDR`. */
  readonly code: string;
  readonly file: string;
  /** 1-based line; 0 when not known. */
  readonly line: number;
  /** JSON-pointer-like path inside the document, e.g. `spec.rules[0].matches[1].destinationCIDRs[2]`. */
  readonly path: string;
  readonly message: string;
  /** How to fix it, when there is something to say. */
  readonly fix?: string;
  readonly severity: 'error' | 'warning';
}
