/**
 * Identity must be unambiguous: a context name, mTLS principal, key digest or source address that
 * two agents claim would make the answer to "who is calling" depend on load order, and with it
 * which labels, namespace and firewall policy apply. Each agent of a conflicting pair reports the
 * claim it shares, so both documents point at the other one.
 */
import { cidrsOverlap } from './cidr';
import type { DocPath } from './documents';
import type { EgressAgent } from './types';
import { isFields } from './validate-common';
import type { ValidationContext } from './validate-context';
import type { ResourceWorld } from './validate-kind';

const KIND = 'EgressAgent';
const FIX = 'give each piece of identity evidence to exactly one EgressAgent';

export function checkIdentityClaims(agent: EgressAgent, world: ResourceWorld, ctx: ValidationContext): void {
  const claims = claimsOf(world);
  const sharing = (map: ReadonlyMap<string, readonly EgressAgent[]>, key: string) =>
    (map.get(key) ?? []).filter((other) => other !== agent);
  for (const other of sharing(claims.contextNames, agent.contextName)) {
    ctx.error(
      contextNamePath(ctx),
      'POLICY_AMBIGUOUS_IDENTITY',
      `contextName \`${agent.contextName}\` is also the contextName of ${describe(other)}`,
      `${FIX}: set \`spec.recognise.contextName\` on one of them`,
    );
  }
  agent.principals.forEach((principal, index) => {
    for (const other of sharing(claims.principals, principal)) {
      ctx.error(
        ['spec', 'recognise', 'principals', index],
        'POLICY_AMBIGUOUS_IDENTITY',
        `principal \`${principal}\` is also claimed by ${describe(other)}`,
        FIX,
      );
    }
  });
  agent.keySha256.forEach((digest, index) => {
    for (const other of sharing(claims.keys, digest)) {
      ctx.error(
        ['spec', 'recognise', 'keys', index, 'sha256'],
        'POLICY_AMBIGUOUS_IDENTITY',
        `key digest ${digest.slice(0, 12)}… is also listed by ${describe(other)}`,
        `${FIX}; give each agent its own key`,
      );
    }
  });
  // Source ranges are compared pairwise, but only among the (usually few) agents that have any.
  agent.sourceCIDRs.forEach((cidr, index) => {
    for (const other of claims.withSourceCIDRs) {
      if (other === agent) continue;
      const clash = other.sourceCIDRs.find((theirs) => cidrsOverlap(cidr, theirs));
      if (clash === undefined) continue;
      ctx.error(
        ['spec', 'recognise', 'sourceCIDRs', index],
        'POLICY_AMBIGUOUS_IDENTITY',
        `source CIDR ${cidr.text} overlaps ${clash.text} of ${describe(other)}`,
        `${FIX}: split the ranges so that no address belongs to both`,
      );
    }
  });
}

function describe(other: EgressAgent): string {
  return `EgressAgent ${other.meta.namespace}/${other.meta.name} (${other.meta.source.file}:${other.meta.source.line})`;
}

interface Claims {
  readonly contextNames: ReadonlyMap<string, readonly EgressAgent[]>;
  readonly principals: ReadonlyMap<string, readonly EgressAgent[]>;
  readonly keys: ReadonlyMap<string, readonly EgressAgent[]>;
  readonly withSourceCIDRs: readonly EgressAgent[];
}

/**
 * Every agent's claims, indexed once per validation run (the world's list of agents is the same
 * array for the whole run), so checking N agents costs N lookups rather than N × N comparisons.
 * Identity is fleet-wide: agents are compared across Kubernetes namespaces.
 */
const claimsByList = new WeakMap<readonly unknown[], Claims>();

function claimsOf(world: ResourceWorld): Claims {
  const all = world.all(KIND);
  let claims = claimsByList.get(all);
  if (claims !== undefined) return claims;
  const contextNames = new Map<string, EgressAgent[]>();
  const principals = new Map<string, EgressAgent[]>();
  const keys = new Map<string, EgressAgent[]>();
  const add = (map: Map<string, EgressAgent[]>, key: string, agent: EgressAgent) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [agent]);
    else if (!list.includes(agent)) list.push(agent);
  };
  const agents = all.filter((r): r is EgressAgent => r.kind === KIND);
  for (const agent of agents) {
    add(contextNames, agent.contextName, agent);
    for (const p of agent.principals) add(principals, p, agent);
    for (const k of agent.keySha256) add(keys, k, agent);
  }
  claims = {
    contextNames,
    principals,
    keys,
    withSourceCIDRs: agents.filter((a) => a.sourceCIDRs.length > 0),
  };
  claimsByList.set(all, claims);
  return claims;
}

/** Where the context name is written, or `metadata.name` when it defaults to it. */
function contextNamePath(ctx: ValidationContext): DocPath {
  const doc = ctx.doc.value;
  const spec = isFields(doc) ? doc['spec'] : undefined;
  const recognise = isFields(spec) ? spec['recognise'] : undefined;
  return isFields(recognise) && typeof recognise['contextName'] === 'string'
    ? ['spec', 'recognise', 'contextName']
    : ['metadata', 'name'];
}
