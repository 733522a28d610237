/**
 * The kinds Portcullis understands, keyed by kind. Adding a kind (mirrord policies, firewall
 * policies, namespaces, domain lists, agents) means one `validate-<kind>.ts` exporting a
 * `KindValidator` and one entry in `KINDS` below; `validate.ts` does not change.
 */
import { NATIVE_API_VERSION } from './types';
import { denyPolicyKind } from './validate-deny-policy';
import { gatewayKind } from './validate-gateway';
import type { KindValidator } from './validate-kind';
import { l4RouteKind } from './validate-l4-route';
import { mirrordClusterPolicyKind, mirrordPolicyKind } from './validate-mirrord';
import { firewallPolicyKind } from './validate-firewall';
import { namespaceKind } from './validate-namespace';
import { domainListKind } from './validate-domain-list';
import { agentKind } from './validate-agent';

const ALL: readonly KindValidator[] = [
  gatewayKind,
  l4RouteKind,
  denyPolicyKind,
  mirrordPolicyKind,
  mirrordClusterPolicyKind,
  firewallPolicyKind,
  namespaceKind,
  domainListKind,
  agentKind,
] as readonly KindValidator[];

export const KINDS: ReadonlyMap<string, KindValidator> = new Map(ALL.map((kind) => [kind.kind, kind]));

/** Every apiVersion some kind accepts, ours first, for messages. */
export const API_VERSIONS: readonly string[] = [
  ...new Set([NATIVE_API_VERSION, ...ALL.flatMap((kind) => kind.apiVersions)]),
];

export function kindsFor(apiVersion: string): string[] {
  return ALL.filter((kind) => kind.apiVersions.includes(apiVersion)).map((kind) => kind.kind);
}
