/**
 * Every kind's description, keyed by kind: the one place a kind's fields are written. The drift
 * test (src/policy/kind-descriptions.test.ts) checks it lists exactly the kinds of
 * validate-registry.ts, and that each validator agrees with its description field by field.
 */
import { AGENT_SPEC } from './agent';
import { DENY_POLICY_SPEC } from './deny-policy';
import { DOMAIN_LIST_SPEC } from './domain-list';
import { FIREWALL_SPEC } from './firewall';
import { GATEWAY_SPEC } from './gateway';
import { L4_ROUTE_SPEC } from './l4-route';
import { MIRRORD_SPEC } from './mirrord';
import { NAMESPACE_SPEC } from './namespace';
import type { ObjectNode } from './schema-node';

export interface KindDescription {
  readonly kind: string;
  /** Kubernetes scope of the resource: a MirrordClusterPolicy has no namespace. */
  readonly scope: 'Namespaced' | 'Cluster';
  readonly description: string;
  readonly spec: ObjectNode;
}

const ALL: readonly KindDescription[] = [
  {
    kind: 'EgressGateway',
    scope: 'Namespaced',
    description: 'An egress enforcement point',
    spec: GATEWAY_SPEC,
  },
  {
    kind: 'EgressL4Route',
    scope: 'Namespaced',
    description: 'Allow rules attached to gateways',
    spec: L4_ROUTE_SPEC,
  },
  {
    kind: 'EgressDenyPolicy',
    scope: 'Namespaced',
    description: 'Turns a route into a deny and says what the client sees',
    spec: DENY_POLICY_SPEC,
  },
  {
    kind: 'MirrordPolicy',
    scope: 'Namespaced',
    description: 'mirrord outgoing-traffic rules for agents in its namespace',
    spec: MIRRORD_SPEC,
  },
  {
    kind: 'MirrordClusterPolicy',
    scope: 'Cluster',
    description: 'mirrord outgoing-traffic rules for agents in every namespace',
    spec: MIRRORD_SPEC,
  },
  {
    kind: 'EgressFirewallPolicy',
    scope: 'Namespaced',
    description: 'An ordered firewall rule list attached to agent keys or as the workspace default',
    spec: FIREWALL_SPEC,
  },
  {
    kind: 'EgressNamespace',
    scope: 'Namespaced',
    description: 'One node of the namespace hierarchy',
    spec: NAMESPACE_SPEC,
  },
  {
    kind: 'EgressDomainList',
    scope: 'Namespaced',
    description: 'Fleet-wide allow and block lists',
    spec: DOMAIN_LIST_SPEC,
  },
  {
    kind: 'EgressAgent',
    scope: 'Namespaced',
    description: 'Who an agent is and how it is recognised',
    spec: AGENT_SPEC,
  },
];

export const KIND_DESCRIPTIONS: ReadonlyMap<string, KindDescription> = new Map(ALL.map((d) => [d.kind, d]));

export function kindDescription(kind: string): KindDescription {
  const found = KIND_DESCRIPTIONS.get(kind);
  if (found === undefined) {
    throw new Error(`no description of kind ${kind}; known: ${[...KIND_DESCRIPTIONS.keys()].join(', ')}`);
  }
  return found;
}
