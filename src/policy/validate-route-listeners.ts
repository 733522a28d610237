/**
 * Route matches that the listeners a route is attached to can never carry (a warning: the route
 * still loads, and its other matches still work).
 *
 * What each listener protocol carries (docs/policy-warnings.md):
 *
 *   listener  transport  names a host-name match can use
 *   HTTP      TCP        CONNECT authority, Host / :authority
 *   HTTPS     TCP        SNI, Host / :authority
 *   TLS       TCP        SNI, or this agent's DNS bindings when there is none
 *   TCP       TCP        this agent's DNS bindings only
 *   UDP       UDP        this agent's DNS bindings only
 *
 * Every listener can carry a name (raw TCP and UDP through the names the agent resolved through
 * Portcullis's DNS server), so `destinationHostnames` is never unreachable by protocol; only the
 * transport is. A match's `protocol` (TCP unless given) must be one some attached listener carries.
 * A route attached to a whole gateway (no `sectionName`) also serves requests that name no
 * listener, which may be of either transport, so only routes attached by `sectionName` alone are
 * checked.
 */
import type { DocPath } from './documents';
import type { EgressGateway, EgressL4Route, ListenerProtocol } from './types';
import type { Protocol } from './values';
import { isFields } from './validate-common';
import type { ValidationContext } from './validate-context';
import type { ResourceWorld } from './validate-kind';

const TRANSPORT: Readonly<Record<ListenerProtocol, Protocol>> = {
  HTTP: 'tcp',
  HTTPS: 'tcp',
  TLS: 'tcp',
  TCP: 'tcp',
  UDP: 'udp',
};

interface Attached {
  readonly listener: string;
  readonly protocol: ListenerProtocol;
}

export function checkListenerProtocols(
  route: EgressL4Route,
  world: ResourceWorld,
  ctx: ValidationContext,
): void {
  const attached = attachedListeners(route, world);
  if (attached === undefined || attached.length === 0) return;
  const carried = new Set(attached.map((a) => TRANSPORT[a.protocol]));
  const listeners = attached.map((a) => `${a.listener} (${a.protocol})`).join(', ');
  route.rules.forEach((rule, r) => {
    rule.matches.forEach((match, m) => {
      if (carried.has(match.protocol)) return;
      const path: DocPath = ['spec', 'rules', r, 'matches', m];
      const given = protocolGiven(ctx, path);
      const wanted = match.protocol.toUpperCase();
      const other = wanted === 'UDP' ? 'TCP' : 'UDP';
      ctx.warn(
        given ? [...path, 'protocol'] : path,
        'POLICY_LISTENER_PROTOCOL_MISMATCH',
        `this match is for ${wanted}${given ? '' : ' (the default)'}, but the route is attached only to ${listeners}, which carr${attached.length === 1 ? 'ies' : 'y'} ${other} only, so it never matches`,
        wanted === 'UDP'
          ? 'attach the route to a UDP listener (`sectionName`), or remove `protocol: UDP` if the traffic is TCP'
          : 'write `protocol: UDP` in this match, or attach the route to a TCP, TLS, HTTP or HTTPS listener',
      );
    });
  });
}

/**
 * The listeners of every parent, when every parent names one that exists; undefined when some
 * parent attaches to a whole gateway or cannot be resolved (those are reported elsewhere).
 */
function attachedListeners(route: EgressL4Route, world: ResourceWorld): Attached[] | undefined {
  const out: Attached[] = [];
  for (const parent of route.parentRefs) {
    if (parent.sectionName === undefined) return undefined;
    const gateway = world.find('EgressGateway', parent.namespace ?? route.meta.namespace, parent.name) as
      EgressGateway | undefined;
    const listener = gateway?.listeners.find((l) => l.name === parent.sectionName);
    if (listener === undefined) return undefined;
    out.push({ listener: listener.name, protocol: listener.protocol });
  }
  return out;
}

/** Whether the document spells out `protocol` in this match (else it is TCP by default). */
function protocolGiven(ctx: ValidationContext, path: DocPath): boolean {
  let node: unknown = ctx.doc.value;
  for (const key of path) {
    if (typeof key === 'number') node = Array.isArray(node) ? (node[key] as unknown) : undefined;
    else node = isFields(node) ? node[key] : undefined;
  }
  return isFields(node) && node['protocol'] !== undefined && node['protocol'] !== null;
}
