/**
 * What every admin route needs: its dependencies, the caller's name for the events log, stored
 * documents in our API group, and domain checks that answer `invalid_domain` with the field.
 */
import type { FastifyRequest } from 'fastify';
import { parseHostPattern } from '../policy/hostname';
import { HOST_PATTERN, namespacePath, resourceName } from '../policy/kinds/common-nodes';
import { schemaOf } from '../policy/kinds/json-schema';
import { originOf } from '../policy/origin';
import type { ResourceMeta } from '../policy/types';
import type { HostPattern } from '../policy/values';
import type { AdminPolicy } from '../sources/admin-policy';
import type { SnapshotStore } from '../sources/snapshot-store';
import type { EventRecord } from '../store/event-store';
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

/**
 * JSON-schema pieces of queries and path parameters, from the kind descriptions (src/policy/kinds),
 * as request bodies are (`bodySchema`).
 */
export const SCHEMA = {
  domain: schemaOf(HOST_PATTERN, 'api'),
  namespacePath: schemaOf(namespacePath('An EgressNamespace path: DNS labels joined by `/`'), 'api'),
  resourceName: schemaOf(resourceName('A resource name (DNS-1123 subdomain)', 'baseline'), 'api'),
  error: {
    type: 'object',
    required: ['error', 'message'],
    properties: { error: { type: 'string' }, message: { type: 'string' } },
    additionalProperties: true,
  },
} as const;
