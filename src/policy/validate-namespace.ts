/**
 * `EgressNamespace`: one node of the hierarchy `prod`, `prod/payments`, `prod/payments/eu-west`,
 * with the domains its workloads (and its descendants') may reach.
 *
 * `allowedDomains` absent means "this level does not restrict" (the walk goes on to the ancestors);
 * `[]` means quarantine, which the namespace model calls "the fastest way to cut a namespace off
 * the internet". The two are easy to confuse in YAML, so quarantine is reported as a warning. The
 * invariant "children may only narrow" is checked across documents (`namespace-tree.ts`).
 */
import type { DocPath } from './documents';
import { NAMESPACE_SPEC } from './kinds/namespace';
import { shapeOf } from './kinds/object-shape';
import { MAX_NAMESPACE_DEPTH, namespacesByPath, narrowingViolations } from './namespace-tree';
import type { EgressNamespace, ResourceMeta } from './types';
import { NATIVE_API_VERSION } from './types';
import type { HostPattern } from './values';
import {
  isDnsLabel,
  isFields,
  optionalFix,
  readList,
  readObject,
  readString,
  suggestDnsName,
} from './validate-common';
import type { Fields } from './validate-common';
import type { ValidationContext } from './validate-context';
import { aliasKey, readDomain, specKey, warnRepeats } from './validate-domains';
import type { KindValidator, ResourceWorld } from './validate-kind';
import { extend } from './extend';

const KIND = 'EgressNamespace';
const SPEC_SHAPE = shapeOf(NAMESPACE_SPEC);

export const namespaceKind: KindValidator<EgressNamespace> = {
  kind: KIND,
  apiVersions: [NATIVE_API_VERSION],
  validate: validateNamespace,
  crossCheck: checkTree,
};

function validateNamespace(
  ctx: ValidationContext,
  spec: unknown,
  meta: ResourceMeta,
): EgressNamespace | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;
  const nsPath = readNamespacePath(ctx, fields, meta);
  const description = readString(ctx, fields, 'description', path) ?? '';
  const allowedKey = aliasKey(ctx, fields, 'allowedDomains', 'allowed_domains', path);
  const blockedKey = aliasKey(ctx, fields, 'blockedDomains', 'blocked_domains', path);
  const allowedList = readList(ctx, fields, allowedKey, path);
  const allowedDomains =
    allowedList === undefined ? undefined : readDomains(ctx, allowedList, [...path, allowedKey], true);
  const blockedList = readList(ctx, fields, blockedKey, path) ?? [];
  const blockedDomains = readDomains(ctx, blockedList, [...path, blockedKey], false);
  if (nsPath === undefined) return undefined;

  if (allowedList?.length === 0) {
    ctx.warn(
      [...path, allowedKey],
      'POLICY_NAMESPACE_QUARANTINED',
      `namespace ${nsPath} is quarantined: an empty \`${allowedKey}\` denies every destination to its workloads and to every namespace below it`,
      `list the domains it may reach, or remove \`${allowedKey}\` so it only inherits its ancestors' lists`,
    );
  }
  const base = { kind: KIND, meta, path: nsPath, description, blockedDomains } as const;
  return allowedDomains === undefined ? base : extend(base, { allowedDomains });
}

/** `spec.path`, or `metadata.name` when it is a valid one-level path. */
function readNamespacePath(ctx: ValidationContext, fields: Fields, meta: ResourceMeta): string | undefined {
  const given = readString(ctx, fields, 'path', ['spec']);
  if (given === undefined && fields['path'] !== undefined && fields['path'] !== null) return undefined;
  const text = given ?? meta.name;
  if (text === '') {
    if (given !== undefined) ctx.error(['spec', 'path'], 'POLICY_INVALID_NAME', 'namespace path is empty');
    return undefined;
  }
  const problem = pathProblem(text);
  if (problem === undefined) return text;
  const suggestion = suggestPath(text);
  const fix =
    given === undefined
      ? `set \`spec.path\`${suggestion === undefined ? '' : `, e.g. \`spec.path: ${suggestion}\``}`
      : suggestion === undefined
        ? undefined
        : `use \`${suggestion}\``;
  ctx.error(
    given === undefined ? ['metadata', 'name'] : ['spec', 'path'],
    'POLICY_INVALID_NAME',
    `namespace path \`${text}\`${given === undefined ? ' (from metadata.name)' : ''} ${problem}`,
    ...optionalFix(fix),
  );
  return undefined;
}

