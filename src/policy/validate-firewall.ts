/**
 * `EgressFirewallPolicy` (the firewall model): the OrcaRouter firewall's egress surface as a
 * resource. An ordered rule list (first in-scope rule wins), a default verdict, shadow mode, and
 * attachment to agent keys or as the workspace default.
 *
 * OrcaRouter's own spellings load unchanged beside ours: a rule may carry `egress_json` (the
 * console's JSON-encoded lists) instead of `egress`, and the policy `default_verdict` and
 * `shadow_mode` instead of `defaultVerdict` and `shadow`.
 */
import type { DocPath } from './documents';
import { FIREWALL_RULE, FIREWALL_SPEC } from './kinds/firewall';
import { shapeOf } from './kinds/object-shape';
import type { EgressFirewallPolicy, FirewallRule, ResourceMeta } from './types';
import { NATIVE_API_VERSION } from './types';
import type { Fields } from './validate-common';
import {
  isFields,
  optionalFix,
  readBoolean,
  readEnum,
  readList,
  readObject,
  readString,
} from './validate-common';
import type { ValidationContext } from './validate-context';
import { validateEgressLists } from './validate-firewall-egress';
import { warnRulesThatNeverFire, type PlacedRule } from './validate-firewall-reach';
import type { KindValidator, ResourceWorld } from './validate-kind';
import { refText } from './validate-refs';

const VERDICT = FIREWALL_SPEC.properties.defaultVerdict;
type Verdict = FirewallRule['verdict'];
const SPEC_SHAPE = shapeOf(FIREWALL_SPEC);
const RULE_SHAPE = shapeOf(FIREWALL_RULE);

/** OrcaRouter's default_verdict default: let through and log. */
const DEFAULT_VERDICT: Verdict = 'audit';

/** The other surfaces of the OrcaRouter firewall; Portcullis only ever sees egress. */
const ORCAROUTER_STAGES = ['inbound', 'response', 'mcp'];

export const firewallPolicyKind: KindValidator<EgressFirewallPolicy> = {
  kind: 'EgressFirewallPolicy',
  apiVersions: [NATIVE_API_VERSION],
  validate: validateFirewallPolicy,
  crossCheck: checkAcrossPolicies,
};

function validateFirewallPolicy(
  ctx: ValidationContext,
  spec: unknown,
  meta: ResourceMeta,
): EgressFirewallPolicy | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;

  const defaultVerdict = aliased(ctx, fields, path, 'defaultVerdict', 'default_verdict', (key) =>
    readEnum(ctx, fields, key, path, VERDICT),
  );
  const shadow = aliased(ctx, fields, path, 'shadow', 'shadow_mode', (key) =>
    readBoolean(ctx, fields, key, path),
  );
  const workspaceDefault = readBoolean(ctx, fields, 'workspaceDefault', path) ?? false;
  const enabled = readBoolean(ctx, fields, 'enabled', path) ?? true;

  const labels = new Map<string, number>();
  const placed: PlacedRule[] = [];
  const rules = (readList(ctx, fields, 'rules', path) ?? []).flatMap((raw, index) => {
    const rule = validateRule(ctx, raw, [...path, 'rules', index], labels, index);
    if (rule === undefined) return [];
    placed.push({ rule, index, listKey: listKeyOf(raw) });
    return [rule];
  });
  warnRulesThatNeverFire(ctx, placed);

  return {
    kind: 'EgressFirewallPolicy',
    meta,
    rules,
    defaultVerdict: defaultVerdict ?? DEFAULT_VERDICT,
    shadow: shadow ?? false,
    workspaceDefault,
    enabled,
  };
}

/** Which field holds a valid rule's lists: OrcaRouter's `egress_json` or our `egress`. */
function listKeyOf(raw: unknown): PlacedRule['listKey'] {
  const json = isFields(raw) ? raw['egress_json'] : undefined;
  return json === undefined || json === null ? 'egress' : 'egress_json';
}

/** Our field or OrcaRouter's spelling of it, never both. */
function aliased<T>(
  ctx: ValidationContext,
  fields: Fields,
  path: DocPath,
  ours: string,
  alias: string,
  read: (key: string) => T | undefined,
): T | undefined {
  const given = (key: string): boolean => fields[key] !== undefined && fields[key] !== null;
  if (given(ours) && given(alias)) {
    ctx.error(
      [...path, alias],
      'POLICY_INVALID_VALUE',
      `\`${alias}\` is another name for \`${ours}\`; give only one`,
      `remove \`${alias}\``,
    );
    return undefined;
  }
  return read(given(alias) ? alias : ours);
}

