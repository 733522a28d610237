/**
 * decide(snapshot, request, agent) → Decision: pure and synchronous (PRODUCT.md §1).
 *
 *   canonicalise destination ── invalid ──► deny invalid_destination
 *        │
 *   layers in order (ssrf, global, gateway, mirrord, firewall, namespace), each allow/deny/abstain/audit
 *        │
 *   combine: the first enforced deny decides; shadow denies become audit records and evaluation
 *   goes on; every layer abstaining is a deny (no_policy). The zero value is deny.
 */
import type { Snapshot } from '../compile/snapshot';
import type { IpAddress } from '../policy/values';
import { canonicalizeDestination } from './destination';
import { evaluateGateway } from './gateway-layer';
import { evaluateMirrord } from './mirrord-layer';
import { evaluateFirewall } from './firewall-layer';
import { evaluateGlobalBlock, evaluateNamespaces } from './namespace-layer';
import { describeTarget } from './describe';
import { applyBindings, type BindingLookup } from './name-evidence';
import { layerResult, type LayerInput } from './layer';
import type {
  Agent,
  Decision,
  DecisionNote,
  DenyHttpResponse,
  Destination,
  EgressRequest,
  Layer,
  LayerResult,
  ReasonCode,
} from './types';

export interface DecideContext {
  /** Decision id, chosen by the caller so the engine stays deterministic. */
  readonly id: string;
  /** This agent's live DNS bindings (ip → names), when the DNS resolver runs. */
  readonly bindings?: BindingLookup | undefined;
  /**
   * Addresses the destination name resolved to, looked up by the caller beforehand when a list
   * mixing names and CIDRs needs them (`needsResolution`); the engine itself never does IO.
   */
  readonly resolved?: readonly IpAddress[] | undefined;
}

/** The destination parsed; it is in `Decision.destination`, so the trace entry can be shared. */
const SANITY_PASSED: LayerResult = Object.freeze(
  layerResult('sanity', 'abstain', undefined, 'destination parsed and canonicalised'),
);

const ALLOWED: DenyHttpResponse = Object.freeze({ status: 200, body: '', headers: Object.freeze({}) });

/** The default HTTP answer to a deny: 403 with a one-line body that names the reason code. */
export function defaultDenyResponse(reasonCode: ReasonCode, reason: string): DenyHttpResponse {
  return { status: 403, body: `Egress denied by Portcullis (${reasonCode}): ${reason}\n`, headers: {} };
}

export function decide(
  snapshot: Snapshot | undefined,
  request: EgressRequest,
  agent: Agent,
  context: DecideContext,
): Decision {
  const base = { id: context.id, agent: agentRef(agent), snapshotVersion: snapshot?.version ?? 0 };
  if (!snapshot) {
    return denied(base, 'sanity', 'no_snapshot', 'no policy snapshot is loaded; failing closed', [], []);
  }
  const canonical = canonicalizeDestination(request.destination);
  if (!canonical.ok) {
    return denied(base, 'sanity', 'invalid_destination', canonical.message, [], []);
  }
  const evidence = applyBindings(canonical.destination, context.bindings);
  const dest = evidence.dest;
  const target = describeTarget(dest);
  const input: LayerInput = {
    request,
    dest,
    agent,
    resolved: context.resolved,
    target,
  };
  // Layers in PRODUCT.md §2 order. All are evaluated, so the trace explains every layer, not
  // just the one that decided; `combine` takes the first deny.
  const gateway = evaluateGateway(snapshot, request, dest, agent, target);
  const trace: LayerResult[] = [SANITY_PASSED];
  for (const r of gateway.results) if (r.layer === 'ssrf') trace.push(r);
  trace.push(evaluateGlobalBlock(snapshot.namespaces, input));
  for (const r of gateway.results) if (r.layer !== 'ssrf') trace.push(r);
  trace.push(evaluateMirrord(snapshot.mirrord, input));
  trace.push(evaluateFirewall(snapshot.firewall, input));
  trace.push(evaluateNamespaces(snapshot.namespaces, input));

  const notes =
    gateway.notes.length === 0
      ? evidence.notes
      : evidence.notes.length === 0
        ? gateway.notes
        : [...evidence.notes, ...gateway.notes];
  return combine(base, dest, trace, notes, gateway.denyResponse);
}

/** A deny for a request an adapter could not translate (malformed CheckRequest and the like). */
export function decideInvalidRequest(
  snapshotVersion: number,
  agent: Agent,
  id: string,
  message: string,
  reasonCode: 'invalid_request' | 'internal_error' = 'invalid_request',
): Decision {
  return denied({ id, agent: agentRef(agent), snapshotVersion }, 'sanity', reasonCode, message, [], []);
}

type Base = Pick<Decision, 'id' | 'agent' | 'snapshotVersion'>;

function agentRef(agent: Agent): Decision['agent'] {
  return { name: agent.name, namespace: agent.namespace, identifiedBy: agent.identifiedBy };
}

/**
 * The one place a Decision is built. Every field is always present and in the same order, so
 * all decisions share one hidden class: on the hot path this is measurably cheaper than spreads.
 */
function make(
  base: Base,
  verdict: Decision['verdict'],
  enforced: boolean,
  from: Pick<LayerResult, 'layer' | 'reasonCode' | 'reason' | 'policy' | 'rule'>,
  reason: string,
  response: DenyHttpResponse,
  destination: Destination | undefined,
  notes: readonly DecisionNote[],
  trace: readonly LayerResult[],
): Decision {
  return {
    id: base.id,
    verdict,
    enforced,
    layer: from.layer,
    reasonCode: from.reasonCode ?? 'internal_error',
    reason,
    policy: from.policy,
    rule: from.rule,
    response,
    destination,
    agent: base.agent,
    notes,
    trace,
    snapshotVersion: base.snapshotVersion,
  };
}

function denied(
  base: Base,
  layer: Layer,
  reasonCode: ReasonCode,
  reason: string,
  trace: readonly LayerResult[],
  notes: readonly DecisionNote[],
  destination?: Destination,
): Decision {
  const result = layerResult(layer, 'deny', reasonCode, reason);
  return make(
    base,
    'deny',
    true,
    result,
    reason,
    defaultDenyResponse(reasonCode, reason),
    destination,
    notes,
    trace.length > 0 ? trace : [result],
  );
}

function combine(
  base: Base,
  dest: Destination,
  trace: readonly LayerResult[],
  notes: readonly DecisionNote[],
  policyResponse: DenyHttpResponse | undefined,
): Decision {
  let allow: LayerResult | undefined;
  let shadowDeny: LayerResult | undefined;
  for (const r of trace) {
    if (r.outcome === 'deny') {
      const response =
        r.reasonCode === 'deny_policy' && policyResponse
          ? policyResponse
          : defaultDenyResponse(r.reasonCode ?? 'internal_error', r.reason);
      return make(base, 'deny', true, r, r.reason, response, dest, notes, trace);
    }
    if (r.shadow === true) shadowDeny ??= r;
    else if (r.outcome === 'allow' || r.outcome === 'audit') allow ??= r;
  }
  if (shadowDeny) {
    return make(
      base,
      'allow',
      false,
      shadowDeny,
      `[shadow] would deny — ${shadowDeny.reason}`,
      ALLOWED,
      dest,
      notes,
      trace,
    );
  }
  if (!allow) {
    return denied(
      base,
      'sanity',
      'no_policy',
      `no loaded policy applies to ${describeTarget(dest)}; failing closed`,
      trace,
      notes,
      dest,
    );
  }
  return make(base, 'allow', true, allow, allow.reason, ALLOWED, dest, notes, trace);
}
