/**
 * Liveness, readiness, status and metrics. `/healthz`, `/readyz` and `/metrics` need no token (probes
 * and scrapers carry none); `/api/status` is a member read when the API has tokens.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Issue } from '../../policy/types';
import type { SnapshotStatus } from '../../sources/snapshot-store';
import type { Role } from '../../store/token-store';
import { issueView } from '../issue-view';
import { httpStatusOf } from '../../errors/error-codes';

export interface HealthDeps {
  status(): SnapshotStatus;
  /** A snapshot is loaded, the store is open and the process is not shutting down. */
  ready(): boolean;
  registry: Registry;
  /** Extra sections of `/api/status` (store, events queue). */
  extraStatus?: () => Record<string, unknown>;
}

/** Load problems grouped by the file or stored resource they are in. */
function problemsByResource(status: SnapshotStatus): Record<string, unknown>[] {
  const issues: Issue[] = [...(status.lastError?.issues ?? []), ...status.warnings];
  const byResource = new Map<string, Issue[]>();
  for (const issue of issues) {
    const list = byResource.get(issue.file) ?? [];
    list.push(issue);
    byResource.set(issue.file, list);
  }
  return [...byResource].map(([resource, list]) => ({
    resource,
    errors: list.filter((i) => i.severity === 'error').length,
    warnings: list.filter((i) => i.severity === 'warning').length,
    issues: list.map(issueView),
  }));
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps, statusRole?: Role): void {
  app.get('/healthz', { schema: { tags: ['health'] } }, async () => ({ status: 'alive' }));
  app.get('/readyz', { schema: { tags: ['health'] } }, async (_req, reply) => {
    const ready = deps.ready();
    return reply
      .code(ready ? 200 : httpStatusOf('not_ready'))
      .send({ status: ready ? 'ready' : 'not_ready', snapshotVersion: deps.status().version });
  });
  app.get(
    '/api/status',
    { ...(statusRole === undefined ? {} : { config: { role: statusRole } }), schema: { tags: ['health'] } },
    async () => {
      const status = deps.status();
      return { ...status, problems: problemsByResource(status), ...(deps.extraStatus?.() ?? {}) };
    },
  );
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const body = await deps.registry.metrics();
    return reply.header('content-type', deps.registry.contentType).send(body);
  });
}
