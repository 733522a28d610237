/**
 * Layer 4 (docs/architecture.md): the mirrord policies that select the agent.
 *
 * Every selecting policy must permit, and each is judged by mirrord's four steps exactly:
 *   1. no allow and no block rules          → permitted
 *   2. allow rules exist and none matches   → forbidden (`mirrord_not_allowed`)
 *   3. any block rule matches               → forbidden, even if allowed (`mirrord_blocked`)
 *   4. otherwise                            → permitted (`mirrord_allowed`)
 * A rule matches when all its given fields hold. A field the request carries no evidence for (a
 * hostname with no name, an ipBlock with no address) does not hold; when that is all that kept a
 * rule from matching, the reason says so, so operators see the gap.
 */
import { encodeNames, policiesSelecting } from '../compile/mirrord-layer';
import type {
  CompiledMirrordPolicy,
  CompiledMirrordRule,
  EncodedNames,
  HostRegex,
  MirrordLayer,
  RuleIndex,
} from '../compile/mirrord-layer';
import { cidrContainsIp } from '../policy/cidr';
import type { CidrBlock, IpAddress } from '../policy/values';
import { describeTarget } from './describe';
import { layerResult, type LayerInput } from './layer';
import { embeddedIpv4 } from '../policy/ip';
import type { Destination, LayerResult, ReasonCode, RuleRef } from './types';

type Missing = 'name' | 'address';
type RuleOutcome = 'match' | 'miss' | Missing;

/**
 * Rules that could not be judged for lack of evidence, for the reason text: a count and the first
 * few, so a list of hundreds of hostname rules facing an IP-only request stays cheap and readable.
 */
const GAP_EXAMPLES = 3;
const NO_NAME = ' (no name evidence)';
const NO_ADDRESS = ' (no address evidence)';

/**
 * One request's evidence, with its names encoded at most once for all rules of all policies (and
 * not at all when no regex runs: ~115 ns saved), and the gaps of the rule list being judged: the
 * one object a request allocates before its result.
 */
class Scan implements EncodedNames {
  readonly dest: Destination;
  readonly names: readonly string[];
  /** Addresses the destination name resolved to (caller's lookup); judged by block rules only. */
  readonly resolved: readonly IpAddress[] | undefined;
  private encoded: readonly Buffer[] | undefined = undefined;
  /** Rules of the current list that could not be evaluated for lack of evidence. */
  gapCount = 0;
  /** The first `GAP_EXAMPLES` of them, `, `-separated, as the reason lists them. */
  gapExamples = '';

  constructor(dest: Destination, resolved: readonly IpAddress[] | undefined) {
    this.dest = dest;
    this.names = dest.names;
    this.resolved = resolved;
  }

  bytes(): readonly Buffer[] {
    return (this.encoded ??= encodeNames(this.names));
  }

  clearGaps(): void {
    this.gapCount = 0;
    this.gapExamples = '';
  }

  addGap(index: string, missing: Missing): void {
    if (this.gapCount < GAP_EXAMPLES) {
      const example = index + (missing === 'name' ? NO_NAME : NO_ADDRESS);
      this.gapExamples = this.gapCount === 0 ? example : `${this.gapExamples}, ${example}`;
    }
    this.gapCount++;
  }

  /** `; not evaluated: …` for the current list's gaps, or `` when there are none. */
  gapText(): string {
    const count = this.gapCount;
    if (count === 0) return '';
    const shown = count < GAP_EXAMPLES ? count : GAP_EXAMPLES;
    const more = count > shown ? `, and ${count - shown} more` : '';
    return `; not evaluated: ${this.gapExamples}${more}`;
  }
}

/** How one policy judged the request; the gaps it rests on are the `Scan`'s at that moment. */
interface PolicyVerdict {
  readonly permitted: boolean;
  readonly code: ReasonCode;
  /** Rule index (`network.outgoing.block[0]`) or the list/section the verdict rests on. */
  readonly rule: RuleRef;
  readonly why: string;
}

const sectionRef = (index: string): RuleRef => Object.freeze({ index, label: index });

