/**
 * What every layer evaluator receives. Layers are pure functions of the compiled snapshot part
 * they own and this input; they return one `LayerResult` (or abstain).
 */
import type { IpAddress } from '../policy/values';
import type { Agent, Destination, EgressRequest } from './types';

export interface LayerInput {
  readonly request: EgressRequest;
  readonly dest: Destination;
  readonly agent: Agent;
  /**
   * Addresses the destination name resolved to, when the caller resolved it beforehand (firewall
   * lists mixing names and CIDRs, seeds 002/004). Undefined: not resolved (or nothing to resolve).
   */
  readonly resolved?: readonly IpAddress[];
  /** `describeTarget(dest)`, when the caller made it once for every layer. */
  readonly target?: string;
}
