/**
 * A CIDR block in policy: `{cidr, except: [...]}` (NetworkPolicy's ipBlock, used by routes and
 * mirrord rules), with every `except` required to lie inside `cidr` and be of its family.
 */
import { cidrContains, parseCidr } from './cidr';
import type { DocPath } from './documents';
import { CIDR_BLOCK } from './kinds/common-nodes';
import { shapeOf } from './kinds/object-shape';
import { readList, readObject, readString, typeName } from './validate-common';
import type { ValidationContext } from './validate-context';
import type { Cidr, CidrBlock } from './values';

/** Parses one CIDR string, reporting POLICY_INVALID_CIDR at `path` (with the parser's fix). */
export function parseCidrAt(ctx: ValidationContext, text: string, path: DocPath): Cidr | undefined {
  const parsed = parseCidr(text);
  if (parsed.ok) return parsed.cidr;
  if (parsed.fix === undefined) ctx.error(path, 'POLICY_INVALID_CIDR', parsed.message);
  else ctx.error(path, 'POLICY_INVALID_CIDR', parsed.message, parsed.fix);
  return undefined;
}

const BLOCK_SHAPE = shapeOf(CIDR_BLOCK);

/** The map form; undefined (with every problem reported) when it is not a valid block. */
export function readCidrBlock(ctx: ValidationContext, raw: unknown, path: DocPath): CidrBlock | undefined {
  const fields = readObject(ctx, raw, path, BLOCK_SHAPE);
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;
  const text = readString(ctx, fields, 'cidr', path);
  const cidr = text === undefined ? undefined : parseCidrAt(ctx, text, [...path, 'cidr']);
  const except: Cidr[] = [];
  (readList(ctx, fields, 'except', path) ?? []).forEach((entry, index) => {
    const at = [...path, 'except', index];
    if (typeof entry !== 'string') {
      ctx.error(at, 'POLICY_WRONG_TYPE', `an except entry must be a CIDR string, found ${typeName(entry)}`);
      return;
    }
    const inner = parseCidrAt(ctx, entry, at);
    if (inner === undefined || cidr === undefined) return;
    if (inner.address.family !== cidr.address.family) {
      ctx.error(
        at,
        'POLICY_EXCEPT_OUTSIDE',
        `except ${inner.text} is IPv${inner.address.family} but cidr ${cidr.text} is IPv${cidr.address.family}`,
        'carve-outs must be of the same address family; put the other family in an entry of its own',
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
  return cidr === undefined || ctx.errorCount > errors ? undefined : { cidr, except };
}
