/**
 * The admin HTTP surface (default port 8443): health and metrics, and, when the service has an
 * admin store, the namespace model's REST API (egress lists, namespaces, workloads), the firewall
 * model's policies, the dry-run Test, the events log and tokens, with roles. It reads and writes
 * policy through the admin store and the snapshot store; it decides nothing itself.
 *
 * Bodies and queries are checked against JSON schemas with no coercion and no silent stripping:
 * a wrong type, an unknown field or a huge payload is an error with its own code (`api-error.ts`).
 * The schemas also produce the OpenAPI document at `GET /api/openapi.json`.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Decider } from '../decide/decider';
import { PolicyRejected, type AdminPolicy } from '../sources/admin-policy';
import type { SnapshotStore } from '../sources/snapshot-store';
import type { EventRecorderStatus } from '../store/event-recorder';
import type { EventStore } from '../store/event-store';
import type { SerialQueue } from '../store/serial-queue';
import type { Logger } from '../telemetry/logger';
import { errorBody, toApiError } from './api-error';
import { PortcullisError } from '../errors/portcullis-error';
import { roleAllows, type TokenRegistry } from './auth';
import { issueView } from './issue-view';
import { registerEgressRoutes } from './routes/egress';
import { registerEventRoutes } from './routes/events';
import { registerFirewallKeyRoutes } from './routes/firewall-keys';
import { registerFirewallPolicyRoutes } from './routes/firewall-policies';
import { registerFirewallRuleRoutes } from './routes/firewall-rules';
import { registerHealthRoutes, type HealthDeps } from './routes/health';
import { registerNamespaceRoutes } from './routes/namespaces';
import { registerTestRoutes } from './routes/test';
import { registerTokenRoutes } from './routes/tokens';

export interface AdminApiDeps {
  readonly policy: AdminPolicy;
  readonly snapshots: SnapshotStore;
  readonly events: EventStore;
  readonly eventQueue: () => EventRecorderStatus;
  readonly tokens: TokenRegistry;
  /** Where file tokens come from, for messages. */
  readonly tokensFile?: string;
  readonly queue: SerialQueue;
  /** The serving process's decider, for the dry run. */
  readonly decider: Decider;
  readonly store: { readonly file: string; open(): boolean };
  readonly logger?: Logger;
  readonly now?: () => Date;
}

export interface AdminDeps extends HealthDeps {
  /** Absent: only health, readiness, status and metrics are served. */
  readonly api?: AdminApiDeps;
}

export interface AdminServer {
  readonly app: FastifyInstance;
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

/** Large enough for a draft policy set in a dry-run, small enough to refuse abuse early. */
export const BODY_LIMIT = 1024 * 1024;

export function createAdminServer(deps: AdminDeps): AdminServer {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    ajv: {
      // allErrors: a body with several mistakes gets every one back (schema-problems.ts).
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true },
    },
  });
  const api = deps.api;
  const logger = api?.logger;

  // `curl -d '{…}'` without -H sends form encoding; the namespace API's documented examples do
  // exactly that.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(
        new PortcullisError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`),
        undefined,
      );
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const answer = err instanceof PolicyRejected ? rejected(err) : toApiError(err);
    if (answer.code === 'internal_error')
      logger?.error({ err, url: request.url }, 'admin API internal error');
    if (answer.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
    return reply.code(answer.httpStatus).send(errorBody(answer));
  });
  app.setNotFoundHandler((request, reply) => {
    const answer = new PortcullisError(
      'not_found',
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
    return reply.code(answer.httpStatus).send(errorBody(answer));
  });

  void app.register(swagger, {
    openapi: {
      info: { title: 'Portcullis admin API', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  void app.register(async (scope) => {
    registerHealthRoutes(
      scope,
      {
        ...deps,
        ...(api === undefined
          ? {}
          : {
              extraStatus: () => ({
                store: { file: api.store.file, open: api.store.open() },
                events: eventStatus(api.eventQueue()),
              }),
            }),
      },
      api === undefined ? undefined : 'member',
    );
    scope.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    if (api !== undefined) registerApi(scope, api);
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

function registerApi(app: FastifyInstance, api: AdminApiDeps): void {
  const now = api.now ?? (() => new Date());
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const role = request.routeOptions.config.role;
    if (role === undefined) return;
    const auth = await api.tokens.authenticate(request.headers.authorization);
    if (!auth.ok) throw unauthorized(auth.reason, api.tokensFile);
    if (!roleAllows(auth.principal.role, role)) {
      throw new PortcullisError(
        'forbidden',
        `this needs the ${role} role; token ${auth.principal.name} has ${auth.principal.role}`,
        {
          required_role: role,
          role: auth.principal.role,
        },
      );
    }
    request.principal = auth.principal;
  });
  app.addHook('onResponse', async (request, reply) => {
    // Changes and attempted changes, for the audit trail; reads and dry runs change nothing.
    const config = request.routeOptions.config;
    if (request.method === 'GET' || config.role === undefined || request.url.startsWith('/api/test')) return;
    api.logger?.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        actor: request.principal?.name ?? null,
      },
      'admin API request',
    );
  });

  const routeDeps = {
    policy: api.policy,
    snapshots: api.snapshots,
    now,
  };
  registerEgressRoutes(app, routeDeps);
  registerNamespaceRoutes(app, routeDeps);
  registerFirewallPolicyRoutes(app, routeDeps);
  registerFirewallRuleRoutes(app, routeDeps);
  registerFirewallKeyRoutes(app, routeDeps);
  registerTestRoutes(app, { ...routeDeps, decider: api.decider });
  registerEventRoutes(app, api.events);
  registerTokenRoutes(app, {
    tokens: api.tokens,
    queue: api.queue,
    now,
    ...(api.tokensFile === undefined ? {} : { tokensFile: api.tokensFile }),
  });
}

function unauthorized(
  reason: 'none_configured' | 'missing' | 'invalid',
  tokensFile: string | undefined,
): PortcullisError {
  switch (reason) {
    case 'none_configured':
      return new PortcullisError(
        'unauthorized',
        'no admin API tokens are configured: start serve with --tokens FILE (PORTCULLIS_TOKENS), a YAML list of {name, role, sha256}; `portcullis hash-key` prints the sha256 of a token',
      );
    case 'missing':
      return new PortcullisError('unauthorized', 'send an API token as `Authorization: Bearer <token>`');
    case 'invalid':
      return new PortcullisError(
        'unauthorized',
        `the bearer token is not known${tokensFile === undefined ? '' : ` (tokens come from ${tokensFile} and POST /api/tokens)`}`,
      );
  }
}

function rejected(err: PolicyRejected): PortcullisError {
  const issues = err.issues.map(issueView);
  return err.filesInvalid
    ? new PortcullisError(
        'policy_files_invalid',
        `the policy files have errors, so no admin change can be checked until they are fixed: ${err.message}`,
        { issues },
      )
    : new PortcullisError('invalid_policy', `the change does not validate: ${err.message}`, { issues });
}

function eventStatus(s: EventRecorderStatus): Record<string, unknown> {
  return {
    queue_depth: s.queueDepth,
    queue_size: s.queueSize,
    written: s.written,
    dropped: s.dropped,
    max_rows: s.maxRows,
    pruned: { age: s.pruned.age, size: s.pruned.size },
  };
}
