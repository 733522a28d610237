/**
 * What `readObject` (validate-common.ts) needs of an object description: the fields it accepts,
 * the upstream ones it ignores with a warning, the required ones, and each field's node for the
 * size limits. Computed once per description, not per document.
 */
import type { ObjectShape } from '../validate-common';
import type { ObjectNode } from './schema-node';
import { valueFields } from './schema-node';

export function shapeOf(node: ObjectNode): ObjectShape {
  const known: string[] = [];
  const ignored: string[] = [];
  for (const [name, field] of Object.entries(node.properties)) {
    (field.type === 'ignored' ? ignored : known).push(name);
  }
  return { known, ignored, required: node.required ?? [], fields: Object.fromEntries(valueFields(node)) };
}
