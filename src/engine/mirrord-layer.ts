/**
 * Layer 4 of PRODUCT.md §2: the mirrord policies (seed 000) that select the agent.
 *
 * Every selecting policy must permit, and each is judged by the seed's four steps exactly:
 *   1. no allow and no block rules          → permitted
 *   2. allow rules exist and none matches   → forbidden (`mirrord_not_allowed`)
 *   3. any block rule matches               → forbidden, even if allowed (`mirrord_blocked`)
 *   4. otherwise                            → permitted (`mirrord_allowed`)
 * A rule matches when all its given fields hold. A field the request carries no evidence for (a
 * hostname with no name, an ipBlock with no address) does not hold; when that is all that kept a
 * rule from matching, the reason says so, so operators see the gap (PRODUCT.md §2).
 */
import { encodeNames, policiesSelecting } from '../compile/mirrord-layer';
import type {
  CompiledMirrordPolicy,
  CompiledMirrordRule,
  RuleIndex,
  MirrordLayer,
} from '../compile/mirrord-layer';
import { cidrContainsIp } from '../policy/cidr';
import type { CidrBlock, IpAddress } from '../policy/values';
import { describeTarget } from './describe';
import type { LayerInput } from './layer';
import { embeddedIpv4 } from '../policy/ip';
import type { Destination, LayerResult, ReasonCode } from './types';

type Missing = 'name' | 'address';
type RuleOutcome = 'match' | 'miss' | Missing;

/** One request's evidence, with its names encoded at most once for all rules of all policies. */
interface Evidence {
  readonly dest: Destination;
  names(): readonly Buffer[];
  /** Addresses the destination name resolved to (caller's lookup); judged by block rules only. */
  readonly resolved: readonly IpAddress[] | undefined;
}

interface PolicyVerdict {
  readonly permitted: boolean;
  readonly code: ReasonCode;
  /** Rule index (`network.outgoing.block[0]`) or the list/section the verdict rests on. */
  readonly rule: string;
  readonly why: string;
  /** Rules that could not be evaluated for lack of evidence, and which evidence. */
  readonly gaps: Gaps;
}

/** Shared, so a snapshot without mirrord policies costs nothing per request. */
const NONE_LOADED: LayerResult = Object.freeze({
  layer: 'mirrord',
  outcome: 'abstain',
  reason: 'no mirrord policy is loaded',
});

export function evaluateMirrord(layer: MirrordLayer, input: LayerInput): LayerResult {
  if (layer.policies.length === 0) return NONE_LOADED;
  const { agent, dest } = input;
  const selecting = policiesSelecting(layer, agent);
  if (selecting.length === 0) {
    return {
      layer: 'mirrord',
      outcome: 'abstain',
      reason: `no mirrord policy selects agent ${agent.name}`,
    };
  }
  let encoded: Buffer[] | undefined;
  const evidence: Evidence = {
    dest,
    names: () => (encoded ??= encodeNames(dest.names)),
    resolved: input.resolved,
  };
  const target = input.target ?? describeTarget(dest);

  let first: { policy: CompiledMirrordPolicy; verdict: PolicyVerdict } | undefined;
  for (const policy of selecting) {
    const verdict = evaluatePolicy(policy, evidence);
    if (!verdict.permitted) {
      return result(
        'deny',
        policy,
        verdict,
        `${target} ${verdict.why} of ${show(policy)}${gapText(verdict)}`,
      );
    }
    first ??= { policy, verdict };
  }
  // `selecting` is not empty and nothing forbade, so the first policy's permit is recorded.
  const { policy, verdict } = first as { policy: CompiledMirrordPolicy; verdict: PolicyVerdict };
  const others = selecting.length - 1;
  const also =
    others === 0
      ? ''
      : `; ${others} other mirrord polic${others === 1 ? 'y also permits' : 'ies also permit'}`;
  return result(
    'allow',
    policy,
    verdict,
    `${target} permitted by ${show(policy)}: ${verdict.why}${also}${gapText(verdict)}`,
  );
}

function result(
  outcome: 'allow' | 'deny',
  policy: CompiledMirrordPolicy,
  verdict: PolicyVerdict,
  reason: string,
): LayerResult {
  return {
    layer: 'mirrord',
    outcome,
    reasonCode: verdict.code,
    reason,
    policy: policy.ref,
    rule: { index: verdict.rule, label: verdict.rule },
  };
}

