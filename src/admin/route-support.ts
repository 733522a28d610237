/**
 * What every admin route needs: its dependencies, the caller's name for the events log, stored
 * documents in our API group, and domain checks that answer `invalid_domain` with the field.
 */
import type { FastifyRequest } from 'fastify';
import { parseHostPattern } from '../policy/hostname';
import { originOf } from '../policy/origin';
import type { ResourceMeta } from '../policy/types';
import { NATIVE_API_VERSION } from '../policy/types';
import type { HostPattern } from '../policy/values';
import type { AdminPolicy } from '../sources/admin-policy';
import type { SnapshotStore } from '../sources/snapshot-store';
import type { EventRecord } from '../store/event-store';
import type { ResourceDocument } from '../store/resource-store';
import { PortcullisError } from '../errors/portcullis-error';
import type { Principal } from './auth';
import type { Role } from '../store/token-store';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role that may call the route; routes without one need no token. */
    role?: Role;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface RouteDeps {
  readonly policy: AdminPolicy;
  readonly snapshots: SnapshotStore;
  readonly now: () => Date;
}

export function actorOf(request: FastifyRequest): string {
  return request.principal?.name ?? 'anonymous';
}

/** A policy-change event (the namespace model records every change), attributed to the caller. */
export function policyEvent(
  type: string,
  request: FastifyRequest,
  now: Date,
  data: Readonly<Record<string, unknown>>,
): EventRecord {
  return { type, timeMs: now.getTime(), data: { actor: actorOf(request), ...data } };
}

export function nativeDocument(
  kind: string,
  name: string,
  spec: Readonly<Record<string, unknown>>,
  annotations?: Readonly<Record<string, string>>,
): ResourceDocument {
  const metadata =
    annotations === undefined || Object.keys(annotations).length === 0 ? { name } : { name, annotations };
  return { apiVersion: NATIVE_API_VERSION, kind, metadata, spec };
}

/** Where a loaded resource was defined, for API views: the store, or a file the API cannot edit. */
export function sourceOf(meta: ResourceMeta): { source: 'admin' } | { source: 'file'; file: string } {
  return originOf(meta.source).kind === 'admin'
    ? { source: 'admin' }
    : { source: 'file', file: meta.source.file };
}

export function parseDomain(text: string, field: string): HostPattern {
  const parsed = parseHostPattern(text);
  if (parsed.ok) return parsed.pattern;
  throw new PortcullisError('invalid_domain', parsed.message, {
    field,
    domain: text,
    ...(parsed.fix === undefined ? {} : { fix: parsed.fix }),
  });
}

/** Each domain normalised; the first bad one answers `invalid_domain` naming its index. */
export function parseDomains(list: readonly string[], field: string): HostPattern[] {
  return list.map((text, i) => parseDomain(text, `${field}[${i}]`));
}

export function definedInFile(what: string, file: string): PortcullisError {
  return new PortcullisError(
    'defined_in_file',
    `${what} is defined in policy file ${file}; change it there (the admin API edits only what it created)`,
    { file },
  );
}

export function notFound(what: string): PortcullisError {
  return new PortcullisError('not_found', `${what} does not exist`);
}

/** Shared JSON-schema pieces. */
export const SCHEMA = {
  domain: { type: 'string', minLength: 1, maxLength: 260 },
  reason: { type: 'string', maxLength: 1024 },
  description: { type: 'string', maxLength: 1024 },
  domains: { type: 'array', maxItems: 10_000, items: { type: 'string', minLength: 1, maxLength: 260 } },
  namespacePath: {
    type: 'string',
    maxLength: 1100,
    pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?){0,15}$',
  },
  resourceName: {
    type: 'string',
    maxLength: 253,
    pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$',
  },
  error: {
    type: 'object',
    required: ['error', 'message'],
    properties: { error: { type: 'string' }, message: { type: 'string' } },
    additionalProperties: true,
  },
} as const;