/** Verdicts that name no rule are shared: most requests end in one of them. */
const NO_RULES: PolicyVerdict = Object.freeze({
  permitted: true,
  code: 'mirrord_allowed',
  rule: sectionRef('network.outgoing'),
  why: 'it has no outgoing rules',
});
const NOT_ALLOWED: PolicyVerdict = Object.freeze({
  permitted: false,
  code: 'mirrord_not_allowed',
  rule: sectionRef('network.outgoing.allow'),
  why: 'matches no allow rule',
});
const NOTHING_BLOCKED: PolicyVerdict = Object.freeze({
  permitted: true,
  code: 'mirrord_allowed',
  rule: sectionRef('network.outgoing.block'),
  why: 'no allow rules and no block rule matches',
});

/** Shared, so a snapshot without mirrord policies costs nothing per request. */
const NONE_LOADED: LayerResult = Object.freeze(
  layerResult('mirrord', 'abstain', undefined, 'no mirrord policy is loaded'),
);

export function evaluateMirrord(layer: MirrordLayer, input: LayerInput): LayerResult {
  if (layer.policies.length === 0) return NONE_LOADED;
  const agent = input.agent;
  const selecting = policiesSelecting(layer, agent);
  if (selecting.length === 0) {
    return layerResult('mirrord', 'abstain', undefined, `no mirrord policy selects agent ${agent.name}`);
  }
  const dest = input.dest;
  const scan = new Scan(dest, input.resolved);
  const target = input.target ?? describeTarget(dest);

  let first: CompiledMirrordPolicy | undefined;
  let firstVerdict = NO_RULES;
  let firstGaps = '';
  for (let i = 0; i < selecting.length; i++) {
    const policy = selecting[i]!;
    if (input.resolutionFailure !== undefined && dest.ip === undefined && addressMayBlock(policy, dest)) {
      const reason = `${target}: a block rule of ${policy.title} judges addresses, and looking the name up through Portcullis's resolver failed (${input.resolutionFailure})`;
      return layerResult('mirrord', 'deny', 'resolution_failed', reason, policy.ref);
    }
    const verdict = evaluatePolicy(policy, scan);
    if (!verdict.permitted) {
      const reason = `${target} ${verdict.why} of ${policy.title}${scan.gapText()}`;
      return layerResult('mirrord', 'deny', verdict.code, reason, policy.ref, verdict.rule);
    }
    if (first === undefined) {
      first = policy;
      firstVerdict = verdict;
      firstGaps = scan.gapText();
    }
  }
  // `selecting` is not empty and nothing forbade, so the first policy's permit is recorded.
  const policy = first as CompiledMirrordPolicy;
  const others = selecting.length - 1;
  const also =
    others === 0
      ? ''
      : `; ${others} other mirrord polic${others === 1 ? 'y also permits' : 'ies also permit'}`;
  const reason = `${target} permitted by ${policy.title}: ${firstVerdict.why}${also}${firstGaps}`;
  return layerResult('mirrord', 'allow', firstVerdict.code, reason, policy.ref, firstVerdict.rule);
}

/** Some block rule on an address applies to this port and protocol, so the addresses matter. */
function addressMayBlock(p: CompiledMirrordPolicy, dest: Destination): boolean {
  for (const rule of p.block) {
    if (rule.ipBlock === undefined) continue;
    if (rule.ports === undefined || rule.ports[dest.protocol]?.has(dest.port) === true) return true;
  }
  return false;
}

/** Leaves in `scan` the gaps the verdict's reason reports: none for a block, else its list's. */
function evaluatePolicy(p: CompiledMirrordPolicy, scan: Scan): PolicyVerdict {
  scan.clearGaps();
  if (p.allow.length === 0 && p.block.length === 0) return NO_RULES;
  let allowedBy: CompiledMirrordRule | undefined;
  if (p.allow.length > 0) {
    allowedBy = firstHolding(p.allow, p.allowIndex, scan, false);
    if (allowedBy === undefined) return NOT_ALLOWED;
    scan.clearGaps();
  }
  const blockedBy = firstHolding(p.block, p.blockIndex, scan, true);
  if (blockedBy !== undefined) {
    scan.clearGaps();
    return verdict(false, 'mirrord_blocked', blockedBy.ref, `matches block rule ${blockedBy.index}`);
  }
  if (allowedBy === undefined) return NOTHING_BLOCKED;
  return verdict(
    true,
    'mirrord_allowed',
    allowedBy.ref,
    `allow rule ${allowedBy.index}, no block rule matches`,
  );
}

