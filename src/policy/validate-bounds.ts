/**
 * Size limits from the kind descriptions (`maxLength`, `maxItems`, `maxProperties`), checked on
 * every field `readObject` reads. The admin API and CRDs enforce the same limits through their
 * derived schemas, so a document one surface accepts is never too large for another.
 */
import type { DocPath } from './documents';
import type { SchemaNode, StringNode } from './kinds/schema-node';
import type { ValidationContext } from './validate-context';

export function checkBounds(
  ctx: ValidationContext,
  key: string,
  value: unknown,
  path: DocPath,
  node: SchemaNode,
): void {
  if (typeof value === 'string' && node.type === 'string') {
    checkLength(ctx, `\`${key}\``, value, path, node);
  } else if (Array.isArray(value) && node.type === 'list') {
    if (node.maxItems !== undefined && value.length > node.maxItems) {
      tooLarge(ctx, path, `\`${key}\` has ${value.length} entries`, node.maxItems);
    }
    const items = node.items;
    if (items.type !== 'string') return;
    value.forEach((item: unknown, index) => {
      if (typeof item === 'string') checkLength(ctx, `entry ${index}`, item, [...path, index], items);
    });
  } else if (node.type === 'map' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (node.maxProperties !== undefined && entries.length > node.maxProperties) {
      tooLarge(ctx, path, `\`${key}\` has ${entries.length} entries`, node.maxProperties);
    }
    for (const [name, entry] of entries) {
      if (typeof entry === 'string')
        checkLength(ctx, `value of \`${name}\``, entry, [...path, name], node.values);
    }
  }
}

function checkLength(
  ctx: ValidationContext,
  what: string,
  text: string,
  path: DocPath,
  node: StringNode,
): void {
  if (node.maxLength === undefined || node.handChecked === true || text.length <= node.maxLength) return;
  // Characters as JSON Schema counts them (code points), not UTF-16 units.
  const length = [...text].length;
  if (length > node.maxLength) tooLarge(ctx, path, `${what} has ${length} characters`, node.maxLength);
}

function tooLarge(ctx: ValidationContext, path: DocPath, what: string, limit: number): void {
  ctx.error(path, 'POLICY_INVALID_VALUE', `${what}; the limit is ${limit}`);
}