function pathProblem(text: string): string | undefined {
  if (text.startsWith('/') || text.endsWith('/'))
    return 'starts or ends with `/`; paths are relative to the root';
  const segments = text.split('/');
  if (segments.length > MAX_NAMESPACE_DEPTH) {
    return `has ${segments.length} levels; at most ${MAX_NAMESPACE_DEPTH} are allowed`;
  }
  const bad = segments.find((segment) => !isDnsLabel(segment));
  if (bad === undefined) return undefined;
  return bad === ''
    ? 'has an empty segment (`//`)'
    : `has segment \`${bad}\`, which is not a DNS-1123 label (lower-case letters, digits and \`-\`, at most 63)`;
}

function suggestPath(text: string): string | undefined {
  const segments = text
    .split('/')
    .map((s) => suggestDnsName(s).replace(/\./g, '-').slice(0, 63).replace(/-+$/, ''))
    .filter((s) => s !== '')
    .slice(0, MAX_NAMESPACE_DEPTH);
  const suggestion = segments.join('/');
  return suggestion === '' || suggestion === text ? undefined : suggestion;
}

function readDomains(
  ctx: ValidationContext,
  list: readonly unknown[],
  path: DocPath,
  allows: boolean,
): HostPattern[] {
  const read = list.flatMap((entry, index) => {
    const pattern = readDomain(ctx, entry, [...path, index], allows);
    return pattern === undefined ? [] : [{ pattern, path: [...path, index] }];
  });
  warnRepeats(ctx, read);
  return read.map((r) => r.pattern);
}

/** Namespace paths are fleet-wide: the tree spans every Kubernetes namespace. */
function namespacesIn(world: ResourceWorld): EgressNamespace[] {
  return world.all(KIND).filter((r): r is EgressNamespace => r.kind === KIND);
}

/** One definition per path (the first), and "children may only narrow" against every ancestor. */
function checkTree(ns: EgressNamespace, world: ResourceWorld, ctx: ValidationContext): void {
  const all = namespacesIn(world);
  const first = namespacesByPath(all).get(ns.path);
  if (first !== undefined && first !== ns) {
    const at = `${first.meta.source.file}:${first.meta.source.line}`;
    ctx.error(
      specHasPath(ctx) ? ['spec', 'path'] : ['metadata', 'name'],
      'POLICY_DUPLICATE_NAMESPACE_PATH',
      `namespace ${ns.path} is already defined by EgressNamespace ${first.meta.namespace}/${first.meta.name} at ${at}`,
      'merge the two definitions into one, or give this one another path',
    );
    return;
  }
  const key = specKey(ctx, 'allowedDomains', 'allowed_domains');
  const forced = cascadeForced(ctx);
  for (const v of narrowingViolations(all, ns)) {
    const index = ns.allowedDomains?.findIndex((d) => d.text === v.domain) ?? -1;
    const fix = `add ${v.domain} to ${v.ancestor} first (children may only narrow), or remove it here`;
    if (forced) {
      ctx.warn(
        ['spec', key, index],
        'POLICY_CHILD_WIDENS_PARENT',
        `namespace ${v.namespace} is broken by a forced update of an ancestor: ${v.message}, so its workloads are denied ${v.domain}`,
        fix,
      );
    } else {
      ctx.error(
        ['spec', key, index],
        'POLICY_CHILD_WIDENS_PARENT',
        `namespace ${v.namespace} may only narrow its ancestors: ${v.message}`,
        fix,
      );
    }
  }
}

/**
 * The namespace API's `?force=true`: "applies the change and returns the warnings; the descendants
 * are now broken until you fix them". The admin API marks each broken descendant with this
 * annotation (the domains left uncovered) so that the tree still loads; the request-time walk,
 * which requires every ancestor's list, then denies what the narrowed ancestor no longer allows.
 */
export const CASCADE_FORCED_ANNOTATION = 'egress.portcullis.dev/cascade-forced';

function cascadeForced(ctx: ValidationContext): boolean {
  const metadata = isFields(ctx.doc.value) ? ctx.doc.value['metadata'] : undefined;
  const annotations = isFields(metadata) ? metadata['annotations'] : undefined;
  return isFields(annotations) && typeof annotations[CASCADE_FORCED_ANNOTATION] === 'string';
}

function specHasPath(ctx: ValidationContext): boolean {
  const spec = isFields(ctx.doc.value) ? ctx.doc.value['spec'] : undefined;
  return isFields(spec) && spec['path'] !== undefined && spec['path'] !== null;
}
