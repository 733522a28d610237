/**
 * The egress lists of an `EgressFirewallPolicy` rule: `egress: {allow, deny}` in our YAML, or
 * OrcaRouter's `egress_json`, a JSON-encoded string of the same object, which the OrcaRouter
 * console stores and which must load unchanged.
 *
 * Each entry is read once here as a CIDR, an IP literal or a host name (case-insensitive, trailing
 * dot trimmed, our `*.`/`**.` wildcards allowed), so nothing downstream re-parses text.
 */
import { parseCidr } from './cidr';
import type { DocPath } from './documents';
import { parseHostPattern } from './hostname';
import { parseIpLiteral } from './ip';
import { EGRESS_LISTS } from './kinds/firewall';
import { shapeOf } from './kinds/object-shape';
import type { FirewallEntry } from './types';
import type { Fields } from './validate-common';
import { optionalFix, readList, readObject, typeName } from './validate-common';
import type { ValidationContext } from './validate-context';
import { checkAllowedHostPattern } from './validate-public-suffix';

export interface EgressLists {
  readonly allow: readonly FirewallEntry[];
  readonly deny: readonly FirewallEntry[];
}

const LIST_SHAPE = shapeOf(EGRESS_LISTS);
/** A text that is meant as an address rather than a name: IPv6, or only digits and dots. */
const LOOKS_LIKE_IP = /^[0-9.]+$|:/;

/**
 * The lists of one rule (`path` is the rule). Undefined when they could not be read; every problem
 * is reported. A rule with neither form, or with lists that hold no entry, is rejected: OrcaRouter
 * validates on save that "the list must declare at least one allow or deny entry".
 */
export function validateEgressLists(
  ctx: ValidationContext,
  rule: Fields,
  path: DocPath,
): EgressLists | undefined {
  const hasObject = rule['egress'] !== undefined && rule['egress'] !== null;
  const hasJson = rule['egress_json'] !== undefined && rule['egress_json'] !== null;
  if (hasObject && hasJson) {
    ctx.error(
      [...path, 'egress_json'],
      'POLICY_INVALID_VALUE',
      '`egress_json` and `egress` both give the lists; give only one',
      'keep `egress: {allow: [...], deny: [...]}` and remove `egress_json`',
    );
    return undefined;
  }
  if (!hasObject && !hasJson) {
    ctx.error(
      [...path, 'egress'],
      'POLICY_MISSING_FIELD',
      'the rule has no egress lists: the list must declare at least one allow or deny entry',
      'add `egress: {deny: ["169.254.169.254"], allow: []}` (or the same as an `egress_json` string)',
    );
    return undefined;
  }
  const at: DocPath = [...path, hasJson ? 'egress_json' : 'egress'];
  const decoded = hasJson ? decodeJson(ctx, rule['egress_json'], at) : { value: rule['egress'] };
  if (decoded === undefined) return undefined;
  const errors = ctx.errorCount;
  const fields = readObject(ctx, decoded.value, at, LIST_SHAPE);
  if (fields === undefined) return undefined;
  const allow = readEntries(ctx, fields, 'allow', at);
  const deny = readEntries(ctx, fields, 'deny', at);
  if (ctx.errorCount > errors) return undefined;
  if (allow.length === 0 && deny.length === 0) {
    ctx.error(
      at,
      'POLICY_MISSING_FIELD',
      'both lists are empty: the list must declare at least one allow or deny entry',
      'add a host, IP or CIDR to `deny` (what the rule blocks) or `allow` (what it lets through)',
    );
    return undefined;
  }
  return { allow, deny };
}

function readEntries(ctx: ValidationContext, fields: Fields, key: string, path: DocPath): FirewallEntry[] {
  const list = readList(ctx, fields, key, path) ?? [];
  return list.flatMap((raw, index) => {
    const entry = parseEntry(ctx, raw, [...path, key, index], key === 'allow');
    return entry === undefined ? [] : [entry];
  });
}

/**
 * CIDR when it has a `/`, an IP literal when it looks like an address, else a host pattern, which
 * in an allow list must not cover a public suffix.
 */
