/**
 * Seed 003's two layers compiled: the global allow and block lists (every `EgressDomainList`
 * merged) and the EgressNamespace tree, each list as a host index so a request costs one lookup
 * per namespace level however long the lists are.
 */
import type { DomainEntry, EgressDomainList, EgressNamespace, Resource } from '../policy/types';
import { createHostIndex, type HostIndex } from './host-index';

export interface LayerRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface CompiledNamespace {
  readonly ref: LayerRef;
  readonly resource: EgressNamespace;
  /** Index into `resource.allowedDomains`; absent when this level does not restrict. */
  readonly allowed?: HostIndex<number>;
  /** True for `allowedDomains: []` (seed 003 "Quarantining a namespace"). */
  readonly quarantined: boolean;
  /** Index into `resource.blockedDomains`. */
  readonly blocked: HostIndex<number>;
}

/** One entry of a global list, with where it came from for the decision record. */
export interface GlobalEntry {
  readonly ref: LayerRef;
  /** `spec.allow[2]` */
  readonly index: string;
  readonly entry: DomainEntry;
}

/** The defined levels on the way from a namespace path to the root (seed 003 walk). */
export interface NamespaceChain {
  /** Leaf first. */
  readonly levels: readonly CompiledNamespace[];
  /** The levels that define `allowedDomains`, leaf first. */
  readonly defining: readonly CompiledNamespace[];
  /** Paths on the way with no EgressNamespace: skipped, with a warning in the reason. */
  readonly skipped: readonly string[];
}

export interface NamespaceLayer {
  /** By path; the first definition of a path wins (validation rejects the others). */
  readonly namespaces: ReadonlyMap<string, CompiledNamespace>;
  /** The chain of every defined path, walked once here rather than per request. */
  readonly chains: ReadonlyMap<string, NamespaceChain>;
  readonly globalAllow: HostIndex<GlobalEntry>;
  readonly globalBlock: HostIndex<GlobalEntry>;
  readonly hasNamespaces: boolean;
  /** Some `EgressDomainList` is loaded (it may hold only a block list). */
  readonly hasGlobalLists: boolean;
  /** The first `EgressDomainList`, named by root-default decisions. */
  readonly firstList?: LayerRef;
}

const refOf = (r: Resource): LayerRef =>
  Object.freeze({ kind: r.kind, namespace: r.meta.namespace, name: r.meta.name });

export function compileNamespaceLayer(resources: readonly Resource[]): NamespaceLayer {
  const namespaces = new Map<string, CompiledNamespace>();
  const lists: EgressDomainList[] = [];
  for (const r of resources) {
    if (r.kind === 'EgressDomainList') lists.push(r);
    else if (r.kind === 'EgressNamespace' && !namespaces.has(r.path))
      namespaces.set(r.path, compileNamespace(r));
  }

  const allow = createHostIndex<GlobalEntry>();
  const block = createHostIndex<GlobalEntry>();
  for (const list of lists) {
    const ref = refOf(list);
    list.allow.forEach((entry, i) =>
      allow.add(entry.pattern, Object.freeze({ ref, index: `spec.allow[${i}]`, entry })),
    );
    list.block.forEach((entry, i) =>
      block.add(entry.pattern, Object.freeze({ ref, index: `spec.block[${i}]`, entry })),
    );
  }
  const chains = new Map<string, NamespaceChain>();
  for (const path of namespaces.keys()) chains.set(path, walk(namespaces, path));
  const layer = {
    namespaces,
    chains,
    globalAllow: allow.build(),
    globalBlock: block.build(),
    hasNamespaces: namespaces.size > 0,
    hasGlobalLists: lists.length > 0,
  };
  return Object.freeze(lists.length > 0 ? { ...layer, firstList: refOf(lists[0]) } : layer);
}

function compileNamespace(ns: EgressNamespace): CompiledNamespace {
  const blocked = createHostIndex<number>();
  ns.blockedDomains.forEach((pattern, i) => blocked.add(pattern, i));
  const base = { ref: refOf(ns), resource: ns, blocked: blocked.build() };
  if (ns.allowedDomains === undefined) return Object.freeze({ ...base, quarantined: false });
  const allowed = createHostIndex<number>();
  ns.allowedDomains.forEach((pattern, i) => allowed.add(pattern, i));
  return Object.freeze({ ...base, allowed: allowed.build(), quarantined: ns.allowedDomains.length === 0 });
}

/** The chain for an agent's namespace path (`` is the root, which has none). */
export function chainFor(layer: NamespaceLayer, path: string): NamespaceChain {
  return layer.chains.get(path) ?? walk(layer.namespaces, path);
}

function walk(namespaces: ReadonlyMap<string, CompiledNamespace>, path: string): NamespaceChain {
  const levels: CompiledNamespace[] = [];
  const skipped: string[] = [];
  const segments = path.split('/').filter((s) => s !== '');
  for (let depth = segments.length; depth > 0; depth--) {
    const at = segments.slice(0, depth).join('/');
    const ns = namespaces.get(at);
    if (ns === undefined) skipped.push(at);
    else levels.push(ns);
  }
  const defining = levels.filter((l) => l.allowed !== undefined);
  return Object.freeze({ levels, defining, skipped });
}
