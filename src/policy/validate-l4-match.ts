/**
 * One `rules[].matches[]` entry of an `EgressL4Route`: host patterns, CIDR blocks,
 * ports, protocol and the agents it applies to, each parsed once here into `values.ts` shapes.
 */
import { validateSelector } from './validate-selector';
import type { DocPath } from './documents';
import { parseHostPattern } from './hostname';
import type { L4Match } from './types';
import type { CidrBlock, HostPattern } from './values';
import { L4_MATCH } from './kinds/l4-route';
import { shapeOf } from './kinds/object-shape';
import { isFields, optionalFix, readEnum, readList, readObject, typeName } from './validate-common';
import type { ValidationContext } from './validate-context';
import { parseCidrAt, readCidrBlock } from './validate-cidr-block';
import { formatPath, parsePath } from './validate-context';
import { validatePorts } from './validate-ports';
import { extend } from './extend';

const MATCH_SHAPE = shapeOf(L4_MATCH);

export function validateMatch(ctx: ValidationContext, raw: unknown, path: DocPath): L4Match | undefined {
  const fields = readObject(ctx, raw, path, MATCH_SHAPE);
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;

  const hostList = readList(ctx, fields, 'destinationHostnames', path) ?? [];
  const cidrList = readList(ctx, fields, 'destinationCIDRs', path) ?? [];
  const portList = readList(ctx, fields, 'ports', path) ?? [];
  const protocol = readEnum(ctx, fields, 'protocol', path, L4_MATCH.properties.protocol);

  const destinationHostnames = hostList.flatMap((entry, index) =>
    hostPattern(ctx, entry, [...path, 'destinationHostnames', index]),
  );
  const destinationCIDRs = cidrList.flatMap((entry, index) =>
    cidrBlock(ctx, entry, [...path, 'destinationCIDRs', index]),
  );
  const ports = validatePorts(ctx, portList, [...path, 'ports']);

  let sourceAgents: L4Match['sourceAgents'];
  const rawSelector = fields['sourceAgents'];
  if (rawSelector !== undefined && rawSelector !== null) {
    const result = validateSelector(rawSelector, formatPath([...path, 'sourceAgents']));
    for (const problem of result.problems) {
      ctx.error(
        parsePath(problem.path),
        'POLICY_INVALID_SELECTOR',
        problem.message,
        ...optionalFix(problem.fix),
      );
    }
    sourceAgents = result.selector;
  }

  // After an error in this match the warning would only repeat it (a typo'd destination field).
  const namesNothing = hostList.length === 0 && cidrList.length === 0 && portList.length === 0;
  if (namesNothing && ctx.errorCount === errors) {
    ctx.warn(
      path,
      'POLICY_MATCHES_EVERYTHING',
      `this match names no destination, so it allows every ${protocol ?? 'TCP'} destination${
        sourceAgents === undefined ? '' : ' for the agents it selects'
      }`,
      'add `destinationHostnames`, `destinationCIDRs` or `ports` to narrow it',
    );
  }

  const match: L4Match = {
    destinationHostnames,
    destinationCIDRs,
    ports,
    protocol: protocol === 'UDP' ? 'udp' : 'tcp',
  };
  return sourceAgents === undefined ? match : extend(match, { sourceAgents });
}

function hostPattern(ctx: ValidationContext, entry: unknown, path: DocPath): HostPattern[] {
  if (typeof entry !== 'string') {
    ctx.error(path, 'POLICY_WRONG_TYPE', `a host name must be a string, found ${typeName(entry)}`);
    return [];
  }
  const parsed = parseHostPattern(entry);
  if (parsed.ok) return [parsed.pattern];
  ctx.error(path, 'POLICY_INVALID_HOSTNAME', parsed.message, ...optionalFix(parsed.fix));
  return [];
}

/** `"10.0.0.0/8"`, or `{cidr: "10.0.0.0/8", except: ["10.9.0.0/16"]}` as in NetworkPolicy ipBlock. */
function cidrBlock(ctx: ValidationContext, entry: unknown, path: DocPath): CidrBlock[] {
  if (typeof entry === 'string') {
    const cidr = parseCidrAt(ctx, entry, path);
    return cidr === undefined ? [] : [{ cidr, except: [] }];
  }
  if (!isFields(entry)) {
    ctx.error(
      path,
      'POLICY_WRONG_TYPE',
      `a CIDR entry must be a string like "10.0.0.0/8" or a map {cidr, except}, found ${typeName(entry)}`,
    );
    return [];
  }
  const block = readCidrBlock(ctx, entry, path);
  return block === undefined ? [] : [block];
}
