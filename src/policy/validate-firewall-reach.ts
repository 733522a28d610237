/**
 * Firewall rules that load but can never fire (warnings, so the policy still loads).
 *
 * A rule's scope (src/engine/firewall-layer.ts): a deny rule's `deny` list; an allow or audit rule's
 * `allow` list. The other list only carves exceptions out of the scope. So:
 *   - a rule whose scope list is empty never matches (`POLICY_RULE_SCOPE_EMPTY`): `verdict: allow`
 *     with only a `deny` list reads like "allow, except these" but allows nothing;
 *   - rules are tried in order and the first in scope wins, so every rule after one whose scope is
 *     every address, with no carve-out, is never reached (`POLICY_RULE_UNREACHABLE`).
 *
 * "Every address" means the rule's CIDRs and IPs together cover all of IPv4 and all of IPv6
 * (`0.0.0.0/0` and `::/0`, or halves such as `0.0.0.0/1` + `128.0.0.0/1`). A name-only
 * destination meets such a rule too: a policy with address entries resolves the name and judges its
 * addresses, and denies (`resolution_failed`) before any rule when that fails. Host patterns never
 * cover every name (`*` and `**` alone are rejected at load), so no list of names is a catch-all.
 * Rules whose stage is not egress never apply, so they neither shadow nor count as shadowed.
 */
import type { DocPath } from './documents';
import type { FirewallEntry, FirewallRule } from './types';
import type { ValidationContext } from './validate-context';

/** Where a rule sits: its index in `spec.rules` and the key holding its lists. */
export interface PlacedRule {
  readonly rule: FirewallRule;
  readonly index: number;
  readonly listKey: 'egress' | 'egress_json';
}

const appliesToEgress = (rule: FirewallRule): boolean => rule.stage === 'egress' || rule.stage === '';

const scopeKey = (rule: FirewallRule): 'allow' | 'deny' => (rule.verdict === 'deny' ? 'deny' : 'allow');
const carveKey = (rule: FirewallRule): 'allow' | 'deny' => (rule.verdict === 'deny' ? 'allow' : 'deny');

export function warnRulesThatNeverFire(ctx: ValidationContext, rules: readonly PlacedRule[]): void {
  let catchAll: PlacedRule | undefined;
  for (const placed of rules) {
    const { rule, index, listKey } = placed;
    const path: DocPath = ['spec', 'rules', index];
    if (!appliesToEgress(rule)) continue;
    if (catchAll !== undefined) {
      warnShadowed(ctx, path, rule, catchAll);
      continue;
    }
    const scope = scopeKey(rule);
    if (rule[scope].length === 0) {
      warnEmptyScope(ctx, [...path, listKey, scope], rule);
      continue;
    }
    if (rule[carveKey(rule)].length === 0 && coversEveryAddress(rule[scope])) catchAll = placed;
  }
}

function warnEmptyScope(ctx: ValidationContext, path: DocPath, rule: FirewallRule): void {
  const scope = scopeKey(rule);
  const other = carveKey(rule);
  const opposite = rule.verdict === 'deny' ? 'allow' : 'deny';
  ctx.warn(
    path,
    'POLICY_RULE_SCOPE_EMPTY',
    `${rule.verdict} rule \`${rule.label}\` has no \`${scope}\` entries, so it never matches: a ${rule.verdict} rule applies to the destinations in its \`${scope}\` list, and its \`${other}\` list only carves exceptions out of them`,
    `to ${opposite} the destinations listed in \`${other}\`, write \`verdict: ${opposite}\`; to ${rule.verdict === 'deny' ? 'deny' : 'let through'} some, list them in \`${scope}\``,
  );
}

function warnShadowed(ctx: ValidationContext, path: DocPath, rule: FirewallRule, by: PlacedRule): void {
  ctx.warn(
    path,
    'POLICY_RULE_UNREACHABLE',
    `rule \`${rule.label}\` is never reached: rules[${by.index}] \`${by.rule.label}\` (${by.rule.verdict}) covers every address with no carve-out, and the first rule in scope decides`,
    `move this rule above rules[${by.index}], or carve the destinations it is for out of rules[${by.index}] (its \`${carveKey(by.rule)}\` list)`,
  );
}

/** Whether the CIDR and IP entries together hold every IPv4 and every IPv6 address. */
export function coversEveryAddress(entries: readonly FirewallEntry[]): boolean {
  return coversFamily(entries, 4) && coversFamily(entries, 6);
}

function coversFamily(entries: readonly FirewallEntry[], family: 4 | 6): boolean {
  const ranges = entries.flatMap((entry) => rangeOf(entry, family) ?? []);
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = 0n;
  for (const [start, end] of ranges) {
    if (start > next) return false;
    if (end + 1n > next) next = end + 1n;
  }
  return next === 1n << BigInt(family === 4 ? 32 : 128);
}

/** The first and last address of a CIDR or IP entry of `family`, as integers. */
function rangeOf(entry: FirewallEntry, family: 4 | 6): [[bigint, bigint]] | undefined {
  if (entry.kind === 'host') return undefined;
  const address = entry.kind === 'cidr' ? entry.cidr.address : entry.ip;
  if (address.family !== family) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = entry.kind === 'cidr' ? entry.cidr.prefixLength : bits;
  const start =
    address.family === 4
      ? BigInt(address.value)
      : address.words.reduce((acc, word) => (acc << 32n) | BigInt(word), 0n);
  return [[start, start + (1n << BigInt(bits - prefix)) - 1n]];
}