function parseEntry(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  allows: boolean,
): FirewallEntry | undefined {
  if (typeof raw !== 'string') {
    ctx.error(
      path,
      'POLICY_WRONG_TYPE',
      `an entry must be a host, IP or CIDR string, found ${typeName(raw)}`,
    );
    return undefined;
  }
  const text = raw.trim();
  if (text.includes('/')) {
    const parsed = parseCidr(text);
    if (parsed.ok) return { kind: 'cidr', cidr: parsed.cidr, text: parsed.cidr.text };
    ctx.error(path, 'POLICY_INVALID_CIDR', parsed.message, ...optionalFix(parsed.fix));
    return undefined;
  }
  if (LOOKS_LIKE_IP.test(text) || text.startsWith('[')) {
    const ip = parseIpLiteral(text);
    if (ip !== undefined) return { kind: 'ip', ip, text: ip.text };
    ctx.error(
      path,
      'POLICY_INVALID_IP',
      `${JSON.stringify(text)} is not an IP address: a dotted quad (a.b.c.d, each 0-255, no leading zeros) or IPv6 text`,
      text.startsWith('[')
        ? `write it without brackets: ${text.replace(/^\[|\]$/g, '')}`
        : 'correct the address, or write a range as a CIDR such as 192.168.0.0/16',
    );
    return undefined;
  }
  const host = parseHostPattern(text);
  if (host.ok) {
    if (allows && !checkAllowedHostPattern(ctx, host.pattern, path)) return undefined;
    return { kind: 'host', pattern: host.pattern, text: host.pattern.text };
  }
  ctx.error(path, 'POLICY_INVALID_HOSTNAME', host.message, ...optionalFix(host.fix));
  return undefined;
}

/** `egress_json` as OrcaRouter stores it: a string holding `{"deny": [...], "allow": [...]}`. */
function decodeJson(ctx: ValidationContext, raw: unknown, path: DocPath): { value: unknown } | undefined {
  if (typeof raw !== 'string') {
    ctx.error(
      path,
      'POLICY_WRONG_TYPE',
      `\`egress_json\` must be a string of JSON text, found ${typeName(raw)}`,
      'write the lists as a map under `egress` instead, or quote the JSON',
    );
    return undefined;
  }
  try {
    return { value: JSON.parse(raw) as unknown };
  } catch (error: unknown) {
    const position = errorPosition(raw, error);
    const before = raw.slice(Math.max(0, position - 24), position);
    const { line, column } = lineAndColumn(raw, position);
    ctx.error(
      path,
      'POLICY_INVALID_JSON',
      `\`egress_json\` is not valid JSON at position ${position} (line ${line}, column ${column})${
        position >= raw.length ? ': the text ends early' : `, after \`${before}\``
      }: ${plainMessage(error)}`,
      'the decoded value must be an object like {"deny": ["10.0.0.0/8"], "allow": ["api.openai.com"]}',
    );
    return undefined;
  }
}

/**
 * Where `JSON.parse` gave up. V8 names the position in most messages but not for an unexpected
 * token, so that case is found by bisection: a prefix of the text that fails only by ending early
 * is a viable start of some JSON text, and the first character past the longest one is the culprit.
 */
function errorPosition(text: string, error: unknown): number {
  const stated = statedPosition(error);
  if (stated !== undefined) return stated;
  if (viablePrefix(text)) return text.length;
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    if (viablePrefix(text.slice(0, mid))) good = mid;
    else bad = mid;
  }
  return good;
}

function viablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error: unknown) {
    if (describe(error).startsWith('Unexpected end')) return true;
    const stated = statedPosition(error);
    return stated !== undefined && stated >= prefix.length;
  }
}

function statedPosition(error: unknown): number | undefined {
  const match = / at position (\d+)/.exec(describe(error));
  return match === null ? undefined : Number(match[1]);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** V8's message without the position (reported separately) and without its echo of the whole text. */
function plainMessage(error: unknown): string {
  return describe(error)
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ after JSON at position \d+.*$/s, ' after the JSON value');
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: position - lastBreak };
}
