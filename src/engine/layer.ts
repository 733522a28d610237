/**
 * A LayerResult with every key present, in one order: the results of every layer share one hidden
 * class, so the engine's loops over a trace stay monomorphic (see src/policy/extend.ts).
 */
export function layerResult(
  layer: Layer,
  outcome: LayerResult['outcome'],
  reasonCode: ReasonCode | undefined,
  reason: string,
  policy?: ResourceRef,
  rule?: RuleRef,
  shadow?: boolean,
): LayerResult {
  return { layer, outcome, reasonCode, reason, policy, rule, shadow };
}

/** The same result downgraded by shadow mode: let through, recorded as what would have been denied. */
export function shadowOf(r: LayerResult): LayerResult {
  return layerResult(r.layer, 'audit', r.reasonCode, r.reason, r.policy, r.rule, true);
}

/**
 * What every layer evaluator receives. Layers are pure functions of the compiled snapshot part
 * they own and this input; they return one `LayerResult` (or abstain).
 */
import type { IpAddress } from '../policy/values';
import type {
  Agent,
  Destination,
  EgressRequest,
  Layer,
  LayerResult,
  ReasonCode,
  ResourceRef,
  RuleRef,
} from './types';

export interface LayerInput {
  readonly request: EgressRequest;
  readonly dest: Destination;
  readonly agent: Agent;
  /**
   * Addresses the destination name resolved to, when the caller resolved it beforehand (firewall
   * lists mixing names and CIDRs). Undefined: not resolved (or nothing to resolve).
   */
  readonly resolved?: readonly IpAddress[] | undefined;
  /**
   * Set when the name was looked up and the lookup gave no usable addresses (timed out, SERVFAIL,
   * no such name, no addresses): a layer that needs the addresses denies (`resolution_failed`).
   */
  readonly resolutionFailure?: string | undefined;
  /** `describeTarget(dest)`, when the caller made it once for every layer. */
  readonly target?: string;
}
