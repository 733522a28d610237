/**
 * The namespace model's "Layer 2 — Namespace egress": `/api/fleet/namespaces` (create or update
 * with POST, as its quarantine example does; PUT replaces, PATCH merges; GET lists or reads one;
 * DELETE) and `GET /api/fleet/workloads`.
 *
 * "Children may only narrow": a domain no ancestor covers answers `child_widens_parent`; a change
 * that would leave a descendant uncovered answers `cascade_violations` unless `?force=true`, which
 * applies it and marks each broken descendant (`CASCADE_FORCED_ANNOTATION`), so that the snapshot
 * loads and the walk denies those descendants what the narrowed ancestor no longer allows. Both
 * checks are the loader's own (`namespace-tree.ts`), so the API and the loader always agree.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bodySchema } from '../../policy/kinds/json-schema';
import { NAMESPACE_SPEC } from '../../policy/kinds/namespace';
import type { EgressAgent } from '../../policy/types';
import { documentKey } from '../../sources/admin-policy';
import { PortcullisError } from '../../errors/portcullis-error';
import { SCHEMA, definedInFile, notFound, policyEvent, sourceOf, type RouteDeps } from '../route-support';
import {
  EMPTY_NAMESPACE,
  NAMESPACE_KIND as KIND,
  fieldsOf,
  mergeFields,
  namespaceResourceName,
  namespaceView,
  namespacesOf,
  upsert,
  type NamespaceInput,
  type Upserted,
} from './namespace-model';

/** The namespace's spec (kinds/namespace.ts) under the REST API's names; `null` lists: no restriction. */
const FIELDS = {
  name: 'path',
  description: 'description',
  allowed_domains: 'allowedDomains',
  blocked_domains: 'blockedDomains',
} as const;
const createBody = bodySchema(NAMESPACE_SPEC, FIELDS, { required: ['name'], nullable: ['allowed_domains'] });
const updateBody = bodySchema(NAMESPACE_SPEC, FIELDS, { nullable: ['allowed_domains'] });
const forceQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { force: { type: 'string', enum: ['true', 'false', '1', '0'] } },
};
const pathParams = {
  type: 'object',
  properties: { '*': SCHEMA.namespacePath },
  required: ['*'],
};

const isForced = (request: FastifyRequest): boolean => {
  const force = (request.query as { force?: string }).force;
  return force === 'true' || force === '1';
};

export function registerNamespaceRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const storedDoc = async (path: string) =>
    (await deps.policy.documents()).get(documentKey(KIND, namespaceResourceName(path)));
  const viewOf = async (path: string) => {
    const ns = namespacesOf(deps.policy.resources()).find((n) => n.path === path);
    if (ns === undefined) throw notFound(`namespace ${path}`);
    return namespaceView(ns, await storedDoc(path));
  };
  const answer = async (path: string, result: Upserted) => ({
    ...(await viewOf(path)),
    ...(result.warnings.length > 0 ? { cascade_warnings: result.warnings } : {}),
  });

  app.get(
    '/api/fleet/namespaces',
    { config: { role: 'member' }, schema: { tags: ['namespaces'] } },
    async () => {
      const stored = await deps.policy.documents();
      const list = namespacesOf(deps.policy.resources())
        .map((ns) => namespaceView(ns, stored.get(documentKey(KIND, namespaceResourceName(ns.path)))))
        .sort((a, b) => ((a['name'] as string) < (b['name'] as string) ? -1 : 1));
      return { namespaces: list };
    },
  );

  app.get(
    '/api/fleet/namespaces/*',
    { config: { role: 'member' }, schema: { tags: ['namespaces'], params: pathParams } },
    async (request) => viewOf((request.params as { '*': string })['*']),
  );

  app.post(
    '/api/fleet/namespaces',
    {
      config: { role: 'developer' },
      schema: {
        tags: ['namespaces'],
        summary: 'Create, or update what is given',
        body: createBody,
        querystring: forceQuery,
      },
    },
    async (request, reply) => {
      const input = request.body as NamespaceInput & { name: string };
      const path = input.name;
      const now = deps.now();
      const result = await deps.policy.change((draft, { resources }) => {
        const existing = draft.get(documentKey(KIND, namespaceResourceName(path)));
        const fields = mergeFields(existing === undefined ? EMPTY_NAMESPACE : fieldsOf(existing), input);
        return upsert(draft, resources, path, fields, {
          force: isForced(request),
          mustExist: false,
          request,
          now,
        });
      });
      return reply.code(result.created ? 201 : 200).send(await answer(path, result));
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/fleet/namespaces/*',
      config: { role: 'developer' },
      schema: { tags: ['namespaces'], body: updateBody, querystring: forceQuery, params: pathParams },
      handler: async (request) => {
        const path = (request.params as { '*': string })['*'];
        const input = request.body as NamespaceInput;
        if (input.name !== undefined && input.name !== path) {
          throw new PortcullisError(
            'invalid_value',
            `body.name ${input.name} differs from the path's ${path}`,
            {
              field: 'body.name',
            },
          );
        }
        const now = deps.now();
        const result = await deps.policy.change((draft, { resources }) => {
          const existing = draft.get(documentKey(KIND, namespaceResourceName(path)));
          const base = method === 'PATCH' && existing !== undefined ? fieldsOf(existing) : EMPTY_NAMESPACE;
          return upsert(draft, resources, path, mergeFields(base, input), {
            force: isForced(request),
            mustExist: true,
            request,
            now,
          });
        });
        return answer(path, result);
      },
    });
  }

  app.delete(
    '/api/fleet/namespaces/*',
    { config: { role: 'developer' }, schema: { tags: ['namespaces'], params: pathParams } },
    async (request) => {
      const path = (request.params as { '*': string })['*'];
      const now = deps.now();
      return deps.policy.change((draft, { resources }) => {
        const key = documentKey(KIND, namespaceResourceName(path));
        const doc = draft.get(key);
        if (doc === undefined) {
          const inFile = namespacesOf(resources).find((n) => n.path === path);
          throw inFile === undefined
            ? notFound(`namespace ${path}`)
            : definedInFile(`namespace ${path}`, inFile.meta.source.file);
        }
        draft.delete(key);
        return {
          result: { deleted: path },
          events: [policyEvent('namespace_deleted', request, now, { namespace: path, ...fieldsOf(doc) })],
        };
      });
    },
  );

  app.get(
    '/api/fleet/workloads',
    { config: { role: 'member' }, schema: { tags: ['namespaces'] } },
    async () => ({
      workloads: deps.policy
        .resources()
        .filter((r): r is EgressAgent => r.kind === 'EgressAgent')
        .map(workloadView),
    }),
  );
}

function workloadView(agent: EgressAgent): Record<string, unknown> {
  const recognisedBy = [
    'context',
    ...(agent.principals.length > 0 ? ['principal'] : []),
    ...(agent.keySha256.length > 0 ? ['key'] : []),
    ...(agent.sourceCIDRs.length > 0 ? ['source-ip'] : []),
  ];
  return {
    name: agent.meta.name,
    namespace: agent.namespacePath,
    labels: agent.labels,
    firewall_policy: agent.firewallPolicy ?? null,
    recognised_by: recognisedBy,
    ...sourceOf(agent.meta),
  };
}
