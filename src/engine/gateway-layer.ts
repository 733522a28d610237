/**
 * Layers 1 (SSRF guard) and 3 (gateway routes) of docs/architecture.md, for the EgressGateway
 * model (after CLRK): deny policies first, then allow routes, then the gateway's `defaultPolicy`.
 */
import type { CompiledGateway, Snapshot } from '../compile/snapshot';
import {
  findMatch,
  matchTargetsGuarded,
  nameRuleWouldApply,
  type MatchHit,
  type MatchQuery,
} from '../compile/route-table';
import { isGuardedIp, isGuardedName } from '../compile/guarded-ranges';
import type { Agent, DecisionNote, Destination, EgressRequest, LayerResult } from './types';
import { describeTarget } from './describe';
import { extend } from '../policy/extend';
import { layerResult, shadowOf } from './layer';
import type { NameProofMode } from './name-evidence';

export interface GatewayOutcome {
  readonly results: readonly LayerResult[];
  readonly notes: readonly DecisionNote[];
  /** The deny policy's HTTP answer, when a deny policy decided. */
  readonly denyResponse?: { status: number; body: string; headers: Readonly<Record<string, string>> };
}

type Selection =
  | { readonly kind: 'none' }
  | { readonly kind: 'gateway'; readonly gateway: CompiledGateway }
  | { readonly kind: 'error'; readonly result: LayerResult };

function selectGateway(snapshot: Snapshot, request: EgressRequest): Selection {
  const { gateway: wanted, listener } = request.context;
  let gateway: CompiledGateway | undefined;
  if (wanted !== undefined) {
    gateway = snapshot.gateways.get(wanted);
    if (!gateway) {
      return {
        kind: 'error',
        result: deny('gateway_unknown', `request names gateway "${wanted}", which is not loaded`),
      };
    }
  } else if (snapshot.gatewayCount === 0) {
    return { kind: 'none' };
  } else if (snapshot.soleGateway) {
    gateway = snapshot.soleGateway;
  } else {
    return {
      kind: 'error',
      result: deny(
        'gateway_ambiguous',
        `request names no gateway and ${snapshot.gatewayCount} are loaded; set x-portcullis-gateway or the "gateway" context extension`,
      ),
    };
  }
  if (listener !== undefined && !gateway.listeners.has(listener)) {
    return {
      kind: 'error',
      result: layerResult(
        'gateway',
        'deny',
        'listener_unknown',
        `gateway ${gateway.ref.name} has no listener "${listener}"`,
        gateway.ref,
      ),
    };
  }
  return { kind: 'gateway', gateway };
}

/**
 * How the gateway a request goes through proves claimed names (see name-evidence.ts). A request
 * that reaches no single gateway (none loaded, an unknown or ambiguous one: all of them denials
 * anyway) proves them by lookup, the safe default.
 */
export function nameProofFor(snapshot: Snapshot, request: EgressRequest): NameProofMode {
  const wanted = request.context.gateway;
  const gateway = wanted === undefined ? snapshot.soleGateway : snapshot.gateways.get(wanted);
  return gateway?.resource.nameProof ?? 'resolve';
}

const NO_CLAIMS: readonly string[] = Object.freeze([]);

const NOT_GUARDED = Object.freeze(layerResult('ssrf', 'abstain', undefined, 'not a guarded destination'));
const GUARDED_EXEMPT = Object.freeze(
  layerResult('ssrf', 'abstain', undefined, 'guarded destination targeted explicitly by a route'),
);
const NO_GATEWAY = Object.freeze(layerResult('gateway', 'abstain', undefined, 'no gateway is loaded'));

function deny(reasonCode: LayerResult['reasonCode'] & string, reason: string): LayerResult {
  return layerResult('gateway', 'deny', reasonCode, reason);
}

/**
 * Whether the allow hit explicitly targets the guarded destination, by the test the DNS layer also
 * applies to answer addresses (compile/route-table.ts).
 */
function exempts(hit: MatchHit | undefined, query: MatchQuery, guardedName: string | undefined): boolean {
  return hit !== undefined && matchTargetsGuarded(hit.match, query.ip, guardedName);
}

