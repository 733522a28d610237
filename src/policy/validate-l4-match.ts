/**
 * One `rules[].matches[]` entry of an `EgressL4Route` (seed 001): host patterns, CIDR blocks,
 * ports, protocol and the agents it applies to, each parsed once here into `values.ts` shapes.
 */
// The selector validator lives in compile/ (its compiler is the second user); it is pure, so
// importing it keeps policy/ free of IO, which is what the boundary protects.
// eslint-disable-next-line no-restricted-imports
import { validateSelector } from '../compile/label-selector';
import { cidrContains, parseCidr } from './cidr';
import type { DocPath } from './documents';
import { parseHostPattern } from './hostname';
import type { L4Match } from './types';
import type { Cidr, CidrBlock, HostPattern } from './values';
import {
  isFields,
  optionalFix,
  readEnum,
  readList,
  readObject,
  readString,
  typeName,
} from './validate-common';
import type { ValidationContext } from './validate-context';
import { formatPath, parsePath } from './validate-context';
import { validatePorts } from './validate-ports';

export function validateMatch(ctx: ValidationContext, raw: unknown, path: DocPath): L4Match | undefined {
  const fields = readObject(ctx, raw, path, {
    known: ['destinationHostnames', 'destinationCIDRs', 'ports', 'protocol', 'sourceAgents'],
  });
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;

  const hostList = readList(ctx, fields, 'destinationHostnames', path) ?? [];
  const cidrList = readList(ctx, fields, 'destinationCIDRs', path) ?? [];
  const portList = readList(ctx, fields, 'ports', path) ?? [];
  const protocol = readEnum(ctx, fields, 'protocol', path, ['TCP', 'UDP'] as const, {
    caseInsensitive: true,
  });

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
  return sourceAgents === undefined ? match : { ...match, sourceAgents };
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
    const cidr = parseOne(ctx, entry, path);
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
  const fields = readObject(ctx, entry, path, { known: ['cidr', 'except'], required: ['cidr'] });
  if (fields === undefined) return [];
  const errors = ctx.errorCount;
  const text = readString(ctx, fields, 'cidr', path);
  const cidr = text === undefined ? undefined : parseOne(ctx, text, [...path, 'cidr']);
  const except: Cidr[] = [];
  (readList(ctx, fields, 'except', path) ?? []).forEach((raw, index) => {
    const at = [...path, 'except', index];
    if (typeof raw !== 'string') {
      ctx.error(at, 'POLICY_WRONG_TYPE', `an except entry must be a CIDR string, found ${typeName(raw)}`);
      return;
    }
    const inner = parseOne(ctx, raw, at);
    if (inner === undefined || cidr === undefined) return;
    if (inner.address.family !== cidr.address.family) {
      ctx.error(
        at,
        'POLICY_EXCEPT_OUTSIDE',
        `except ${inner.text} is IPv${inner.address.family} but cidr ${cidr.text} is IPv${cidr.address.family}`,
        'carve-outs must be of the same address family; put the other family in its own entry',
      );
    } else if (!cidrContains(cidr, inner)) {
      ctx.error(
        at,
        'POLICY_EXCEPT_OUTSIDE',
        `except ${inner.text} is not inside cidr ${cidr.text}`,
        `remove it, or widen cidr so that it contains ${inner.text}`,
      );
    } else {
      except.push(inner);
    }
  });
  return cidr === undefined || ctx.errorCount > errors ? [] : [{ cidr, except }];
}

function parseOne(ctx: ValidationContext, text: string, path: DocPath): Cidr | undefined {
  const parsed = parseCidr(text);
  if (parsed.ok) return parsed.cidr;
  ctx.error(path, 'POLICY_INVALID_CIDR', parsed.message, ...optionalFix(parsed.fix));
  return undefined;
}
