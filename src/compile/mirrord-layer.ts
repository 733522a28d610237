/**
 * Mirrord policies (seed 000) compiled for layer 4 of PRODUCT.md §2: selectors, `targetPath` globs,
 * hostname regexes, CIDR blocks and port sets are all built here, once per snapshot, so evaluating
 * a request constructs nothing but the UTF-8 bytes of its names.
 *
 * Hostname regexes run on `Buffer`s: re2 converts a JS string to UTF-8 on every call, which costs
 * ~1 µs, while testing prepared bytes costs ~0.1 µs (research/performance-floors.md §3.4). The
 * engine encodes a request's names once (`encodeNames`) and reuses them across every rule.
 */
import { Buffer } from 'node:buffer';
import RE2 from 're2';

import type { MirrordPolicy, MirrordRule, Resource } from '../policy/types';
import type { CidrBlock, Protocol } from '../policy/values';
// The flags are part of what validation accepted; sharing them keeps load and match in step.
import { HOSTNAME_REGEX_FLAGS } from '../policy/validate-mirrord-rule';
import { compileSelector, type Labels } from './label-selector';
import { compilePortSet, type PortSet } from './port-set';

export interface MirrordRef {
  readonly kind: MirrordPolicy['kind'];
  /** `` for a cluster policy. */
  readonly namespace: string;
  readonly name: string;
}

export interface HostRegex {
  readonly source: string;
  /** Tests one name as encoded by `encodeNames`. */
  test(name: Buffer): boolean;
}

export interface CompiledMirrordRule {
  /** `network.outgoing.block[0]` */
  readonly index: string;
  readonly ipBlock: CidrBlock | undefined;
  readonly hostname: HostRegex | undefined;
  /** Undefined: any port and protocol. Otherwise the ports listed for each protocol (none: none). */
  readonly ports: Readonly<Record<Protocol, PortSet | undefined>> | undefined;
}

export interface CompiledMirrordPolicy {
  readonly ref: MirrordRef;
  /** Kubernetes namespace a `MirrordPolicy` covers (with its descendants); undefined: every agent. */
  readonly namespace: string | undefined;
  /** `namespace + '/'`, so descendant checks allocate nothing per request. */
  readonly namespacePrefix: string | undefined;
  readonly selects: ((labels: Labels) => boolean) | undefined;
  readonly targets: ((agentName: string) => boolean) | undefined;
  readonly allow: readonly CompiledMirrordRule[];
  readonly block: readonly CompiledMirrordRule[];
  /** Which `allow` rules need trying for a request (see `RuleIndex`). */
  readonly allowIndex: RuleIndex;
  readonly blockIndex: RuleIndex;
  /** Some block rule matches on an address: a CONNECT by name needs the name resolved to judge it. */
  readonly blocksByAddress: boolean;
}

/**
 * Which rules of a list can hold for a request, in list order. A list's hostname regexes run in one
 * pass (re2's multi-pattern set, linear in the name whatever the number of patterns), so a list of
 * hundreds of hostname rules costs one set match per name instead of one regex per rule.
 */
export interface RuleIndex {
  /** Positions of rules without a hostname regex: they can hold whatever the names. */
  readonly withoutHostname: readonly number[];
  /** Positions of rules that match on a hostname and nothing else but ports. */
  readonly hostnameOnly: readonly number[];
  /** Every other position, in order: what can still hold for a request that carries no name. */
  readonly notHostnameOnly: readonly number[];
  /** Positions, ascending, of the rules that can hold given these names (at least one name). */
  candidates(names: readonly Buffer[]): number[];
}

export interface MirrordLayer {
  /** In load order; evaluation reports the first that forbids. */
  readonly policies: readonly CompiledMirrordPolicy[];
  /**
   * The policies selecting each agent the snapshot declares, worked out at load: selectors, globs
   * and namespaces are then not evaluated per request (see `policiesSelecting`).
   */
  readonly byAgent: ReadonlyMap<string, AgentSelection>;
}

/** Who a policy is matched against: an agent's name, namespace path and labels. */
export interface SelectionSubject {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
}

interface AgentSelection {
  readonly namespace: string;
  /** The declared agent's own labels object: an agent with other labels is selected afresh. */
  readonly labels: Labels;
  readonly policies: readonly CompiledMirrordPolicy[];
}

const isMirrord = (r: Resource): r is MirrordPolicy =>
  r.kind === 'MirrordPolicy' || r.kind === 'MirrordClusterPolicy';

/**
 * Throws only on a resource validation would have refused (a regex re2 rejects), which is a bug in
 * whoever built it; the snapshot store keeps the last good snapshot when compiling throws.
 */
export function compileMirrordLayer(
  resources: readonly Resource[],
  agents: Iterable<SelectionSubject> = [],
): MirrordLayer {
  const policies = Object.freeze(resources.filter(isMirrord).map(compilePolicy));
  const byAgent = new Map<string, AgentSelection>();
  if (policies.length > 0) {
    for (const agent of agents) {
      if (byAgent.has(agent.name)) continue;
      const selecting = Object.freeze(policies.filter((p) => selectsAgent(p, agent)));
      byAgent.set(
        agent.name,
        Object.freeze({ namespace: agent.namespace, labels: agent.labels, policies: selecting }),
      );
    }
  }
  return Object.freeze({ policies, byAgent });
}

