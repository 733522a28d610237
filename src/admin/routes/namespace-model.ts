/**
 * Namespaces as the admin API stores and shows them (the namespace model): one stored
 * `EgressNamespace` per path, and the create-or-update step with the loader's own narrowing checks
 * (`namespace-tree.ts`).
 *
 * `?force=true` applies a change that breaks descendants and marks each of them
 * (`CASCADE_FORCED_ANNOTATION`), so that the snapshot loads and the walk denies them what the
 * narrowed ancestor no longer allows.
 */
import type { FastifyRequest } from 'fastify';
import {
  NAMESPACE_KIND,
  namespaceDocument,
  namespaceResourceName,
  namespaceSpecOf,
} from '../../policy/kind-documents';
import { ancestorPaths, cascadeViolations, checkNarrowing } from '../../policy/namespace-tree';
import { adminOrigin } from '../../policy/origin';
import type { CascadeViolation } from '../../policy/namespace-tree';
import type { EgressNamespace, Resource } from '../../policy/types';
import { CASCADE_FORCED_ANNOTATION } from '../../policy/validate-namespace';
import { documentKey, type DocumentDraft, type EditResult } from '../../sources/admin-policy';
import type { ResourceDocument } from '../../store/resource-store';
import { PortcullisError } from '../../errors/portcullis-error';
import { definedInFile, notFound, parseDomains, policyEvent, sourceOf } from '../route-support';

export { NAMESPACE_KIND, namespaceResourceName };
const KIND = NAMESPACE_KIND;

export interface NamespaceFields {
  readonly description: string;
  /** null: this namespace does not restrict (the API's lists are optional). */
  readonly allowed_domains: readonly string[] | null;
  readonly blocked_domains: readonly string[];
}

export type NamespaceInput = Partial<NamespaceFields> & { readonly name?: string };

/** The stored document of the namespace at `path`, from the API's fields. */
function storedNamespace(
  path: string,
  f: NamespaceFields,
  annotations?: Record<string, string>,
): ResourceDocument {
  return namespaceDocument(
    {
      path,
      description: f.description,
      allowedDomains: f.allowed_domains,
      blockedDomains: f.blocked_domains,
    },
    annotations,
  );
}

export function fieldsOf(doc: ResourceDocument): NamespaceFields {
  const spec = namespaceSpecOf(doc.spec);
  return {
    description: spec.description,
    allowed_domains: spec.allowedDomains,
    blocked_domains: spec.blockedDomains,
  };
}

export function namespacesOf(resources: readonly Resource[]): EgressNamespace[] {
  return resources.filter((r): r is EgressNamespace => r.kind === KIND);
}

export function namespaceView(ns: EgressNamespace, doc?: ResourceDocument): Record<string, unknown> {
  const forced = doc?.metadata.annotations?.[CASCADE_FORCED_ANNOTATION];
  return {
    name: ns.path,
    parent: ancestorPaths(ns.path)[0] ?? null,
    depth: ns.path.split('/').length,
    description: ns.description,
    allowed_domains: ns.allowedDomains?.map((d) => d.text) ?? null,
    blocked_domains: ns.blockedDomains.map((d) => d.text),
    ...sourceOf(ns.meta),
    ...(forced === undefined ? {} : { cascade_forced: { uncovered_domains: forced.split(',') } }),
  };
}

/** The candidate as the tree checks see it; only `path` and the lists matter to them. */
function candidateOf(path: string, f: NamespaceFields): EgressNamespace {
  const allowed =
    f.allowed_domains === null ? undefined : parseDomains(f.allowed_domains, 'body.allowed_domains');
  const base = {
    kind: KIND,
    meta: {
      apiVersion: '',
      group: '',
      name: namespaceResourceName(path),
      namespace: 'default',
      labels: {},
      source: { file: 'admin:', line: 0, origin: adminOrigin(KIND, namespaceResourceName(path)) },
    },
    path,
    description: f.description,
    blockedDomains: parseDomains(f.blocked_domains, 'body.blocked_domains'),
  } as const;
  return allowed === undefined ? base : { ...base, allowedDomains: allowed };
}

export interface Upserted {
  readonly created: boolean;
  readonly warnings: readonly CascadeViolation[];
}

/**
 * Checks and applies one namespace definition. Domains are stored normalised, so what the API
 * returns is what the engine matches.
 */
export function upsert(
  draft: DocumentDraft,
  resources: readonly Resource[],
  path: string,
  fields: NamespaceFields,
  options: { force: boolean; mustExist: boolean; request: FastifyRequest; now: Date },
): EditResult<Upserted> {
  const all = namespacesOf(resources);
  const inFile = all.find((n) => n.path === path && sourceOf(n.meta).source === 'file');
  if (inFile !== undefined) throw definedInFile(`namespace ${path}`, inFile.meta.source.file);
  const key = documentKey(KIND, namespaceResourceName(path));
  const existing = draft.get(key);
  if (options.mustExist && existing === undefined) throw notFound(`namespace ${path}`);

  const candidate = candidateOf(path, fields);
  const normalised: NamespaceFields = {
    description: fields.description,
    allowed_domains: candidate.allowedDomains?.map((d) => d.text) ?? null,
    blocked_domains: candidate.blockedDomains.map((d) => d.text),
  };
  const others = all.filter((n) => n.path !== path);
  const widens = checkNarrowing(others, candidate);
  if (widens !== undefined) {
    const { kind, ...fieldsOfError } = widens;
    throw new PortcullisError(kind, widens.message, fieldsOfError);
  }
  const warnings = cascadeViolations(others, candidate);
  if (warnings.length > 0 && !options.force) {
    throw new PortcullisError(
      'cascade_violations',
      `the change would leave ${warnings.length} descendant namespace(s) allowing domains ${path} no longer allows; narrow them first, or repeat with ?force=true`,
      { cascade_warnings: warnings },
    );
  }
  for (const w of warnings) {
    const childKey = documentKey(KIND, namespaceResourceName(w.child));
    const child = draft.get(childKey);
    if (child === undefined) {
      const file = all.find((n) => n.path === w.child)?.meta.source.file ?? 'a policy file';
      throw definedInFile(`descendant namespace ${w.child}`, file);
    }
    const annotations = { [CASCADE_FORCED_ANNOTATION]: w.uncovered_domains.join(',') };
    draft.set(childKey, storedNamespace(w.child, fieldsOf(child), annotations));
  }
  // A normal update clears this namespace's own forced mark: it has been checked again just now.
  draft.set(key, storedNamespace(path, normalised));

  const data = { namespace: path, ...normalised };
  const event =
    existing === undefined
      ? policyEvent('namespace_created', options.request, options.now, data)
      : policyEvent('namespace_updated', options.request, options.now, {
          ...data,
          cascade_warnings: warnings,
          forced: options.force && warnings.length > 0,
        });
  return { result: { created: existing === undefined, warnings }, events: [event] };
}

export const EMPTY_NAMESPACE: NamespaceFields = {
  description: '',
  allowed_domains: null,
  blocked_domains: [],
};

export function mergeFields(base: NamespaceFields, input: NamespaceInput): NamespaceFields {
  return {
    description: input.description ?? base.description,
    allowed_domains: input.allowed_domains === undefined ? base.allowed_domains : input.allowed_domains,
    blocked_domains: input.blocked_domains ?? base.blocked_domains,
  };
}
