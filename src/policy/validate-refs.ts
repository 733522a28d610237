/**
 * References between resources (Gateway API `parentRefs`, GEP-713 `targetRef`), shared by routes
 * and deny policies, and the API groups of the gateway kinds.
 */
import type { DocPath } from './documents';
import { shapeOf } from './kinds/object-shape';
import type { ObjectNode, Properties, StringNode } from './kinds/schema-node';
import type { ResourceMeta, RouteRef } from './types';
import { CLRK_GROUP, NATIVE_API_VERSION } from './types';
import type { EnumField, ObjectShape } from './validate-common';
import { isDnsLabel, isDnsSubdomain, readObject, readString } from './validate-common';
import type { ValidationContext } from './validate-context';
import { extend } from './extend';

export const CLRK_API_VERSION = `${CLRK_GROUP}/v1alpha1`;

/** The gateway kinds exist in our group and, unchanged, in CLRK's. */
export const GATEWAY_API_VERSIONS: readonly string[] = [NATIVE_API_VERSION, CLRK_API_VERSION];

/**
 * A reference with its namespace always filled in (the resource's own when omitted), so nothing
 * downstream needs a fallback and a cross-namespace parentRef cannot be read as a local one.
 */
export interface ResolvedRef extends RouteRef {
  readonly namespace: string;
}

type EnumString = StringNode & EnumField<string>;

/**
 * A reference's description (kinds/l4-route.ts PARENT_REF, kinds/deny-policy.ts TARGET_REF): the
 * groups and the one kind it may name, whether `kind` may be omitted (parentRefs default it;
 * targetRef requires it), and whether it may name a namespace or a listener (parentRefs may cross
 * namespaces; policy targetRefs are local, GEP-713).
 */
export type RefNode = ObjectNode<Properties & { readonly group: EnumString; readonly kind: EnumString }>;

const shapes = new WeakMap<RefNode, ObjectShape>();

function refShape(node: RefNode): ObjectShape {
  let shape = shapes.get(node);
  if (shape === undefined) {
    shape = shapeOf(node);
    shapes.set(node, shape);
  }
  return shape;
}

export function validateRef(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  meta: ResourceMeta,
  node: RefNode,
): ResolvedRef | undefined {
  const fields = readObject(ctx, raw, path, refShape(node));
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;

  const groups = node.properties.group.enum;
  const group = readString(ctx, fields, 'group', path) ?? meta.group;
  if (!groups.includes(group)) {
    ctx.error(
      [...path, 'group'],
      'POLICY_INVALID_VALUE',
      `group \`${group}\` is not one Portcullis resolves; expected ${groups.map((g) => `\`${g}\``).join(' or ')}`,
      'omit `group` to use the group of this resource',
    );
  }
  const [expected = ''] = node.properties.kind.enum;
  const kind = readString(ctx, fields, 'kind', path) ?? expected;
  if (kind !== expected) {
    ctx.error(
      [...path, 'kind'],
      'POLICY_INVALID_VALUE',
      `kind \`${kind}\` cannot be referenced here; expected \`${expected}\``,
      `write \`kind: ${expected}\``,
    );
  }
  const name = readString(ctx, fields, 'name', path);
  if (name !== undefined && !isDnsSubdomain(name)) {
    ctx.error([...path, 'name'], 'POLICY_INVALID_NAME', `\`${name}\` is not a valid resource name`);
  }
  const namespace = readString(ctx, fields, 'namespace', path) ?? meta.namespace;
  if (!isDnsLabel(namespace)) {
    ctx.error([...path, 'namespace'], 'POLICY_INVALID_NAME', `\`${namespace}\` is not a valid namespace`);
  }
  const sectionName = readString(ctx, fields, 'sectionName', path);
  if (sectionName !== undefined && !isDnsSubdomain(sectionName)) {
    ctx.error(
      [...path, 'sectionName'],
      'POLICY_INVALID_NAME',
      `\`${sectionName}\` is not a valid listener name`,
    );
  }
  if (name === undefined || ctx.errorCount > errors) return undefined;
  const ref = { group, kind, name, namespace };
  return sectionName === undefined ? ref : extend(ref, { sectionName });
}

/** `default/prod-agents`, as messages name resources. */
export function refText(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