export function evaluateGateway(
  snapshot: Snapshot,
  request: EgressRequest,
  dest: Destination,
  agent: Agent,
  target: string = describeTarget(dest),
): GatewayOutcome {
  const selection = selectGateway(snapshot, request);
  if (selection.kind === 'error') return { results: [selection.result], notes: [] };

  const query: MatchQuery = {
    names: dest.names,
    claims: dest.claims ?? NO_CLAIMS,
    ip: dest.ip,
    port: dest.port,
    protocol: dest.protocol,
    listener: request.context.listener,
    labels: agent.labels,
  };

  if (selection.kind === 'none') {
    // No gateway: the guard still stands (fail closed); routes abstain.
    const guardedName = dest.names.find(isGuardedName);
    const guarded = guardedName !== undefined || isGuardedAddress(dest);
    return {
      results: [
        guarded
          ? layerResult('ssrf', 'deny', 'ssrf_guard', `${target} is a guarded destination`)
          : NOT_GUARDED,
        NO_GATEWAY,
      ],
      notes: [],
    };
  }

  const { gateway } = selection;
  const shadow = gateway.resource.mode === 'shadow';
  const gw = gateway.ref;
  const results: LayerResult[] = [];
  const notes: DecisionNote[] = [];
  const mark = (r: LayerResult): LayerResult => (shadow && r.outcome === 'deny' ? shadowOf(r) : r);

  const allowHit = findMatch(gateway.allow, query);

  // Layer 1: SSRF guard.
  const guardedName = gateway.resource.ssrfGuard ? dest.names.find(isGuardedName) : undefined;
  const guarded = gateway.resource.ssrfGuard && (guardedName !== undefined || isGuardedAddress(dest));
  if (guarded && !exempts(allowHit, query, guardedName)) {
    results.push(
      mark(
        layerResult(
          'ssrf',
          'deny',
          'ssrf_guard',
          `${target} is loopback, link-local, metadata or unspecified, and no route of gateway ${gw.name} targets it explicitly`,
          gw,
        ),
      ),
    );
  } else {
    results.push(guarded ? GUARDED_EXEMPT : NOT_GUARDED);
  }

  // Layer 3: deny policies, then allow routes, then the default.
  const denyHit =
    findMatch(gateway.deny, query) ??
    (dest.embeddedIpv4 ? findMatch(gateway.deny, extend(query, { ip: dest.embeddedIpv4 })) : undefined);
  if (dest.names.length === 0 && nameRuleWouldApply(gateway.deny, query)) notes.push('no_name_binding');

  let denyResponse: GatewayOutcome['denyResponse'];
  if (denyHit?.match.deny) {
    const { policy, response } = denyHit.match.deny;
    denyResponse = { status: response.statusCode, body: response.message, headers: response.headers };
    results.push(
      mark(
        layerResult(
          'gateway',
          'deny',
          'deny_policy',
          `${target} matches route ${denyHit.match.ref.name} ${denyHit.match.ref.index}, inverted by deny policy ${policy.name}`,
          { kind: policy.kind, namespace: policy.namespace, name: policy.name },
          denyHit.match.rule,
        ),
      ),
    );
  } else if (allowHit) {
    results.push(
      layerResult(
        'gateway',
        'allow',
        'route_allowed',
        `${target} allowed by route ${allowHit.match.ref.name} ${allowHit.match.ref.index} on gateway ${gw.name}`,
        allowHit.match.route,
        allowHit.match.rule,
      ),
    );
  } else if (gateway.resource.defaultPolicy === 'allow-all') {
    results.push(
      layerResult(
        'gateway',
        'allow',
        'gateway_default_allow',
        `no route matched ${target}; gateway ${gw.name} defaults to allow-all`,
        gw,
      ),
    );
  } else {
    results.push(
      mark(
        layerResult(
          'gateway',
          'deny',
          'gateway_default_deny',
          `no route of gateway ${gw.name} allows ${target}${request.context.listener ? ` on listener ${request.context.listener}` : ''}`,
          gw,
        ),
      ),
    );
  }
  if (shadow && results.some((r) => r.shadow)) notes.push('shadow');
  return denyResponse && !shadow ? { results, notes, denyResponse } : { results, notes };
}

function isGuardedAddress(dest: Destination): boolean {
  return (
    (dest.ip !== undefined && isGuardedIp(dest.ip)) ||
    (dest.embeddedIpv4 !== undefined && isGuardedIp(dest.embeddedIpv4))
  );
}
