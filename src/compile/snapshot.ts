/**
 * Validated resources → one immutable, versioned Snapshot that every decision reads once.
 *
 * Compilation does all the work that does not depend on the request: routes are attached to their
 * gateways (whole gateway or one listener), deny policies invert the routes they target, and every
 * match is indexed (route-table.ts). The engine then only looks things up.
 */
import type { EgressDenyPolicy, EgressGateway, EgressL4Route, Resource } from '../policy/types';
import { compileMirrordLayer, type MirrordLayer } from './mirrord-layer';
import { compileFirewallLayer, type FirewallLayer } from './firewall-layer';
import { compileNamespaceLayer, type NamespaceLayer } from './namespace-layer';
import { compileAgentIndex, type AgentIndex } from './agent-index';
import {
  buildRouteTable,
  compileMatch,
  type CompiledMatch,
  type MatchRef,
  type RouteTable,
} from './route-table';

export interface CompiledGateway {
  readonly ref: { readonly kind: 'EgressGateway'; readonly namespace: string; readonly name: string };
  readonly resource: EgressGateway;
  readonly listeners: ReadonlySet<string>;
  /** Matches of routes that allow. */
  readonly allow: RouteTable;
  /** Matches of routes a deny policy inverted. */
  readonly deny: RouteTable;
}

export interface Snapshot {
  readonly version: number;
  readonly createdAt: string;
  readonly resources: readonly Resource[];
  /** Gateways by `namespace/name`, and by bare `name` where that is unambiguous. */
  readonly gateways: ReadonlyMap<string, CompiledGateway>;
  /** The gateway a request that names none gets: set only when exactly one exists. */
  readonly soleGateway: CompiledGateway | undefined;
  readonly gatewayCount: number;
  /** Layer 4: mirrord policies. */
  readonly mirrord: MirrordLayer;
  /** Layer 5: firewall policies. */
  readonly firewall: FirewallLayer;
  /** Layers 2 and 6: global domain lists and the namespace tree. */
  readonly namespaces: NamespaceLayer;
  /** Who agents are and how they are recognised. */
  readonly agents: AgentIndex;
  readonly counts: Readonly<Record<string, number>>;
}

export interface CompileOptions {
  readonly version: number;
  readonly createdAt?: string;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export function compileSnapshot(resources: readonly Resource[], options: CompileOptions): Snapshot {
  const gateways = resources.filter((r): r is EgressGateway => r.kind === 'EgressGateway');
  const routes = resources.filter((r): r is EgressL4Route => r.kind === 'EgressL4Route');
  const denyPolicies = resources.filter((r): r is EgressDenyPolicy => r.kind === 'EgressDenyPolicy');

  // A route targeted by a deny policy stops allowing and starts denying (EgressDenyPolicy). The
  // first policy in load order wins when several target one route; validation warns about that.
  const inversions = new Map<string, EgressDenyPolicy>();
  for (const p of denyPolicies) {
    const k = key(p.meta.namespace, p.targetRef.name);
    if (!inversions.has(k)) inversions.set(k, p);
  }

  const perGateway = new Map<string, { allow: CompiledMatch[]; deny: CompiledMatch[] }>();
  for (const g of gateways) perGateway.set(key(g.meta.namespace, g.meta.name), { allow: [], deny: [] });

  for (const route of routes) {
    const inverted = inversions.get(key(route.meta.namespace, route.meta.name));
    const deny = inverted
      ? {
          policy: {
            kind: 'EgressDenyPolicy',
            namespace: inverted.meta.namespace,
            name: inverted.meta.name,
            index: 'spec.denyResponse',
          },
          response: inverted.denyResponse,
        }
      : undefined;
    for (const parent of route.parentRefs) {
      if (parent.kind !== 'EgressGateway') continue;
      const target = perGateway.get(key(parent.namespace ?? route.meta.namespace, parent.name));
      if (!target) continue; // validation reports dangling parents; compile stays total
      route.rules.forEach((rule, ri) =>
        rule.matches.forEach((m, mi) => {
          const ref: MatchRef = {
            kind: 'EgressL4Route',
            namespace: route.meta.namespace,
            name: route.meta.name,
            index: `rules[${ri}].matches[${mi}]`,
          };
          (deny ? target.deny : target.allow).push(compileMatch(m, ref, parent.sectionName, deny));
        }),
      );
    }
  }

  const byKey = new Map<string, CompiledGateway>();
  const nameCount = new Map<string, number>();
  for (const g of gateways) nameCount.set(g.meta.name, (nameCount.get(g.meta.name) ?? 0) + 1);
  for (const g of gateways) {
    const k = key(g.meta.namespace, g.meta.name);
    const tables = perGateway.get(k) ?? { allow: [], deny: [] };
    const compiled: CompiledGateway = Object.freeze({
      ref: { kind: 'EgressGateway' as const, namespace: g.meta.namespace, name: g.meta.name },
      resource: g,
      listeners: new Set(g.listeners.map((l) => l.name)),
      allow: buildRouteTable(tables.allow),
      deny: buildRouteTable(tables.deny),
    });
    byKey.set(k, compiled);
    if (nameCount.get(g.meta.name) === 1) byKey.set(g.meta.name, compiled);
  }

  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.kind] = (counts[r.kind] ?? 0) + 1;

  const agents = compileAgentIndex(resources);
  const only =
    gateways.length === 1 ? byKey.get(key(gateways[0]!.meta.namespace, gateways[0]!.meta.name)) : undefined;
  return Object.freeze({
    version: options.version,
    createdAt: options.createdAt ?? new Date(0).toISOString(),
    resources: Object.freeze([...resources]),
    gateways: byKey,
    soleGateway: only,
    gatewayCount: gateways.length,
    mirrord: compileMirrordLayer(resources, agents.byContextName.values()),
    firewall: compileFirewallLayer(resources),
    namespaces: compileNamespaceLayer(resources),
    agents,
    counts: Object.freeze(counts),
  });
}
