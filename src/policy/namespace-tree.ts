/**
 * The EgressNamespace hierarchy as pure functions over paths: who is whose ancestor, and the
 * invariant "children may only narrow".
 *
 * Validation (on load), the compiled layer and the admin API (on create and update) all use these,
 * so a tree the API refuses is exactly a tree the loader refuses.
 *
 * Coverage is checked one child domain against one ancestor pattern at a time (`patternCovers`).
 * That is exact, not an approximation: with `*.` one label and `**.` any depth, a finite union of
 * patterns covers a wildcard only if one of them covers it alone (there are always labels no exact
 * name or deeper pattern mentions).
 */
import { patternCovers } from './hostname';
import type { EgressNamespace } from './types';
import type { HostPattern } from './values';

/** Deepest path accepted: far more than any org chart, small enough that a walk stays trivial. */
export const MAX_NAMESPACE_DEPTH = 16;

/** The namespace API's `child_widens_parent` answer, as the admin API returns it. */
export interface ChildWidensParent {
  readonly kind: 'child_widens_parent';
  readonly namespace: string;
  readonly domain: string;
  readonly ancestor: string;
  readonly message: string;
}

/** One entry of the namespace API's `cascade_warnings`. */
export interface CascadeViolation {
  readonly child: string;
  readonly uncovered_domains: string[];
}

/** `prod/payments/eu-west` → `['prod/payments', 'prod']`, nearest first; the root `` is not a path. */
export function ancestorPaths(path: string): string[] {
  const out: string[] = [];
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
    out.push(path.slice(0, slash));
  }
  return out;
}

export function isDescendantPath(path: string, ancestor: string): boolean {
  return path.length > ancestor.length + 1 && path.startsWith(ancestor) && path[ancestor.length] === '/';
}

/** Whether some pattern of `list` matches every host `pattern` matches. */
export function listCovers(list: readonly HostPattern[], pattern: HostPattern): boolean {
  return list.some((outer) => patternCovers(outer, pattern));
}

/** The first definition of each path, in order: the one the snapshot keeps when paths repeat. */
export function namespacesByPath(namespaces: readonly EgressNamespace[]): Map<string, EgressNamespace> {
  const byPath = new Map<string, EgressNamespace>();
  for (const ns of namespaces) if (!byPath.has(ns.path)) byPath.set(ns.path, ns);
  return byPath;
}

/**
 * Every domain of `candidate.allowedDomains` that some ancestor defining `allowedDomains` does not
 * cover, one entry per domain naming the nearest such ancestor. Ancestors that are not defined, or
 * define no list, are skipped, as the request-time walk skips them. `namespaces` may contain the
 * candidate's current definition (an update); it is never its own ancestor.
 */
export function narrowingViolations(
  namespaces: readonly EgressNamespace[],
  candidate: EgressNamespace,
): ChildWidensParent[] {
  if (candidate.allowedDomains === undefined) return [];
  const byPath = namespacesByPath(namespaces);
  const ancestors = ancestorPaths(candidate.path).flatMap((path) => {
    const allowed = byPath.get(path)?.allowedDomains;
    return allowed === undefined ? [] : [{ path, allowed }];
  });
  const violations: ChildWidensParent[] = [];
  for (const domain of candidate.allowedDomains) {
    const ancestor = ancestors.find((a) => !listCovers(a.allowed, domain));
    if (ancestor === undefined) continue;
    violations.push({
      kind: 'child_widens_parent',
      namespace: candidate.path,
      domain: domain.text,
      ancestor: ancestor.path,
      message: `domain ${domain.text} is not covered by ancestor ${ancestor.path}`,
    });
  }
  return violations;
}

/** The first violation (a child trying to widen), in the order the candidate lists its domains. */
export function checkNarrowing(
  namespaces: readonly EgressNamespace[],
  candidate: EgressNamespace,
): ChildWidensParent | undefined {
  return narrowingViolations(namespaces, candidate)[0];
}

/**
 * Descendants whose own `allowedDomains` the candidate's list would no longer cover (a parent
 * update that would break a child), by path. A candidate without `allowedDomains` restricts
 * nothing, so it breaks no one.
 */
export function cascadeViolations(
  namespaces: readonly EgressNamespace[],
  candidate: EgressNamespace,
): CascadeViolation[] {
  const parentList = candidate.allowedDomains;
  if (parentList === undefined) return [];
  const out: CascadeViolation[] = [];
  for (const [path, ns] of namespacesByPath(namespaces)) {
    if (!isDescendantPath(path, candidate.path) || ns.allowedDomains === undefined) continue;
    const uncovered = ns.allowedDomains.filter((d) => !listCovers(parentList, d)).map((d) => d.text);
    if (uncovered.length > 0) out.push({ child: path, uncovered_domains: uncovered });
  }
  return out.sort((a, b) => (a.child < b.child ? -1 : a.child > b.child ? 1 : 0));
}