function verdict(permitted: boolean, code: ReasonCode, rule: RuleRef, why: string): PolicyVerdict {
  return { permitted, code, rule, why };
}

/**
 * The first rule of a list that holds, trying only the rules the list's index says can. With no
 * name in the request, rules matching on a hostname alone cannot be judged: they are counted as
 * gaps in bulk rather than tried one by one.
 */
function firstHolding(
  rules: readonly CompiledMirrordRule[],
  index: RuleIndex,
  scan: Scan,
  block: boolean,
): CompiledMirrordRule | undefined {
  let positions: readonly number[];
  if (scan.names.length > 0) {
    positions = index.candidates(scan.names, scan);
  } else {
    const unjudged = index.hostnameOnly;
    let i = 0;
    for (; i < unjudged.length && scan.gapCount < GAP_EXAMPLES; i++) {
      scan.addGap(rules[unjudged[i]!]!.index, 'name');
    }
    scan.gapCount += unjudged.length - i;
    positions = index.notHostnameOnly;
  }
  for (let i = 0; i < positions.length; i++) {
    const rule = rules[positions[i]!]!;
    const outcome = matchRule(rule, scan, block);
    if (outcome === 'match') return rule;
    if (outcome !== 'miss') scan.addGap(rule.index, outcome);
  }
  return undefined;
}

/**
 * Whether the rule matches, or which missing evidence alone stopped it. Only rules the list's index
 * offered get here, so a literal hostname rule is already known to match one of the names.
 */
function matchRule(rule: CompiledMirrordRule, scan: Scan, block: boolean): RuleOutcome {
  const dest = scan.dest;
  if (rule.ports !== undefined && rule.ports[dest.protocol]?.has(dest.port) !== true) return 'miss';
  let missing: Missing | undefined;
  const ipBlock = rule.ipBlock;
  if (ipBlock !== undefined) {
    if (dest.ip !== undefined) {
      if (!inBlock(ipBlock, dest.ip, block ? dest.embeddedIpv4 : undefined)) return 'miss';
    } else if (block && scan.resolved !== undefined && scan.resolved.length > 0) {
      // A CONNECT by name: what the name resolves to is what Envoy will dial. Blocks only; a
      // resolved address never grants an allow.
      if (!anyInBlock(ipBlock, scan.resolved)) return 'miss';
    } else {
      missing = 'address';
    }
  }
  const hostname = rule.hostname;
  if (hostname !== undefined) {
    if (scan.names.length === 0) missing ??= 'name';
    else if (hostname.literal === undefined && !testsAnyName(hostname, scan.bytes())) return 'miss';
  }
  return missing ?? 'match';
}

function testsAnyName(hostname: HostRegex, names: readonly Buffer[]): boolean {
  for (let i = 0; i < names.length; i++) if (hostname.test(names[i]!)) return true;
  return false;
}

function anyInBlock(block: CidrBlock, resolved: readonly IpAddress[]): boolean {
  for (let i = 0; i < resolved.length; i++) {
    const a = resolved[i]!;
    if (inBlock(block, a, a.family === 6 ? embeddedIpv4(a) : undefined)) return true;
  }
  return false;
}

/** Inside `cidr` and outside every `except`; block rules also judge an embedded IPv4 (NAT64, 6to4…). */
function inBlock(block: CidrBlock, ip: IpAddress, embedded: IpAddress | undefined): boolean {
  return insideBlock(block, ip) || (embedded !== undefined && insideBlock(block, embedded));
}

function insideBlock(block: CidrBlock, addr: IpAddress): boolean {
  if (!cidrContainsIp(block.cidr, addr)) return false;
  for (let i = 0; i < block.except.length; i++) if (cidrContainsIp(block.except[i]!, addr)) return false;
  return true;
}
