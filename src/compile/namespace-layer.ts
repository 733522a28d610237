/**
 * The namespace model's two layers compiled: the global allow and block lists (every
 * `EgressDomainList` merged) and the EgressNamespace tree, each list as a host index so a request
 * costs one lookup per namespace level however long the lists are.
 */
import type { DomainEntry, EgressDomainList, EgressNamespace, Resource } from '../policy/types';
import type { HostPattern } from '../policy/values';
import { createHostIndex, type HostIndex } from './host-index';
import { extend } from '../policy/extend';
import { patternCovers } from '../policy/hostname';

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
  /** True for `allowedDomains: []` (quarantine: the namespace reaches nothing). */
  readonly quarantined: boolean;
  /** Index into `resource.blockedDomains`. */
  readonly blocked: HostIndex<number>;
  /** `allowedDomains[i]` as decisions name it (`spec.allowedDomains[2]`, the pattern), made once. */
  readonly allowedRules: readonly NamespaceRule[];
  readonly blockedRules: readonly NamespaceRule[];
}

export interface NamespaceRule {
  readonly index: string;
  readonly label: string;
}

/** One entry of a global list, with where it came from for the decision record. */
export interface GlobalEntry {
  readonly ref: LayerRef;
  /** `spec.allow[2]` */
  readonly index: string;
  readonly entry: DomainEntry;
  /** The entry as decisions name it: its index and pattern. */
  readonly rule: NamespaceRule;
}

function globalEntry(ref: LayerRef, index: string, entry: DomainEntry): GlobalEntry {
  return Object.freeze({ ref, index, entry, rule: Object.freeze({ index, label: entry.pattern.text }) });
}

/** The defined levels on the way from a namespace path to the root (the namespace walk). */
export interface NamespaceChain {
  /** Leaf first. */
  readonly levels: readonly CompiledNamespace[];
  /** The levels that define `allowedDomains`, leaf first. */
  readonly defining: readonly CompiledNamespace[];
  /** The levels with a non-empty `blockedDomains`, leaf first: the only ones a block walk reads. */
  readonly blocking: readonly CompiledNamespace[];
  /**
   * Every pattern of the first defining level is covered by a pattern of each level above it (what
   * validation's "children may only narrow" guarantees), so a name the first level allows passes
   * them all and the walk reads one list instead of every level's. False when a forced change left
   * a child wider: then every level is read.
   */
  readonly leafDecides: boolean;
  /** Paths on the way with no EgressNamespace: skipped, with a warning in the reason. */
  readonly skipped: readonly string[];
  /** The first defining level with an empty `allowedDomains`, leaf first (quarantine). */
  readonly quarantined: CompiledNamespace | undefined;
  /** Reason suffixes, built once: `; namespace a/b not defined; skipped` per skipped path. */
  readonly note: string;
  /** ` and its ancestors a, b` naming the defining levels above the leaf, or ``. */
  readonly ancestors: string;
}

export interface NamespaceLayer {
  /** By path; the first definition of a path wins (validation rejects the others). */
  readonly namespaces: ReadonlyMap<string, CompiledNamespace>;
  /** The chain of every defined path, walked once here rather than per request. */
  readonly chains: ReadonlyMap<string, NamespaceChain>;
  readonly globalAllow: HostIndex<GlobalEntry>;
  readonly globalBlock: HostIndex<GlobalEntry>;
  readonly hasNamespaces: boolean;
  /**
   * The root namespace has settings of its own: some `EgressDomainList` has an allow entry. The
   * global allow list is the root's list (an EgressNamespace path cannot be empty, so no
   * EgressNamespace can define the root); with it every agent is judged by the namespace layer,
   * without it only agents whose chain holds a defined EgressNamespace are.
   */
  readonly rootDefined: boolean;
  /** Some `EgressDomainList` is loaded (it may hold only a block list). */
  readonly hasGlobalLists: boolean;
  /** The first `EgressDomainList`, named by root-default decisions. */
  readonly firstList?: LayerRef;
  /**
   * Every namespace's `allowedDomains` in one index, to the namespace's path: which namespaces
   * allow a host, in one lookup, for a deny's near misses (engine/near-miss.ts).
   */
  readonly allowedAnywhere: HostIndex<string>;
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
    list.allow.forEach((entry, i) => allow.add(entry.pattern, globalEntry(ref, `spec.allow[${i}]`, entry)));
    list.block.forEach((entry, i) => block.add(entry.pattern, globalEntry(ref, `spec.block[${i}]`, entry)));
  }
  const anywhere = createHostIndex<string>();
  for (const [path, ns] of namespaces)
    for (const p of ns.resource.allowedDomains ?? []) anywhere.add(p, path);
  const chains = new Map<string, NamespaceChain>();
  for (const path of namespaces.keys()) chains.set(path, walk(namespaces, path));
  chains.set('', walk(namespaces, ''));
  const globalAllow = allow.build();
  const layer = {
    namespaces,
    chains,
    globalAllow,
    globalBlock: block.build(),
    hasNamespaces: namespaces.size > 0,
    rootDefined: globalAllow.size > 0,
    hasGlobalLists: lists.length > 0,
    allowedAnywhere: anywhere.build(),
  };
  return Object.freeze(lists.length > 0 ? extend(layer, { firstList: refOf(lists[0]) }) : layer);
}

function compileNamespace(ns: EgressNamespace): CompiledNamespace {
  const blocked = createHostIndex<number>();
  ns.blockedDomains.forEach((pattern, i) => blocked.add(pattern, i));
  const rules = (field: string, patterns: readonly HostPattern[]): readonly NamespaceRule[] =>
    Object.freeze(patterns.map((p, i) => Object.freeze({ index: `spec.${field}[${i}]`, label: p.text })));
  const base = {
    ref: refOf(ns),
    resource: ns,
    blocked: blocked.build(),
    allowedRules: rules('allowedDomains', ns.allowedDomains ?? []),
    blockedRules: rules('blockedDomains', ns.blockedDomains),
  };
  if (ns.allowedDomains === undefined) return Object.freeze(extend(base, { quarantined: false }));
  const allowed = createHostIndex<number>();
  ns.allowedDomains.forEach((pattern, i) => allowed.add(pattern, i));
  return Object.freeze(
    extend(base, { allowed: allowed.build(), quarantined: ns.allowedDomains.length === 0 }),
  );
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
  const above = defining.slice(1).map((l) => l.resource.path);
  const leaf = defining[0]?.resource.allowedDomains ?? [];
  return Object.freeze({
    levels,
    defining,
    blocking: levels.filter((l) => l.blocked.size > 0),
    leafDecides: defining
      .slice(1)
      .every((l) =>
        leaf.every((inner) => l.resource.allowedDomains?.some((outer) => patternCovers(outer, inner))),
      ),
    skipped,
    quarantined: defining.find((l) => l.quarantined),
    note: skipped.map((p) => `; namespace ${p} not defined; skipped`).join(''),
    ancestors: above.length === 0 ? '' : ` and its ancestors ${above.join(', ')}`,
  });
}
