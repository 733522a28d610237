/**
 * One `network.outgoing.allow/block` rule of a mirrord policy: `ipBlock`, `hostname`
 * (a regular expression) and `ports`, each parsed once here into the shapes of `values.ts`.
 *
 * The hostname is compiled with re2 now, not at the first request, so a pattern re2 cannot run
 * (backreferences, lookaround: features that need backtracking, which re2 leaves out to guarantee
 * linear time on names an agent controls) is a load error with the file and line, never a surprise.
 */
import RE2 from 're2';

import type { DocPath } from './documents';
import { MIRRORD_PORT, MIRRORD_RULE } from './kinds/mirrord';
import { shapeOf } from './kinds/object-shape';
import type { MirrordRule } from './types';
import type { CidrBlock, Protocol } from './values';
import { isFields, optionalFix, readEnum, readList, readObject, typeName } from './validate-common';
import type { ValidationContext } from './validate-context';
import { readCidrBlock } from './validate-cidr-block';
import { extend } from './extend';

export type RuleList = 'allow' | 'block';

const present = (value: unknown): boolean => value !== undefined && value !== null;
const RULE_SHAPE = shapeOf(MIRRORD_RULE);
const PORT_SHAPE = shapeOf(MIRRORD_PORT);

export function validateMirrordRule(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  list: RuleList,
): MirrordRule | undefined {
  const errors = ctx.errorCount;
  const fields = readObject(ctx, raw, path, RULE_SHAPE);
  if (fields === undefined) return undefined;
  const ipBlock = present(fields['ipBlock'])
    ? validateIpBlock(ctx, fields['ipBlock'], [...path, 'ipBlock'])
    : undefined;
  const hostname = present(fields['hostname'])
    ? validateHostname(ctx, fields['hostname'], [...path, 'hostname'], list)
    : undefined;
  const portList = readList(ctx, fields, 'ports', path) ?? [];
  const ports = portList.flatMap((entry, index) => validatePort(ctx, entry, [...path, 'ports', index]));

  // After an error in this rule (a misspelt field) the "names nothing" error would only repeat it.
  const namesNothing = !present(fields['ipBlock']) && !present(fields['hostname']) && portList.length === 0;
  if (namesNothing && ctx.errorCount === errors) {
    ctx.error(
      path,
      'POLICY_MISSING_FIELD',
      `this ${list} rule names nothing to match, so it would match every connection`,
      'give it `ipBlock`, `hostname` or `ports`, or remove the rule',
    );
  }
  if (ctx.errorCount > errors) return undefined;
  const rule: MirrordRule = { ports };
  return extend(
    extend(rule, ipBlock === undefined ? {} : { ipBlock }),
    hostname === undefined ? {} : { hostname },
  );
}

/** `{cidr, except[]}` as in NetworkPolicy; every carve-out inside `cidr` and of its family. */
function validateIpBlock(ctx: ValidationContext, raw: unknown, path: DocPath): CidrBlock | undefined {
  if (typeof raw === 'string') {
    ctx.error(
      path,
      'POLICY_WRONG_TYPE',
      'ipBlock must be a map {cidr, except}, found a string',
      `write \`ipBlock: {cidr: ${JSON.stringify(raw)}}\``,
    );
    return undefined;
  }
  return readCidrBlock(ctx, raw, path);
}

/**
 * Names are matched case-insensitively (`i`), as DNS compares them: requests carry lower-cased
 * names, and a pattern written with capitals must not silently stop a block rule from matching.
 */
export const HOSTNAME_REGEX_FLAGS = 'i';

