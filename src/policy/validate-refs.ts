/**
 * References between resources (Gateway API `parentRefs`, GEP-713 `targetRef`), shared by routes
 * and deny policies, and the API groups of the seed-001 kinds.
 */
import type { DocPath } from './documents';
import type { ResourceMeta, RouteRef } from './types';
import { CLRK_GROUP, NATIVE_API_VERSION, NATIVE_GROUP } from './types';
import { isDnsLabel, isDnsSubdomain, readObject, readString } from './validate-common';
import type { ValidationContext } from './validate-context';
import { extend } from './extend';

export const CLRK_API_VERSION = `${CLRK_GROUP}/v1alpha1`;

/** Seed 001's kinds exist in our group and, unchanged, in CLRK's. */
export const GATEWAY_API_VERSIONS: readonly string[] = [NATIVE_API_VERSION, CLRK_API_VERSION];

/** Groups a reference may name: ours and its alias mean the same resources. */
const REF_GROUPS: readonly string[] = [NATIVE_GROUP, CLRK_GROUP];

/**
 * A reference with its namespace always filled in (the resource's own when omitted), so nothing
 * downstream needs a fallback and a cross-namespace parentRef cannot be read as a local one.
 */
export interface ResolvedRef extends RouteRef {
  readonly namespace: string;
}

export interface RefRules {
  /** The only kind the reference may point to. */
  readonly kind: string;
  /** Whether `kind` may be omitted (parentRefs default it; targetRef requires it). */
  readonly kindOptional: boolean;
  /** parentRefs may cross namespaces; policy targetRefs are local (GEP-713). */
  readonly allowNamespace: boolean;
  readonly allowSectionName: boolean;
}

export function validateRef(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  meta: ResourceMeta,
  rules: RefRules,
): ResolvedRef | undefined {
  const known = ['group', 'kind', 'name'];
  if (rules.allowNamespace) known.push('namespace');
  if (rules.allowSectionName) known.push('sectionName');
  const required = rules.kindOptional ? ['name'] : ['kind', 'name'];
  const fields = readObject(ctx, raw, path, { known, required });
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;

  const group = readString(ctx, fields, 'group', path) ?? meta.group;
  if (!REF_GROUPS.includes(group)) {
    ctx.error(
      [...path, 'group'],
      'POLICY_INVALID_VALUE',
      `group \`${group}\` is not one Portcullis resolves; expected ${REF_GROUPS.map((g) => `\`${g}\``).join(' or ')}`,
      'omit `group` to use the group of this resource',
    );
  }
  const kind = readString(ctx, fields, 'kind', path) ?? rules.kind;
  if (kind !== rules.kind) {
    ctx.error(
      [...path, 'kind'],
      'POLICY_INVALID_VALUE',
      `kind \`${kind}\` cannot be referenced here; expected \`${rules.kind}\``,
      `write \`kind: ${rules.kind}\``,
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
