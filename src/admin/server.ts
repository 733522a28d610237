/**
 * The admin HTTP surface (default port 8443): liveness, readiness, status and Prometheus metrics.
 * It reads the snapshot store's status and the metric registry; it decides nothing.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { SnapshotStatus } from '../sources/snapshot-store';

export interface AdminDeps {
  status(): SnapshotStatus;
  /** True while a snapshot is loaded and the process is not shutting down. */
  ready(): boolean;
  registry: Registry;
}

export interface AdminServer {
  readonly app: FastifyInstance;
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

export function createAdminServer(deps: AdminDeps): AdminServer {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  app.get('/healthz', async () => ({ status: 'alive' }));
  app.get('/readyz', async (_req, reply) => {
    const ready = deps.ready();
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', snapshotVersion: deps.status().version });
  });
  app.get('/api/status', async () => deps.status());
  app.get('/metrics', async (_req, reply) => {
    const body = await deps.registry.metrics();
    return reply.header('content-type', deps.registry.contentType).send(body);
  });

  return {
    app,
    async listen(host, port) {
      await app.listen({ host, port });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    close: () => app.close(),
  };
}
