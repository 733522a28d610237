/**
 * `ports: [{port: 443}, {startPort: 8000, endPort: 8099}]` → inclusive `PortRange`s.
 *
 * A single port is the range [p, p], so downstream code handles one shape.
 */
import type { DocPath } from './documents';
import type { PortRange } from './values';
import { PORT_ENTRY } from './kinds/l4-route';
import { shapeOf } from './kinds/object-shape';
import { isFields, readObject, typeName } from './validate-common';
import type { ValidationContext } from './validate-context';

const PORT_SHAPE = shapeOf(PORT_ENTRY);

export function validatePorts(ctx: ValidationContext, list: readonly unknown[], path: DocPath): PortRange[] {
  const ranges: PortRange[] = [];
  list.forEach((entry, index) => {
    const range = validatePortEntry(ctx, entry, [...path, index]);
    if (range !== undefined) ranges.push(range);
  });
  return ranges;
}

function validatePortEntry(ctx: ValidationContext, entry: unknown, path: DocPath): PortRange | undefined {
  if (!isFields(entry)) {
    const fix =
      typeof entry === 'number' || typeof entry === 'string'
        ? `write \`- port: ${String(entry)}\``
        : undefined;
    const message = `a port entry must be a map like \`{port: 443}\`, found ${typeName(entry)}`;
    if (fix === undefined) ctx.error(path, 'POLICY_WRONG_TYPE', message);
    else ctx.error(path, 'POLICY_WRONG_TYPE', message, fix);
    return undefined;
  }
  const fields = readObject(ctx, entry, path, PORT_SHAPE);
  if (fields === undefined) return undefined;
  const has = (key: string): boolean => fields[key] !== undefined && fields[key] !== null;

  if (has('port') && (has('startPort') || has('endPort'))) {
    ctx.error(
      path,
      'POLICY_INVALID_PORT_RANGE',
      'give either `port` or `startPort` and `endPort`, not both',
      has('startPort')
        ? 'remove `port`, or remove `startPort` and `endPort`'
        : 'use `startPort` with `endPort`',
    );
    return undefined;
  }
  if (has('port')) {
    const port = readPort(ctx, fields, 'port', path);
    return port === undefined ? undefined : { start: port, end: port };
  }
  if (!has('startPort') && !has('endPort')) {
    ctx.error(path, 'POLICY_MISSING_FIELD', 'a port entry needs `port`, or `startPort` and `endPort`');
    return undefined;
  }
  for (const key of ['startPort', 'endPort']) {
    if (!has(key))
      ctx.error([...path, key], 'POLICY_MISSING_FIELD', `\`${key}\` is required in a port range`);
  }
  const start = readPort(ctx, fields, 'startPort', path);
  const end = readPort(ctx, fields, 'endPort', path);
  if (start === undefined || end === undefined) return undefined;
  if (start > end) {
    ctx.error(
      path,
      'POLICY_INVALID_PORT_RANGE',
      `startPort ${start} is greater than endPort ${end}`,
      `swap them: \`{startPort: ${end}, endPort: ${start}}\``,
    );
    return undefined;
  }
  return { start, end };
}

function readPort(
  ctx: ValidationContext,
  fields: Readonly<Record<string, unknown>>,
  key: string,
  path: DocPath,
): number | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') {
    const numeric = typeof value === 'string' && /^\d+$/.test(value);
    const message = `\`${key}\` must be a number, found ${typeName(value)}`;
    if (numeric)
      ctx.error([...path, key], 'POLICY_WRONG_TYPE', message, `write \`${key}: ${value}\` without quotes`);
    else ctx.error([...path, key], 'POLICY_WRONG_TYPE', message);
    return undefined;
  }
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    ctx.error(
      [...path, key],
      'POLICY_INVALID_PORT',
      `${key} ${value} is not a port: use a whole number from 1 to 65535`,
    );
    return undefined;
  }
  return value;
}
