/**
 * "A policy does nothing until a key resolves to it" (the firewall model): attach a policy to an
 * agent key (`firewall_policy_id` on the key) or make it the workspace default.
 *
 * An attachment is stored as an `EgressAgent` recognised by the key's SHA-256 (`recognise.keys`),
 * the same resource a policy file would hold, so identity resolution needs nothing new. Keys are
 * only ever given as digests (`portcullis hash-key` prints one).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AGENT_KIND, agentDocument, agentSpecOf } from '../../policy/kind-documents';
import { AGENT_SPEC, KEY_ENTRY } from '../../policy/kinds/agent';
import { resourceName } from '../../policy/kinds/common-nodes';
import { bodySchema, schemaOf } from '../../policy/kinds/json-schema';
import type { EgressAgent, Resource } from '../../policy/types';
import { documentKey, type DocumentDraft } from '../../sources/admin-policy';
import type { ResourceDocument } from '../../store/resource-store';
import { PortcullisError } from '../../errors/portcullis-error';
import { definedInFile, notFound, policyEvent, sourceOf, type RouteDeps } from '../route-support';
import { FIREWALL_KIND, firewallKey, policiesOf, policyDocument, specOf } from './firewall-model';

const SHA256 = schemaOf(KEY_ENTRY.properties.sha256, 'api');
const POLICY_NAME = resourceName('The firewall policy; `null` for none', 'baseline');

interface KeyInput {
  readonly firewall_policy_id: string;
  readonly agent?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The agent the key is stored as (kinds/agent.ts), under the REST API's names, and its name. */
const keyBody = bodySchema(
  AGENT_SPEC,
  {
    firewall_policy_id: 'firewallPolicy',
    agent: resourceName('The EgressAgent to store; default key-<first 16 digest digits>', 'research-bot'),
    namespace: 'namespace',
    labels: 'labels',
  },
  { required: ['firewall_policy_id'] },
);
const keyParams = { type: 'object', required: ['sha256'], properties: { sha256: SHA256 } };
const defaultBody = bodySchema(
  AGENT_SPEC,
  { firewall_policy_id: POLICY_NAME },
  { required: ['firewall_policy_id'], nullable: ['firewall_policy_id'] },
);

function storedKeyAgent(draft: DocumentDraft, sha256: string): [string, ResourceDocument] | undefined {
  for (const [key, doc] of draft) {
    if (doc.kind !== AGENT_KIND) continue;
    const keys = agentSpecOf(doc.spec).recognise?.keys ?? [];
    if (keys.some((k) => k.sha256 === sha256)) return [key, doc];
  }
  return undefined;
}

function keyView(agent: EgressAgent, sha256: string): Record<string, unknown> {
  return {
    key_sha256: sha256,
    firewall_policy_id: agent.firewallPolicy ?? null,
    agent: agent.meta.name,
    namespace: agent.namespacePath,
    labels: agent.labels,
    ...sourceOf(agent.meta),
  };
}

function keyAgents(resources: readonly Resource[]): EgressAgent[] {
  return resources.filter((r): r is EgressAgent => r.kind === AGENT_KIND && r.keySha256.length > 0);
}