/** The policies that select `agent`, in load order. */
export function policiesSelecting(
  layer: MirrordLayer,
  agent: SelectionSubject,
): readonly CompiledMirrordPolicy[] {
  const known = layer.byAgent.get(agent.name);
  if (known !== undefined && known.labels === agent.labels && known.namespace === agent.namespace) {
    return known.policies;
  }
  return layer.policies.filter((p) => selectsAgent(p, agent));
}

/** Cluster policies select every agent; namespaced ones their namespace and its descendants. */
export function selectsAgent(p: CompiledMirrordPolicy, agent: SelectionSubject): boolean {
  if (p.namespace !== undefined && p.namespacePrefix !== undefined) {
    if (agent.namespace !== p.namespace && !agent.namespace.startsWith(p.namespacePrefix)) return false;
  }
  if (p.selects !== undefined && !p.selects(agent.labels)) return false;
  return p.targets === undefined || p.targets(agent.name);
}

function compilePolicy(p: MirrordPolicy): CompiledMirrordPolicy {
  const namespace = p.kind === 'MirrordPolicy' ? p.meta.namespace : undefined;
  return Object.freeze({
    ref: Object.freeze({ kind: p.kind, namespace: p.meta.namespace, name: p.meta.name }),
    namespace,
    namespacePrefix: namespace === undefined ? undefined : `${namespace}/`,
    selects: p.selector === undefined ? undefined : compileSelector(p.selector),
    targets: p.targetPath === undefined ? undefined : compileGlob(p.targetPath),
    allow: Object.freeze(p.allow.map((r, i) => compileRule(r, `network.outgoing.allow[${i}]`))),
    block: Object.freeze(p.block.map((r, i) => compileRule(r, `network.outgoing.block[${i}]`))),
    allowIndex: compileRuleIndex(p.allow),
    blockIndex: compileRuleIndex(p.block),
    blocksByAddress: p.block.some((r) => r.ipBlock !== undefined),
  });
}

function compileRule(rule: MirrordRule, index: string): CompiledMirrordRule {
  return Object.freeze({
    index,
    ipBlock: rule.ipBlock,
    hostname: rule.hostname === undefined ? undefined : compileHostRegex(rule.hostname),
    ports: rule.ports.length === 0 ? undefined : compilePorts(rule.ports),
  });
}

function compileRuleIndex(rules: readonly MirrordRule[]): RuleIndex {
  const withoutHostname: number[] = [];
  const hostnameOnly: number[] = [];
  const positions: number[] = [];
  const sources: string[] = [];
  rules.forEach((rule, position) => {
    if (rule.hostname === undefined) {
      withoutHostname.push(position);
      return;
    }
    if (rule.ipBlock === undefined) hostnameOnly.push(position);
    positions.push(position);
    sources.push(rule.hostname);
  });
  const set = sources.length === 0 ? undefined : new RE2.Set(sources, HOSTNAME_REGEX_FLAGS);
  const skip = new Set(hostnameOnly);
  return Object.freeze({
    withoutHostname: Object.freeze(withoutHostname),
    hostnameOnly: Object.freeze(hostnameOnly),
    notHostnameOnly: Object.freeze(rules.map((_r, i) => i).filter((i) => !skip.has(i))),
    candidates(names: readonly Buffer[]): number[] {
      if (set === undefined) return [...withoutHostname];
      const found = new Set<number>(withoutHostname);
      for (const name of names) for (const i of set.match(name)) found.add(positions[i]!);
      return [...found].sort((a, b) => a - b);
    },
  });
}

function compileHostRegex(source: string): HostRegex {
  const regex = new RE2(source, HOSTNAME_REGEX_FLAGS);
  return Object.freeze({ source, test: (name: Buffer) => regex.test(name) });
}

function compilePorts(ports: MirrordRule['ports']): Readonly<Record<Protocol, PortSet | undefined>> {
  const setFor = (protocol: Protocol): PortSet | undefined => {
    const listed = ports.filter((p) => p.protocol === protocol).map((p) => ({ start: p.port, end: p.port }));
    return listed.length === 0 ? undefined : compilePortSet(listed);
  };
  return Object.freeze({ tcp: setFor('tcp'), udp: setFor('udp') });
}

/** A request's names as the bytes `HostRegex.test` takes (normalised names are ASCII). */
export function encodeNames(names: readonly string[]): Buffer[] {
  return names.map((name) => Buffer.from(name, 'utf8'));
}

const anyName = (): boolean => true;

/**
 * `*` any run of characters (including none), `?` exactly one, everything else literal. Matched by
 * the two-pointer walk with one backtrack point: O(pattern × name) at worst, no regex, no
 * catastrophic backtracking however many stars a policy writes.
 */
export function compileGlob(glob: string): (name: string) => boolean {
  if (/^\*+$/.test(glob)) return anyName;
  if (!/[*?]/.test(glob)) return (name) => name === glob;
  return (name) => {
    let p = 0;
    let n = 0;
    let star = -1;
    let resume = 0;
    while (n < name.length) {
      if (p < glob.length && (glob[p] === '?' || glob[p] === name[n])) {
        p++;
        n++;
      } else if (p < glob.length && glob[p] === '*') {
        star = p++;
        resume = n;
      } else if (star >= 0) {
        p = star + 1;
        n = ++resume;
      } else {
        return false;
      }
    }
    while (p < glob.length && glob[p] === '*') p++;
    return p === glob.length;
  };
}
