/**
 * The namespace model's "Layer 1 — Egress allow/block": `POST /api/policy/egress/allow|block`,
 * `DELETE /api/policy/egress/allow|block?domain=…`, `GET /api/policy/egress`.
 *
 * The lists the API edits are one stored `EgressDomainList` named `admin-global-egress`; the tables
 * it shows are every loaded list (files too), each row saying where it is defined. Adding a domain
 * that is already listed replaces its entry (new reason, new require_auth).
 */
import type { FastifyInstance } from 'fastify';
import {
  DOMAIN_LIST_KIND as KIND,
  domainListDocument,
  domainListSpecOf,
  type DomainEntrySpec,
} from '../../policy/kind-documents';
import { ALLOW_ENTRY, BLOCK_ENTRY } from '../../policy/kinds/domain-list';
import { bodySchema } from '../../policy/kinds/json-schema';
import type { EgressDomainList, Resource } from '../../policy/types';
import { documentKey, type DocumentDraft } from '../../sources/admin-policy';
import type { ResourceDocument } from '../../store/resource-store';
import { PortcullisError } from '../../errors/portcullis-error';
import { SCHEMA, definedInFile, parseDomain, policyEvent, sourceOf, type RouteDeps } from '../route-support';

export const GLOBAL_LIST_NAME = 'admin-global-egress';
const KEY = documentKey(KIND, GLOBAL_LIST_NAME);

type List = 'allow' | 'block';
type Entry = DomainEntrySpec;
interface Lists {
  readonly allow: readonly Entry[];
  readonly block: readonly Entry[];
}

const EVENT: Record<List, string> = { allow: 'policy_allow', block: 'policy_block' };

function listsOf(doc: ResourceDocument | undefined): Lists {
  return doc === undefined ? { allow: [], block: [] } : domainListSpecOf(doc.spec);
}

function putLists(draft: DocumentDraft, lists: Lists): void {
  if (lists.allow.length === 0 && lists.block.length === 0) draft.delete(KEY);
  else draft.set(KEY, domainListDocument(GLOBAL_LIST_NAME, lists));
}

function entryView(e: Entry, list: List): Record<string, unknown> {
  return list === 'allow'
    ? { domain: e.domain, reason: e.reason ?? '', require_auth: e.requireAuth ?? false }
    : { domain: e.domain, reason: e.reason ?? '' };
}

/** Both tables as loaded: every EgressDomainList, files and store. */
export function egressTables(resources: readonly Resource[]): Record<string, unknown> {
  const lists = resources.filter((r): r is EgressDomainList => r.kind === KIND);
  const rows = (list: List) =>
    lists.flatMap((l) =>
      l[list].map((e) => ({
        ...entryView({ domain: e.pattern.text, reason: e.reason, requireAuth: e.requireAuth }, list),
        ...sourceOf(l.meta),
        list_name: l.meta.name,
      })),
    );
  return { allowed: rows('allow'), blocked: rows('block') };
}

/** An entry of the list (kinds/domain-list.ts), under the REST API's names. */
const body = (list: List) =>
  list === 'allow'
    ? bodySchema(ALLOW_ENTRY, { domain: 'domain', reason: 'reason', require_auth: 'require_auth' })
    : bodySchema(BLOCK_ENTRY, { domain: 'domain', reason: 'reason' });

const domainQuery = {
  type: 'object',
  required: ['domain'],
  additionalProperties: false,
  properties: { domain: SCHEMA.domain },
};

export function registerEgressRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get(
    '/api/policy/egress',
    { config: { role: 'member' }, schema: { tags: ['egress'], summary: 'Both global tables' } },
    async () => egressTables(deps.policy.resources()),
  );

  for (const list of ['allow', 'block'] as const) {
    app.post(
      `/api/policy/egress/${list}`,
      {
        config: { role: 'developer' },
        schema: { tags: ['egress'], summary: `Add a domain to the global ${list} list`, body: body(list) },
      },
      async (request, reply) => {
        const input = request.body as { domain: string; reason?: string; require_auth?: boolean };
        const domain = parseDomain(input.domain, 'body.domain').text;
        const entry: Entry =
          list === 'allow'
            ? { domain, reason: input.reason ?? '', requireAuth: input.require_auth ?? false }
            : { domain, reason: input.reason ?? '' };
        const now = deps.now();
        const created = await deps.policy.change((draft) => {
          const lists = listsOf(draft.get(KEY));
          const existed = lists[list].some((e) => e.domain === domain);
          const next = lists[list].map((e) => (e.domain === domain ? entry : e));
          putLists(draft, { ...lists, [list]: existed ? next : [...next, entry] });
          return {
            result: !existed,
            events: [policyEvent(EVENT[list], request, now, { list, ...entryView(entry, list) })],
          };
        });
        return reply.code(created ? 201 : 200).send({ list, ...entryView(entry, list) });
      },
    );

    app.delete(
      `/api/policy/egress/${list}`,
      {
        config: { role: 'developer' },
        schema: {
          tags: ['egress'],
          summary: `Remove a domain from the global ${list} list`,
          querystring: domainQuery,
        },
      },
      async (request) => {
        const domain = parseDomain((request.query as { domain: string }).domain, 'query.domain').text;
        const now = deps.now();
        const removed = await deps.policy.change((draft, context) => {
          const lists = listsOf(draft.get(KEY));
          const entry = lists[list].find((e) => e.domain === domain);
          if (entry === undefined) throw missing(context.resources, list, domain);
          putLists(draft, { ...lists, [list]: lists[list].filter((e) => e.domain !== domain) });
          const view = entryView(entry, list);
          return { result: view, events: [policyEvent('policy_removed', request, now, { list, ...view })] };
        });
        return { list, removed };
      },
    );
  }
}

/** Not in the stored list: defined in a file (which the API cannot edit), or nowhere. */
function missing(resources: readonly Resource[], list: List, domain: string): PortcullisError {
  const inFile = resources.find(
    (r): r is EgressDomainList =>
      r.kind === KIND && r[list].some((e) => e.pattern.text === domain) && sourceOf(r.meta).source === 'file',
  );
  if (inFile !== undefined) {
    return definedInFile(`${domain} on the ${list} list`, inFile.meta.source.file);
  }
  return new PortcullisError('not_found', `${domain} is not on the global ${list} list`, { domain, list });
}