export function registerFirewallKeyRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const tags = ['firewall'];
  const event = (request: FastifyRequest, type: string, data: Record<string, unknown>) =>
    policyEvent(type, request, deps.now(), data);

  app.get('/api/workspace/firewall/keys', { config: { role: 'member' }, schema: { tags } }, async () => ({
    keys: keyAgents(deps.policy.resources()).flatMap((a) => a.keySha256.map((k) => keyView(a, k))),
  }));

  app.put(
    '/api/workspace/firewall/keys/:sha256',
    { config: { role: 'developer' }, schema: { tags, params: keyParams, body: keyBody } },
    async (request) => {
      const sha256 = (request.params as { sha256: string }).sha256.toLowerCase();
      const input = request.body as KeyInput;
      const name = input.agent ?? `key-${sha256.slice(0, 16)}`;
      await deps.policy.change((draft, { resources }) => {
        const inFile = keyAgents(resources).find(
          (a) => a.keySha256.includes(sha256) && sourceOf(a.meta).source === 'file',
        );
        if (inFile !== undefined)
          throw definedInFile(`this key (agent ${inFile.meta.name})`, inFile.meta.source.file);
        if (!policiesOf(resources).some((p) => p.meta.name === input.firewall_policy_id)) {
          throw new PortcullisError(
            'not_found',
            `firewall policy ${input.firewall_policy_id} does not exist`,
            {
              field: 'body.firewall_policy_id',
            },
          );
        }
        const previous = storedKeyAgent(draft, sha256);
        if (previous !== undefined) draft.delete(previous[0]);
        const document = agentDocument(name, {
          ...(input.namespace === undefined || input.namespace === '' ? {} : { namespace: input.namespace }),
          ...(input.labels === undefined ? {} : { labels: input.labels }),
          firewallPolicy: input.firewall_policy_id,
          recognise: { keys: [{ sha256 }] },
        });
        draft.set(documentKey(AGENT_KIND, name), document);
        return {
          result: undefined,
          events: [
            event(request, 'firewall_key_attached', {
              key_sha256_prefix: sha256.slice(0, 12),
              agent: name,
              policy_name: input.firewall_policy_id,
            }),
          ],
        };
      });
      const agent = keyAgents(deps.policy.resources()).find((a) => a.keySha256.includes(sha256));
      if (agent === undefined) throw notFound('the key attachment');
      return keyView(agent, sha256);
    },
  );

  app.delete(
    '/api/workspace/firewall/keys/:sha256',
    { config: { role: 'developer' }, schema: { tags, params: keyParams } },
    async (request) => {
      const sha256 = (request.params as { sha256: string }).sha256.toLowerCase();
      return deps.policy.change((draft, { resources }) => {
        const stored = storedKeyAgent(draft, sha256);
        if (stored === undefined) {
          const inFile = keyAgents(resources).find((a) => a.keySha256.includes(sha256));
          throw inFile === undefined
            ? notFound('an attachment for this key')
            : definedInFile('this key', inFile.meta.source.file);
        }
        draft.delete(stored[0]);
        return {
          result: { detached: sha256 },
          events: [
            event(request, 'firewall_key_detached', {
              key_sha256_prefix: sha256.slice(0, 12),
              agent: stored[1].metadata.name,
            }),
          ],
        };
      });
    },
  );

  app.get('/api/workspace/firewall/default', { config: { role: 'member' }, schema: { tags } }, async () => {
    const found = policiesOf(deps.policy.resources()).find((p) => p.enabled && p.workspaceDefault);
    return {
      firewall_policy_id: found?.meta.name ?? null,
      ...(found === undefined ? {} : sourceOf(found.meta)),
    };
  });

  app.put(
    '/api/workspace/firewall/default',
    { config: { role: 'developer' }, schema: { tags, body: defaultBody } },
    async (request) => {
      const wanted = (request.body as { firewall_policy_id: string | null }).firewall_policy_id;
      await deps.policy.change((draft, { resources }) => {
        if (wanted !== null && !draft.has(firewallKey(wanted))) {
          const inFile = policiesOf(resources).find((p) => p.meta.name === wanted);
          throw inFile === undefined
            ? notFound(`firewall policy ${wanted}`)
            : definedInFile(`firewall policy ${wanted}`, inFile.meta.source.file);
        }
        for (const [key, doc] of draft) {
          if (doc.kind !== FIREWALL_KIND) continue;
          const spec = specOf(doc);
          const isDefault = doc.metadata.name === wanted;
          if ((spec.workspaceDefault ?? false) !== isDefault) {
            draft.set(key, policyDocument(doc.metadata.name, { ...spec, workspaceDefault: isDefault }));
          }
        }
        return {
          result: undefined,
          events: [event(request, 'firewall_default_set', { policy_name: wanted })],
        };
      });
      return { firewall_policy_id: wanted };
    },
  );
}
