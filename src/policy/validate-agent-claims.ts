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
  for (const other of otherAgents(agent, world)) {
    const them = `EgressAgent ${other.meta.namespace}/${other.meta.name} (${other.meta.source.file}:${other.meta.source.line})`;
    if (agent.contextName === other.contextName) {
      ctx.error(
        contextNamePath(ctx),
        'POLICY_AMBIGUOUS_IDENTITY',
        `contextName \`${agent.contextName}\` is also the contextName of ${them}`,
        `${FIX}: set \`spec.recognise.contextName\` on one of them`,
      );
    }
    agent.principals.forEach((principal, index) => {
      if (!other.principals.includes(principal)) return;
      ctx.error(
        ['spec', 'recognise', 'principals', index],
        'POLICY_AMBIGUOUS_IDENTITY',
        `principal \`${principal}\` is also claimed by ${them}`,
        FIX,
      );
    });
    agent.keySha256.forEach((digest, index) => {
      if (!other.keySha256.includes(digest)) return;
      ctx.error(
        ['spec', 'recognise', 'keys', index, 'sha256'],
        'POLICY_AMBIGUOUS_IDENTITY',
        `key digest ${digest.slice(0, 12)}… is also listed by ${them}`,
        `${FIX}; give each agent its own key`,
      );
    });
    agent.sourceCIDRs.forEach((cidr, index) => {
      const clash = other.sourceCIDRs.find((theirs) => cidrsOverlap(cidr, theirs));
      if (clash === undefined) return;
      ctx.error(
        ['spec', 'recognise', 'sourceCIDRs', index],
        'POLICY_AMBIGUOUS_IDENTITY',
        `source CIDR ${cidr.text} overlaps ${clash.text} of ${them}`,
        `${FIX}: split the ranges so that no address belongs to both`,
      );
    });
  }
}

/**
 * Identity is fleet-wide, so every agent is compared, across Kubernetes namespaces. agent-index.ts
 * still settles a clash deterministically (first in load order) for sources validated piecemeal.
 */
function otherAgents(agent: EgressAgent, world: ResourceWorld): EgressAgent[] {
  return world.all(KIND).filter((r): r is EgressAgent => r.kind === KIND && r !== agent);
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
