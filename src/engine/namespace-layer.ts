/**
 * The namespace model's two layers, numbered as in docs/architecture.md: the global block list
 * (layer 2, `global`) and the namespace chain with the global allow list (layer 6, `namespace`).
 *
 * The namespace walk at request time, for the agent's namespace path leaf
 * to root:
 *   - a level with no EgressNamespace is skipped, and the reason says so;
 *   - a `blockedDomains` match at any level denies, whatever any level allows;
 *   - every level that defines `allowedDomains` must match the host (`[]` denies everything);
 *   - when no level defines `allowedDomains`, the root decides: the global allow list, else deny.
 *
 * How the global allow list meets a chain that does define `allowedDomains`: the chain alone
 * decides. The global allow list is the root's list, consulted only where the namespace model says
 * "the root's default action applies"; a namespace list is the narrower, more deliberate grant. So
 * a host on the global allow list is still denied to a namespace that does not list it, and an
 * entry's `requireAuth` binds only decisions that entry makes. (The global *block* list is layer 2
 * and applies to every agent before any of this.)
 *
 * Whom the layer judges: an agent whose chain (leaf to root) holds at least one defined
 * EgressNamespace, and every agent once the root has settings of its own, which are the global
 * allow list (`rootDefined`: an EgressNamespace path cannot be empty, so the global allow list is
 * the root's one explicit resource). Anyone else abstains here. Defining `prod/payments` therefore
 * narrows prod/payments and below, and leaves the anonymous agent (the root) and `staging/*` to the
 * other layers: creating one namespace must not deny every destination to everybody else. A domain
 * list holding only block entries does not define the root either: blocking `evil-c2.example` must
 * not also deny every other destination the gateway or firewall layers allow.
 *
 * Several names (a DNS binding with a CNAME chain): any blocked name denies; otherwise the request
 * is allowed when one name passes every level. A destination known only by address has no name to
 * compare, so it is denied here whenever this layer applies.
 */
import {
  chainFor,
  type CompiledNamespace,
  type GlobalEntry,
  type NamespaceLayer,
} from '../compile/namespace-layer';
import type { HostIndex } from '../compile/host-index';
import { describeTarget } from './describe';
import { layerResult, type LayerInput } from './layer';
import type { Agent, LayerResult, ReasonCode } from './types';

/** Shared, so a snapshot without these resources costs nothing per request. */
const NO_BLOCK_LIST: LayerResult = Object.freeze(abstain('global', 'no global block list is loaded'));
const NO_NAMESPACES: LayerResult = Object.freeze(
  abstain('namespace', 'no EgressNamespace and no global allow list is loaded'),
);
const ROOT_UNDEFINED: LayerResult = Object.freeze(
  abstain(
    'namespace',
    'the root namespace has no settings of its own (no global allow list is loaded), so the namespace tree does not apply to this agent',
  ),
);

export function evaluateGlobalBlock(layer: NamespaceLayer, input: LayerInput): LayerResult {
  const { dest } = input;
  if (layer.globalBlock.size === 0) return NO_BLOCK_LIST;
  const target = input.target ?? describeTarget(dest);
  if (dest.names.length === 0) {
    return abstain('global', `${target} has no host name to check against the global block list`);
  }
  const hit = globalBlockEntry(layer, dest.names);
  if (hit === undefined) return abstain('global', `${target} is not on the global block list`);
  return layerResult(
    'global',
    'deny',
    'global_blocked',
    `${target} is on the global block list: ${entryText(hit)}`,
    hit.ref,
    hit.rule,
  );
}

