/**
 * Reading the domain lists of the namespace model (`EgressNamespace` allowed/blocked domains,
 * `EgressDomainList` entries): one host pattern per entry through `parseHostPattern`, repeats
 * reported, and the REST API's snake_case field names accepted beside our camelCase ones.
 */
import type { DocPath } from './documents';
import { parseHostPattern } from './hostname';
import type { HostPattern } from './values';
import { formatPath } from './validate-context';
import type { ValidationContext } from './validate-context';
import { isFields, optionalFix, typeName } from './validate-common';
import type { Fields } from './validate-common';
import { checkAllowedHostPattern } from './validate-public-suffix';

/**
 * Which of `camel` (ours) and `snake` (the REST API's spelling) the map uses; both at once is
 * an error, since they would disagree sooner or later.
 */
export function aliasKey(
  ctx: ValidationContext,
  fields: Fields,
  camel: string,
  snake: string,
  path: DocPath,
): string {
  const hasCamel = fields[camel] !== undefined && fields[camel] !== null;
  const hasSnake = fields[snake] !== undefined && fields[snake] !== null;
  if (hasCamel && hasSnake) {
    ctx.error(
      [...path, snake],
      'POLICY_INVALID_VALUE',
      `\`${snake}\` is another name for \`${camel}\`; give only one`,
      `merge the two lists into \`${camel}\``,
    );
  }
  return hasSnake && !hasCamel ? snake : camel;
}

/** The spelling the document itself uses for a `spec` field, so issue paths point at what was written. */
export function specKey(ctx: ValidationContext, camel: string, snake: string): string {
  const spec = isFields(ctx.doc.value) ? ctx.doc.value['spec'] : undefined;
  return isFields(spec) && spec[camel] === undefined && spec[snake] !== undefined ? snake : camel;
}

/**
 * One entry of an allow list (`allows`: it must not cover a public suffix) or a block list (any
 * valid pattern, since blocking a whole suffix is fail-closed).
 */
export function readDomain(
  ctx: ValidationContext,
  entry: unknown,
  path: DocPath,
  allows: boolean,
): HostPattern | undefined {
  if (typeof entry !== 'string') {
    ctx.error(path, 'POLICY_WRONG_TYPE', `a domain must be a string, found ${typeName(entry)}`);
    return undefined;
  }
  const parsed = parseHostPattern(entry);
  if (parsed.ok) {
    return !allows || checkAllowedHostPattern(ctx, parsed.pattern, path) ? parsed.pattern : undefined;
  }
  ctx.error(path, 'POLICY_INVALID_HOSTNAME', parsed.message, ...optionalFix(parsed.fix));
  return undefined;
}

/**
 * Warns on each later occurrence of a pattern already in the list: harmless for the verdict, but in
 * a list people edit by hand (and with reasons attached) it is usually a merge slip.
 */
export function warnRepeats(
  ctx: ValidationContext,
  entries: readonly { readonly pattern: HostPattern; readonly path: DocPath }[],
): void {
  const first = new Map<string, DocPath>();
  for (const { pattern, path } of entries) {
    const earlier = first.get(pattern.text);
    if (earlier === undefined) {
      first.set(pattern.text, path);
      continue;
    }
    ctx.warn(
      path,
      'POLICY_DUPLICATE_DOMAIN',
      `${pattern.text} is already listed at ${formatPath(earlier)}`,
      'remove one of the two entries',
    );
  }
}