function validateRule(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  labels: Map<string, number>,
  index: number,
): FirewallRule | undefined {
  const fields = readObject(ctx, raw, path, RULE_SHAPE);
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;

  const label = readLabel(ctx, fields, path, labels, index);
  const stage = readString(ctx, fields, 'stage', path) ?? 'egress';
  if (stage !== 'egress' && stage !== '') warnStage(ctx, [...path, 'stage'], stage);
  const verdict = readEnum(ctx, fields, 'verdict', path, FIREWALL_RULE.properties.verdict);
  const lists = validateEgressLists(ctx, fields, path);

  if (label === undefined || verdict === undefined || lists === undefined || ctx.errorCount > errors) {
    return undefined;
  }
  return { label, stage, verdict, allow: lists.allow, deny: lists.deny };
}

/** Labels name rules in decisions and the events log, so each says which rule it is. */
function readLabel(
  ctx: ValidationContext,
  fields: Fields,
  path: DocPath,
  labels: Map<string, number>,
  index: number,
): string | undefined {
  const label = readString(ctx, fields, 'label', path);
  if (label === undefined) return undefined;
  if (label.trim() === '') {
    ctx.error(
      [...path, 'label'],
      'POLICY_INVALID_VALUE',
      '`label` is empty',
      'name the rule, e.g. `deny SSRF destinations`',
    );
    return undefined;
  }
  const earlier = labels.get(label);
  if (earlier !== undefined) {
    ctx.error(
      [...path, 'label'],
      'POLICY_DUPLICATE_NAME',
      `label \`${label}\` is already used by rules[${earlier}]; decisions name rules by label`,
      'give each rule of the policy its own label',
    );
    return undefined;
  }
  labels.set(label, index);
  return label;
}

/** A stage that is not ours is kept, but a typo of `egress` would silently never block anything. */
function warnStage(ctx: ValidationContext, path: DocPath, stage: string): void {
  const known = ORCAROUTER_STAGES.includes(stage);
  ctx.warn(
    path,
    'POLICY_STAGE_NOT_EGRESS',
    known
      ? `stage \`${stage}\` is an OrcaRouter surface Portcullis does not see; this rule never applies here`
      : `stage \`${stage}\` is not \`egress\` or \`\` (all stages); this rule never applies`,
    ...optionalFix(known ? undefined : 'write `stage: egress`, or omit `stage` (it defaults to egress)'),
  );
}

/**
 * At most one enabled workspace default (a key with no policy falls to "the workspace default", so
 * two would make the answer depend on load order); the second is the error. A policy name used in
 * two namespaces makes a bare key attachment ambiguous: a warning, since `namespace/name` still
 * works. Earlier policies are the ones before this one in document order.
 */
function checkAcrossPolicies(
  policy: EgressFirewallPolicy,
  world: ResourceWorld,
  ctx: ValidationContext,
): void {
  const all = world.all('EgressFirewallPolicy') as readonly EgressFirewallPolicy[];
  const earlier = all.slice(0, Math.max(0, all.indexOf(policy)));
  const { name, namespace } = policy.meta;
  if (policy.enabled && policy.workspaceDefault) {
    const first = earlier.find((p) => p.enabled && p.workspaceDefault);
    if (first !== undefined) {
      ctx.error(
        ['spec', 'workspaceDefault'],
        'POLICY_MULTIPLE_WORKSPACE_DEFAULTS',
        `${refText(first.meta.namespace, first.meta.name)} (${first.meta.source.file}:${first.meta.source.line}) is already the workspace default; there can be only one`,
        'set `workspaceDefault: false` here or on the other policy, or attach this one to agents instead',
      );
    }
  }
  const sameName = earlier.find((p) => p.meta.name === name);
  if (sameName !== undefined && sameName.meta.namespace !== namespace) {
    ctx.warn(
      ['metadata', 'name'],
      'POLICY_AMBIGUOUS_NAME',
      `firewall policy \`${name}\` also exists in namespace ${sameName.meta.namespace}; an agent naming just \`${name}\` gets that one`,
      `attach it as \`${refText(namespace, name)}\`, or rename one of them`,
    );
  }
}