/** The global block list's entry for the first of `names` it holds. */
function globalBlockEntry(layer: NamespaceLayer, names: readonly string[]): GlobalEntry | undefined {
  for (const name of names) {
    const hit = layer.globalBlock.first(name);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

export function evaluateNamespaces(layer: NamespaceLayer, input: LayerInput): LayerResult {
  if (!namespacesApply(layer)) return NO_NAMESPACES;
  const { dest } = input;
  return walkNamespaces(layer, dest.names, input.agent, input.target ?? describeTarget(dest));
}

/**
 * Is `host` on the global block list? It denies the name to every agent, whatever address it
 * resolves to and whatever port it is used on: what the DNS layer asks for a trusted proxy, which
 * speaks for all agents at once (engine/dns-policy.ts).
 */
export function blockedForEveryAgent(layer: NamespaceLayer, host: string): boolean {
  return layer.globalBlock.size > 0 && globalBlockEntry(layer, [host]) !== undefined;
}

/**
 * Do these two layers deny `host` to the agent whatever address it resolves to and whatever port it
 * is used on: the global block list, or the agent's namespace walk (a blocked domain, a quarantine,
 * a name no defining level or the global allow list allows it)? Neither layer reads the address or
 * the port, so this is their verdict on any destination known by this one name, as `decide` gets it;
 * the DNS layer asks it before resolving the name for the agent (engine/dns-policy.ts).
 */
export function blocksName(layer: NamespaceLayer, agent: Agent, host: string): boolean {
  if (blockedForEveryAgent(layer, host)) return true;
  return namespacesApply(layer) && walkNamespaces(layer, [host], agent, host).outcome === 'deny';
}

/** Anything for the namespace walk to read: an EgressNamespace, or a global allow list. */
function namespacesApply(layer: NamespaceLayer): boolean {
  return layer.hasNamespaces || layer.globalAllow.size > 0;
}

/** The walk of the module comment, for a destination known by `names`; `target` names it in reasons. */
function walkNamespaces(
  layer: NamespaceLayer,
  names: readonly string[],
  agent: Agent,
  target: string,
): LayerResult {
  const chain = chainFor(layer, agent.namespace);
  if (chain.levels.length === 0 && !layer.rootDefined) return outsideTree(agent.namespace);
  const where = agent.namespace === '' ? 'the root namespace' : `namespace ${agent.namespace}`;
  const deny = (
    reasonCode: ReasonCode,
    reason: string,
    extra: Pick<LayerResult, 'policy' | 'rule'> = {},
  ): LayerResult =>
    layerResult('namespace', 'deny', reasonCode, `${reason}${chain.note}`, extra.policy, extra.rule);

  for (const level of chain.blocking) {
    for (const name of names) {
      const i = level.blocked.first(name);
      if (i === undefined) continue;
      const rule = level.blockedRules[i]!;
      return deny(
        'namespace_blocked',
        `${target} is blocked by namespace ${level.resource.path} (${rule.label})`,
        { policy: level.ref, rule },
      );
    }
  }

  const { defining } = chain;
  if (chain.quarantined !== undefined) {
    const quarantined = chain.quarantined;
    return deny(
      'namespace_quarantined',
      `namespace ${quarantined.resource.path} is quarantined (empty allowedDomains), so ${target} is denied to ${where}`,
      { policy: quarantined.ref, rule: { index: 'spec.allowedDomains', label: 'quarantine' } },
    );
  }
  if (names.length === 0) {
    return deny(
      'namespace_not_allowed',
      `${target} has no host name to check against the allowed domains of ${where} or the global allow list`,
      defining.length > 0
        ? { policy: defining[0].ref, rule: { index: 'spec.allowedDomains', label: 'allowedDomains' } }
        : rootRule(layer),
    );
  }

  if (defining.length > 0) {
    const leaf = defining[0];
    for (const name of names) {
      const i = (leaf.allowed as HostIndex<number>).first(name);
      if (i === undefined) continue;
      if (!chain.leafDecides && firstFailing(defining, name) !== undefined) continue;
      const rule = leaf.allowedRules[i]!;
      return layerResult(
        'namespace',
        'allow',
        'namespace_allowed',
        `${target} allowed by namespace ${leaf.resource.path} (${rule.label})${chain.ancestors}${chain.note}`,
        leaf.ref,
        rule,
      );
    }
    const failing = firstFailing(defining, names[0]) ?? defining[0];
    return deny(
      'namespace_not_allowed',
      `${target} is not in the allowed domains of namespace ${failing.resource.path} (agent in ${where})`,
      { policy: failing.ref, rule: { index: 'spec.allowedDomains', label: 'allowedDomains' } },
    );
  }

  return decideByGlobalAllow(layer, names, agent, target, deny);
}

/** An agent the layer does not judge: nothing on its chain is defined and the root has no list. */
function outsideTree(path: string): LayerResult {
  if (path === '') return ROOT_UNDEFINED;
  return abstain(
    'namespace',
    `no EgressNamespace is defined for namespace ${path} or its ancestors, and no global allow list is loaded`,
  );
}

/** The first (leaf-most) level whose allowed domains do not cover `name`. */
function firstFailing(defining: readonly CompiledNamespace[], name: string): CompiledNamespace | undefined {
  for (const level of defining) if (level.allowed?.has(name) !== true) return level;
  return undefined;
}

/** The root's default action (the walk's last step): the global allow list, else deny. */
function decideByGlobalAllow(
  layer: NamespaceLayer,
  names: readonly string[],
  agent: Agent,
  target: string,
  deny: (code: ReasonCode, reason: string, extra?: Pick<LayerResult, 'policy' | 'rule'>) => LayerResult,
): LayerResult {
  let authOnly: GlobalEntry | undefined;
  for (const name of names) {
    let open: GlobalEntry | undefined;
    layer.globalAllow.forEach(name, (e) => {
      if (!e.entry.requireAuth || agent.authenticated) open = e;
      else authOnly ??= e;
      return open !== undefined;
    });
    if (open !== undefined) {
      return layerResult(
        'namespace',
        'allow',
        'global_allowed',
        `${target} is on the global allow list: ${entryText(open)}`,
        open.ref,
        open.rule,
      );
    }
  }
  if (authOnly !== undefined) {
    return deny(
      'auth_required',
      `${target} is on the global allow list for authenticated agents only (${entryText(authOnly)}); agent ${agent.name} is not authenticated`,
      { policy: authOnly.ref, rule: authOnly.rule },
    );
  }
  return deny(
    'namespace_not_allowed',
    `no namespace or global allow-list entry allows ${target} (root default: deny)`,
    rootRule(layer),
  );
}

/** Root decisions name the global allow list, when one is loaded; the root itself is no resource. */
function rootRule(layer: NamespaceLayer): Pick<LayerResult, 'policy' | 'rule'> {
  const list = layer.firstList;
  return list === undefined
    ? {}
    : { policy: list, rule: { index: 'spec.allow', label: 'global allow list' } };
}

function entryText(e: GlobalEntry): string {
  const reason = e.entry.reason === '' ? '' : ` "${e.entry.reason}"`;
  return `${e.entry.pattern.text}${reason} (EgressDomainList ${e.ref.namespace}/${e.ref.name} ${e.index})`;
}

function abstain(layer: 'global' | 'namespace', reason: string): LayerResult {
  return layerResult(layer, 'abstain', undefined, reason);
}
