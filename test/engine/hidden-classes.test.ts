/**
 * Objects the engine reads per request must share V8 hidden classes with their kind: with one
 * class per object (what an object spread makes on Node 20), every property read on 10,000 agents
 * or namespaces is a megamorphic lookup, and deciding got ten times slower (BENCHMARKS.md "Every
 * layer"). This walks a compiled snapshot and decisions made against it and counts the hidden
 * classes of each kind of object, found by where it sits and which keys it has.
 */
import { setFlagsFromString } from 'node:v8';
import { corpus, requests } from '../../bench/layers.bench';
import { compileSnapshot } from '../../src/compile/snapshot';
import { decide } from '../../src/engine/decide';
import { resolveAgent } from '../../src/identity/resolve-agent';
import { parseDocuments } from '../../src/policy/documents';
import { validateDocuments } from '../../src/policy/validate';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** V8's inline caches stay fast up to four hidden classes at one site. */
const POLYMORPHIC_LIMIT = 4;

const SIZE = {
  routeMatches: 200,
  mirrordPolicies: 4,
  mirrordRulesEach: 10,
  firewallPolicies: 10,
  firewallRulesEach: 5,
  globalEntries: 100,
  namespaces: 100,
  agents: 400,
};

interface Group {
  readonly classes: object[];
  count: number;
}

function classesByKind(roots: readonly unknown[], rootName: string): Map<string, Group> {
  const groups = new Map<string, Group>();
  const seen = new Set<object>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 12) return;
    seen.add(value);
    if (ArrayBuffer.isView(value) || value instanceof Set || typeof value === 'function') return;
    if (value instanceof Map) {
      for (const v of value.values()) walk(v, `${path}.get()`, depth + 1);
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) walk(v, `${path}[]`, depth + 1);
      return;
    }
    const keys = Object.keys(value);
    const kind = `${path} {${keys.join(',')}}`;
    let group = groups.get(kind);
    if (group === undefined) groups.set(kind, (group = { classes: [], count: 0 }));
    group.count++;
    if (!group.classes.some((c) => haveSameMap(c, value))) group.classes.push(value);
    for (const key of keys) walk((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
  };
  for (const root of roots) walk(root, rootName, 0);
  return groups;
}

function overLimit(groups: Map<string, Group>): string[] {
  return [...groups]
    .filter(([, g]) => g.classes.length > POLYMORPHIC_LIMIT)
    .map(([kind, g]) => `${kind}: ${g.classes.length} hidden classes for ${g.count} objects`);
}

describe('hidden classes of what the engine reads', () => {
  const parsed = parseDocuments('corpus.yaml', corpus(SIZE));
  const validated = validateDocuments(parsed.docs);
  const snapshot = compileSnapshot(validated.resources, { version: 1 });

  it('the natives check itself tells classes apart', () => {
    expect(haveSameMap({ a: 1 }, { a: 2 })).toBe(true);
    expect(haveSameMap({ a: 1 }, { b: 1 })).toBe(false);
  });

  it('a compiled snapshot has at most four per kind of object', () => {
    expect(validated.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const groups = classesByKind([snapshot], 'snapshot');
    expect([...groups.values()].some((g) => g.count >= SIZE.agents)).toBe(true);
    expect(overLimit(groups)).toEqual([]);
  });

  it('identities and decisions have at most four per kind of object', () => {
    const decisions = requests(SIZE, 500).map((r) => {
      const agent = resolveAgent(snapshot.agents, r);
      return { agent, decision: decide(snapshot, r, agent, { id: 'd' }) };
    });
    const groups = classesByKind(decisions, 'made');
    expect(overLimit(groups)).toEqual([]);
  });
});