function evaluatePolicy(p: CompiledMirrordPolicy, ev: Evidence): PolicyVerdict {
  if (p.allow.length === 0 && p.block.length === 0) {
    return verdict(true, 'mirrord_allowed', 'network.outgoing', 'it has no outgoing rules', NO_GAPS);
  }
  const allowGaps = createGaps();
  let allowedBy: CompiledMirrordRule | undefined;
  if (p.allow.length > 0) {
    allowedBy = firstHolding(p.allow, p.allowIndex, ev, false, allowGaps);
    if (allowedBy === undefined) {
      return verdict(
        false,
        'mirrord_not_allowed',
        'network.outgoing.allow',
        'matches no allow rule',
        allowGaps,
      );
    }
  }
  const blockGaps = createGaps();
  const blockedBy = firstHolding(p.block, p.blockIndex, ev, true, blockGaps);
  if (blockedBy !== undefined) {
    return verdict(
      false,
      'mirrord_blocked',
      blockedBy.index,
      `matches block rule ${blockedBy.index}`,
      NO_GAPS,
    );
  }
  return allowedBy === undefined
    ? verdict(
        true,
        'mirrord_allowed',
        'network.outgoing.block',
        'no allow rules and no block rule matches',
        blockGaps,
      )
    : verdict(
        true,
        'mirrord_allowed',
        allowedBy.index,
        `allow rule ${allowedBy.index}, no block rule matches`,
        blockGaps,
      );
}

function verdict(permitted: boolean, code: ReasonCode, rule: string, why: string, gaps: Gaps): PolicyVerdict {
  return { permitted, code, rule, why, gaps };
}

/**
 * The first rule of a list that holds, trying only the rules the list's index says can. With no
 * name in the request, rules matching on a hostname alone cannot be judged: they are counted as
 * gaps in bulk rather than tried one by one.
 */
function firstHolding(
  rules: readonly CompiledMirrordRule[],
  index: RuleIndex,
  ev: Evidence,
  block: boolean,
  gaps: Gaps,
): CompiledMirrordRule | undefined {
  const names = ev.names();
  let positions: readonly number[];
  if (names.length > 0) {
    positions = index.candidates(names);
  } else {
    for (const position of index.hostnameOnly) gaps.add(rules[position]!.index, 'name');
    positions = index.notHostnameOnly;
  }
  for (const position of positions) {
    const rule = rules[position]!;
    if (holds(rule, ev, block, gaps)) return rule;
  }
  return undefined;
}

/**
 * Rules that could not be judged for lack of evidence, for the reason text: a count and the first
 * few, so a list of hundreds of hostname rules facing an IP-only request stays cheap and readable.
 */
const GAP_EXAMPLES = 3;

class Gaps {
  count = 0;
  readonly examples: string[] = [];

  add(index: string, missing: 'name' | 'address'): void {
    this.count++;
    if (this.examples.length < GAP_EXAMPLES) this.examples.push(`${index} (no ${missing} evidence)`);
  }
}

const createGaps = (): Gaps => new Gaps();

const NO_GAPS = createGaps();

/** True when the rule matches; records it in `gaps` when only missing evidence stopped it. */
function holds(rule: CompiledMirrordRule, ev: Evidence, block: boolean, gaps: Gaps): boolean {
  const outcome = matchRule(rule, ev, block);
  if (outcome === 'name' || outcome === 'address') gaps.add(rule.index, outcome);
  return outcome === 'match';
}

function matchRule(rule: CompiledMirrordRule, ev: Evidence, block: boolean): RuleOutcome {
  const { dest } = ev;
  if (rule.ports !== undefined && rule.ports[dest.protocol]?.has(dest.port) !== true) return 'miss';
  let missing: Missing | undefined;
  if (rule.ipBlock !== undefined) {
    const ipBlock = rule.ipBlock;
    if (dest.ip !== undefined) {
      if (!inBlock(ipBlock, dest.ip, block ? dest.embeddedIpv4 : undefined)) return 'miss';
    } else if (block && ev.resolved !== undefined && ev.resolved.length > 0) {
      // A CONNECT by name: what the name resolves to is what Envoy will dial. Blocks only; a
      // resolved address never grants an allow.
      const embedded = (a: IpAddress) => (a.family === 6 ? embeddedIpv4(a) : undefined);
      if (!ev.resolved.some((a) => inBlock(ipBlock, a, embedded(a)))) return 'miss';
    } else {
      missing = 'address';
    }
  }
  if (rule.hostname !== undefined) {
    const names = ev.names();
    if (names.length === 0) missing ??= 'name';
    else if (!names.some((name) => rule.hostname?.test(name) === true)) return 'miss';
  }
  return missing ?? 'match';
}

/** Inside `cidr` and outside every `except`; block rules also judge an embedded IPv4 (NAT64, 6to4…). */
function inBlock(block: CidrBlock, ip: IpAddress, embedded: IpAddress | undefined): boolean {
  const inside = (addr: IpAddress): boolean =>
    cidrContainsIp(block.cidr, addr) && !block.except.some((e) => cidrContainsIp(e, addr));
  return inside(ip) || (embedded !== undefined && inside(embedded));
}

function show(p: CompiledMirrordPolicy): string {
  const { kind, namespace, name } = p.ref;
  return namespace === '' ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
}

function gapText(v: PolicyVerdict): string {
  const { count, examples } = v.gaps;
  if (count === 0) return '';
  const more = count > examples.length ? `, and ${count - examples.length} more` : '';
  return `; not evaluated: ${examples.join(', ')}${more}`;
}
