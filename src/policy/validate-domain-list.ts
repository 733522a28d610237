/**
 * `EgressDomainList` (the namespace model's "Layer 1 — Egress allow/block"): the fleet-wide allow
 * and block lists the admin API edits through `/api/policy/egress/allow|block`, as a resource.
 *
 * Several lists may be loaded (one per team, one from threat intelligence…); they merge. The
 * `reason` is the entry's audit string, quoted in every decision an entry makes. `requireAuth`
 * (`require_auth` in the REST API's JSON) limits an allow entry to authenticated agents.
 */
import type { DocPath } from './documents';
import { ALLOW_ENTRY, BLOCK_ENTRY, DOMAIN_LIST_SPEC } from './kinds/domain-list';
import { shapeOf } from './kinds/object-shape';
import type { DomainEntry, EgressDomainList, ResourceMeta } from './types';
import { NATIVE_API_VERSION } from './types';
import type { HostPattern } from './values';
import { readBoolean, readList, readObject, readString } from './validate-common';
import type { ValidationContext } from './validate-context';
import { aliasKey, readDomain, warnRepeats } from './validate-domains';
import type { KindValidator } from './validate-kind';

const SPEC_SHAPE = shapeOf(DOMAIN_LIST_SPEC);
const ALLOW_SHAPE = shapeOf(ALLOW_ENTRY);
const BLOCK_SHAPE = shapeOf(BLOCK_ENTRY);

export const domainListKind: KindValidator<EgressDomainList> = {
  kind: 'EgressDomainList',
  apiVersions: [NATIVE_API_VERSION],
  validate: validateDomainList,
};

function validateDomainList(
  ctx: ValidationContext,
  spec: unknown,
  meta: ResourceMeta,
): EgressDomainList | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;
  const allow = readEntries(ctx, readList(ctx, fields, 'allow', path) ?? [], [...path, 'allow'], true);
  const block = readEntries(ctx, readList(ctx, fields, 'block', path) ?? [], [...path, 'block'], false);
  return { kind: 'EgressDomainList', meta, allow, block };
}

function readEntries(
  ctx: ValidationContext,
  list: readonly unknown[],
  path: DocPath,
  allow: boolean,
): DomainEntry[] {
  const read: { entry: DomainEntry; pattern: HostPattern; path: DocPath }[] = [];
  list.forEach((raw, index) => {
    const entry = readEntry(ctx, raw, [...path, index], allow);
    if (entry !== undefined) read.push({ entry, pattern: entry.pattern, path: [...path, index] });
  });
  warnRepeats(ctx, read);
  return read.map((r) => r.entry);
}

/** `{domain, reason, requireAuth}`, or a bare domain string for an entry with nothing else to say. */
function readEntry(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  allow: boolean,
): DomainEntry | undefined {
  if (typeof raw === 'string') {
    const pattern = readDomain(ctx, raw, path, allow);
    return pattern === undefined ? undefined : { pattern, reason: '', requireAuth: false };
  }
  const fields = readObject(ctx, raw, path, allow ? ALLOW_SHAPE : BLOCK_SHAPE);
  if (fields === undefined) return undefined;
  const pattern =
    fields['domain'] === undefined || fields['domain'] === null
      ? undefined
      : readDomain(ctx, fields['domain'], [...path, 'domain'], allow);
  const reason = readString(ctx, fields, 'reason', path) ?? '';
  const requireAuth = allow
    ? readBoolean(ctx, fields, aliasKey(ctx, fields, 'requireAuth', 'require_auth', path), path)
    : undefined;
  return pattern === undefined ? undefined : { pattern, reason, requireAuth: requireAuth ?? false };
}
