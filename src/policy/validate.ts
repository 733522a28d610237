/**
 * Parsed documents → validated, normalised, frozen resources, and every issue found on the way.
 *
 * Two passes: each document on its own (shape, values, defaults), then the references between
 * them (parents, targets, duplicate names), because a route may come before its gateway in the
 * file order. Nothing stops at the first problem: an operator fixing a policy set wants the whole
 * list in one run. A resource with any error is left out; warnings do not exclude it.
 */
import type { RawDocument } from './documents';
import type { Issue, Resource, ResourceMeta } from './types';
import { NATIVE_GROUP } from './types';
import { didYouMean } from './suggest';
import { isFields, optionalFix, readObject, readString } from './validate-common';
import type { ValidationContext } from './validate-context';
import { createContext } from './validate-context';
import type { KindValidator, ResourceWorld } from './validate-kind';
import { validateMetadata } from './validate-metadata';
import { API_VERSIONS, KINDS, kindsFor } from './validate-registry';
import { extend } from './extend';

export { formatIssue } from './issues';

interface Checked {
  readonly ctx: ValidationContext;
  readonly validator?: KindValidator;
  readonly resource?: Resource;
  /** Identity (kind, namespace, name) when the document names a known kind with a valid name. */
  readonly key?: string;
  readonly meta?: ResourceMeta;
}

export function validateDocuments(docs: readonly RawDocument[]): { resources: Resource[]; issues: Issue[] } {
  const checked = docs.map(checkDocument);
  const unique = rejectDuplicates(checked);
  const valid = unique.filter((entry) => entry.resource !== undefined && entry.ctx.errorCount === 0);
  const world = createWorld(checked, valid);
  for (const entry of valid) {
    if (entry.validator?.crossCheck !== undefined && entry.resource !== undefined) {
      entry.validator.crossCheck(entry.resource, world, entry.ctx);
    }
  }
  const resources = valid
    .filter((entry) => entry.ctx.errorCount === 0)
    .map((entry) => deepFreeze(entry.resource as Resource));
  return { resources, issues: checked.flatMap((entry) => entry.ctx.issues) };
}

function checkDocument(doc: RawDocument): Checked {
  const ctx = createContext(doc);
  if (!isFields(doc.value)) {
    ctx.error(
      [],
      'POLICY_WRONG_TYPE',
      'a policy document must be a map with apiVersion, kind, metadata and spec',
    );
    return { ctx };
  }
  const fields = readObject(ctx, doc.value, [], {
    known: ['apiVersion', 'kind', 'metadata', 'spec'],
    ignored: ['status'],
    required: ['apiVersion', 'kind'],
  });
  if (fields === undefined) return { ctx };

  const apiVersion = readString(ctx, fields, 'apiVersion', []);
  const apiVersionOk = apiVersion !== undefined && API_VERSIONS.includes(apiVersion);
  if (apiVersion !== undefined && !apiVersionOk) {
    ctx.error(
      ['apiVersion'],
      'POLICY_UNKNOWN_API_VERSION',
      `apiVersion \`${apiVersion}\` is not supported; accepted: ${API_VERSIONS.join(', ')}`,
      ...optionalFix(didYouMean(apiVersion, API_VERSIONS)),
    );
  }
  const validator = checkKind(
    ctx,
    readString(ctx, fields, 'kind', []),
    apiVersionOk ? apiVersion : undefined,
  );

  // With an unknown apiVersion the rest is still checked as if it were ours, to report everything.
  const group = apiVersionOk ? apiVersion.slice(0, apiVersion.indexOf('/')) : NATIVE_GROUP;
  const { meta, identified } = validateMetadata(ctx, fields['metadata'], apiVersion ?? '', group);
  if (validator === undefined) return { ctx };

  let resource: Resource | undefined;
  if (fields['spec'] === undefined || fields['spec'] === null) {
    ctx.error(['spec'], 'POLICY_MISSING_FIELD', `\`spec\` is required for ${validator.kind}`);
  } else {
    resource = validator.validate(ctx, fields['spec'], meta);
  }
  const key = identified ? keyOf(validator.kind, meta.namespace, meta.name) : undefined;
  return extend(
    extend({ ctx, validator, meta }, resource === undefined ? {} : { resource }),
    key === undefined ? {} : { key },
  );
}

function checkKind(
  ctx: ValidationContext,
  kind: string | undefined,
  apiVersion: string | undefined,
): KindValidator | undefined {
  if (kind === undefined) return undefined;
  const served = apiVersion === undefined ? [...KINDS.keys()] : kindsFor(apiVersion);
  const validator = KINDS.get(kind);
  if (validator !== undefined && served.includes(kind)) return validator;
  const where = apiVersion === undefined ? '' : ` in ${apiVersion}`;
  ctx.error(
    ['kind'],
    'POLICY_UNKNOWN_KIND',
    `kind \`${kind}\` is not supported${where}; accepted: ${served.join(', ')}`,
    ...optionalFix(didYouMean(kind, served)),
  );
  // A known kind under the wrong apiVersion is still worth checking in full.
  return validator;
}

/** The first definition wins; each later one is an error naming where the first is. */
function rejectDuplicates(checked: readonly Checked[]): Checked[] {
  const first = new Map<string, Checked>();
  const kept: Checked[] = [];
  for (const entry of checked) {
    if (entry.key === undefined || entry.meta === undefined || entry.validator === undefined) {
      kept.push(entry);
      continue;
    }
    const earlier = first.get(entry.key);
    if (earlier === undefined) {
      first.set(entry.key, entry);
      kept.push(entry);
      continue;
    }
    const at = `${earlier.ctx.doc.file}:${earlier.ctx.doc.line}`;
    entry.ctx.error(
      ['metadata', 'name'],
      'POLICY_DUPLICATE_NAME',
      `${entry.validator.kind} ${entry.meta.namespace}/${entry.meta.name} is defined twice: here and at ${at}`,
      'rename one of them, or delete the duplicate',
    );
  }
  return kept;
}

function createWorld(all: readonly Checked[], valid: readonly Checked[]): ResourceWorld {
  const declared = new Set(all.flatMap((entry) => (entry.key === undefined ? [] : [entry.key])));
  const resources = new Map<string, Resource>();
  const byKind = new Map<string, readonly Resource[]>();
  for (const entry of valid) {
    if (entry.key !== undefined && entry.resource !== undefined) resources.set(entry.key, entry.resource);
  }
  return {
    find: (kind, namespace, name) => resources.get(keyOf(kind, namespace, name)),
    isDeclared: (kind, namespace, name) => declared.has(keyOf(kind, namespace, name)),
    names: (kind, namespace) => {
      const prefix = keyOf(kind, namespace, '');
      return [...declared].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
    },
    // Listed once per kind: cross-checks ask for every resource of a kind, once per resource.
    all: (kind) => {
      let list = byKind.get(kind);
      if (list === undefined) {
        list = Object.freeze(
          valid.flatMap((entry) => (entry.resource?.kind === kind ? [entry.resource] : [])),
        );
        byKind.set(kind, list);
      }
      return list;
    },
  };
}

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}\0${namespace}\0${name}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
