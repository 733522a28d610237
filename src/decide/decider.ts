/**
 * The one decider every surface calls (the Check handler, the dry run, `check`; DNS asks the engine
 * directly): take the snapshot once, identify the agent, work out whether a name must be looked up,
 * look it up through Portcullis's resolver (bounded), decide.
 *
 * It sits between the adapters and the pure engine because it does IO (the lookup). A decision that
 * needs no lookup is answered synchronously, in the same turn: the Check hot path stays free of
 * promises. One snapshot is used for the whole decision, even when a lookup happens in between.
 */
import { randomUUID } from 'node:crypto';
import type { Snapshot } from '../compile/snapshot';
import { decide } from '../engine/decide';
import type { BindingLookup, NameLookup } from '../engine/name-evidence';
import { nameToResolve } from '../engine/resolution';
import type { Agent, Decision, EgressRequest } from '../engine/types';
import { resolveAgent, resolveAgentWith } from '../identity/resolve-agent';
import type { IpAddress } from '../policy/values';

/** Portcullis's resolver: the DNS server's answer cache when it runs, else a bounded system lookup. */
export interface AddressResolver {
  resolve(host: string): Promise<NameLookup>;
  /** A cached answer available at once, so a warm lookup keeps the decision synchronous. */
  peek?(host: string): NameLookup | undefined;
}

export interface DeciderDeps {
  readonly snapshots: { current(): Snapshot | undefined };
  /** Without one, a decision that needs a lookup is judged with the lookup failed (fail closed). */
  readonly resolver?: AddressResolver | undefined;
  /** The DNS bindings of the agent at a source address, when the DNS resolver runs. */
  readonly bindingsFor?: ((sourceAddress: string | undefined) => BindingLookup | undefined) | undefined;
  /** Decision ids; random UUIDs by default. */
  readonly newId?: (() => string) | undefined;
}

/** What-if questions (the dry run and `check`): none of them is available to Envoy's requests. */
export interface DecideOverrides {
  /** A draft snapshot to decide against instead of the one in force. */
  readonly snapshot?: Snapshot | undefined;
  /** Labels and namespace layered on the agent identity finds. */
  readonly agent?:
    { readonly labels?: Readonly<Record<string, string>>; readonly namespace?: string } | undefined;
  /** Fixed answers for names (`--resolve NAME=IP`), consulted before the resolver. */
  readonly answers?: ReadonlyMap<string, readonly IpAddress[]> | undefined;
}

export interface Decider {
  decide(request: EgressRequest, overrides?: DecideOverrides): Decision | Promise<Decision>;
}

const NOT_RESOLVED = 'no resolver is configured';
const NOT_LOOKED_UP = 'not looked up';
/** The denies a successful lookup could lift: an unproven name, a policy that needs the addresses. */
const LOOKUP_DEPENDENT: ReadonlySet<string> = new Set(['name_unverified', 'resolution_failed']);

export function createDecider(deps: DeciderDeps): Decider {
  const newId = deps.newId ?? randomUUID;
  return {
    decide(request, overrides) {
      const snapshot = overrides?.snapshot ?? deps.snapshots.current();
      const agent = identify(snapshot, request, overrides);
      const bindings = deps.bindingsFor?.(request.source.address);
      const id = newId();
      const host = snapshot === undefined ? undefined : nameToResolve(snapshot, request, agent, bindings);
      if (host === undefined) return decide(snapshot, request, agent, { id, bindings });
      const fixed = overrides?.answers?.get(host);
      if (fixed !== undefined) {
        return decide(snapshot, request, agent, { id, bindings, lookup: { host, addresses: fixed } });
      }
      if (deps.resolver === undefined) {
        const lookup = { host, addresses: [], failure: NOT_RESOLVED };
        return decide(snapshot, request, agent, { id, bindings, lookup });
      }
      const cached = deps.resolver.peek?.(host);
      if (cached !== undefined) return decide(snapshot, request, agent, { id, bindings, lookup: cached });
      // Look a name up only when the answer can matter: decided as if the lookup had failed, a deny
      // that does not rest on it stands. So a claimed name no rule would allow (an SNI made up to
      // carry data out through Portcullis's resolver) is never looked up.
      const unresolved = { host, addresses: [], failure: NOT_LOOKED_UP };
      const without = decide(snapshot, request, agent, { id, bindings, lookup: unresolved });
      if (without.verdict === 'deny' && !LOOKUP_DEPENDENT.has(without.reasonCode)) return without;
      return deps.resolver
        .resolve(host)
        .then((lookup) => decide(snapshot, request, agent, { id, bindings, lookup }));
    },
  };
}

function identify(
  snapshot: Snapshot | undefined,
  request: EgressRequest,
  overrides: DecideOverrides | undefined,
): Agent {
  const whatIf = overrides?.agent;
  return whatIf === undefined
    ? resolveAgent(snapshot?.agents, request)
    : resolveAgentWith(snapshot?.agents, request, whatIf);
}