function validateHostname(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  list: RuleList,
): string | undefined {
  if (typeof raw !== 'string') {
    ctx.error(
      path,
      'POLICY_WRONG_TYPE',
      `hostname must be a regular expression string, found ${typeName(raw)}`,
      ...optionalFix(
        isFields(raw)
          ? 'write one pattern as a string, e.g. `hostname: "^api\\\\.example\\\\.com$"`'
          : undefined,
      ),
    );
    return undefined;
  }
  if (raw === '') {
    ctx.error(
      path,
      'POLICY_INVALID_REGEX',
      'hostname is empty, which would match every name',
      'write a pattern such as `^example\\\\.com$`, or remove `hostname`',
    );
    return undefined;
  }
  try {
    new RE2(raw, HOSTNAME_REGEX_FLAGS);
  } catch (error: unknown) {
    // Not `instanceof Error`: the native module's errors may come from another realm (test VMs).
    const why =
      typeof error === 'object' && error !== null && 'message' in error
        ? String(error.message)
        : String(error);
    ctx.error(
      path,
      'POLICY_INVALID_REGEX',
      `hostname ${JSON.stringify(raw)} is not a pattern re2 accepts: ${why}`,
      regexFix(raw),
    );
    return undefined;
  }
  if (list === 'allow' && !isAnchored(raw)) {
    ctx.warn(
      path,
      'POLICY_REGEX_UNANCHORED',
      `hostname ${JSON.stringify(raw)} is not anchored, so it also allows any name that merely contains a match (e.g. evil-${exampleOf(raw)}.attacker.net)`,
      'start the pattern with `^` and end it with `$`; group alternatives: `^(a|b)\\\\.com$`',
    );
  }
  return raw;
}

function regexFix(source: string): string {
  if (/\(\?<?[=!]/.test(source)) {
    return 're2 has no lookahead or lookbehind; match what you want in an allow rule and put the exception in a block rule';
  }
  if (/\\[1-9]|\\k</.test(source)) {
    return 're2 has no backreferences; spell out the alternatives, e.g. `^(aa|bb)$`';
  }
  return 'write the pattern in RE2 syntax: https://github.com/google/re2/wiki/Syntax';
}

/**
 * Every top-level alternative starts with `^` (or `\A`) and ends with an unescaped `$` (or `\z`):
 * `^a$|^b$` is anchored, `^a|b$` is not. A pattern this cannot read costs a warning, never a match.
 */
function isAnchored(source: string): boolean {
  const branches: string[] = [];
  let depth = 0;
  let inClass = false;
  let from = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      branches.push(source.slice(from, i));
      from = i + 1;
    }
  }
  branches.push(source.slice(from));
  return branches.every(
    (b) =>
      (b.startsWith('^') || b.startsWith('\\A')) &&
      ((b.endsWith('$') && !b.endsWith('\\$')) || b.endsWith('\\z')),
  );
}

function exampleOf(source: string): string {
  const literal = source.replace(/\\(.)/g, '$1').replace(/[^a-z0-9.-]+/gi, '');
  return literal === '' ? 'example.com' : literal;
}

/** `{protocol, port}`; protocol defaults to TCP, as in Kubernetes NetworkPolicy. */
function validatePort(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
): { protocol: Protocol; port: number }[] {
  if (!isFields(raw)) {
    const numeric = typeof raw === 'number' || typeof raw === 'string';
    ctx.error(
      path,
      'POLICY_WRONG_TYPE',
      `a port entry must be a map like \`{protocol: TCP, port: 443}\`, found ${typeName(raw)}`,
      ...optionalFix(numeric ? `write \`- {protocol: TCP, port: ${String(raw)}}\`` : undefined),
    );
    return [];
  }
  const fields = readObject(ctx, raw, path, PORT_SHAPE);
  if (fields === undefined) return [];
  const errors = ctx.errorCount;
  const protocol = readEnum(ctx, fields, 'protocol', path, MIRRORD_PORT.properties.protocol);
  const value = fields['port'];
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    ctx.error(
      [...path, 'port'],
      'POLICY_WRONG_TYPE',
      '`port` must be a number, found a string',
      `write \`port: ${value}\` without quotes`,
    );
  } else if (present(value) && typeof value !== 'number') {
    ctx.error([...path, 'port'], 'POLICY_WRONG_TYPE', `\`port\` must be a number, found ${typeName(value)}`);
  } else if (typeof value === 'number' && (!Number.isInteger(value) || value < 1 || value > 65535)) {
    ctx.error(
      [...path, 'port'],
      'POLICY_INVALID_PORT',
      `port ${value} is not a port: use a whole number from 1 to 65535`,
    );
  }
  if (ctx.errorCount > errors || typeof value !== 'number') return [];
  return [{ protocol: protocol === 'UDP' ? 'udp' : 'tcp', port: value }];
}
