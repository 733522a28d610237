/**
 * Firewall policies (the firewall model) under `/api/workspace/firewall/policies`: create, read,
 * replace, merge and delete the policy (ordered rules, `default_verdict`, `shadow_mode`, `enabled`,
 * `workspace_default`); its rules one by one are in `firewall-rules.ts`.
 *
 * Rules are stored as written (`egress` lists or OrcaRouter's `egress_json` string) and validated
 * on save by the loader's own validator, so "the list must declare at least one allow or deny
 * entry" and every other rule problem answer `invalid_policy` with the code and path.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resourceName } from '../../policy/kinds/common-nodes';
import { FIREWALL_SPEC } from '../../policy/kinds/firewall';
import { bodySchema } from '../../policy/kinds/json-schema';
import type { EgressAgent } from '../../policy/types';
import { PortcullisError } from '../../errors/portcullis-error';
import { definedInFile, policyEvent, sourceOf, type RouteDeps } from '../route-support';
import {
  POLICIES_PATH,
  firewallKey,
  nameParams,
  policiesOf,
  policyDocument,
  policyView,
  specFrom,
  specOf,
  storedPolicy,
  viewPolicy,
  type PolicyInput,
} from './firewall-model';

/** The policy's spec (kinds/firewall.ts) under the REST API's names, and its name. */
const POLICY_FIELDS = {
  name: resourceName('The policy name', 'baseline'),
  default_verdict: 'defaultVerdict',
  shadow_mode: 'shadow',
  enabled: 'enabled',
  workspace_default: 'workspaceDefault',
  rules: 'rules',
} as const;
const createBody = bodySchema(FIREWALL_SPEC, POLICY_FIELDS, { required: ['name'] });
const updateBody = bodySchema(FIREWALL_SPEC, POLICY_FIELDS);
export function registerFirewallPolicyRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const tags = ['firewall'];
  const view = (name: string) => viewPolicy(deps.policy.resources(), name);
  const nameOf = (request: FastifyRequest) => (request.params as { name: string }).name;
  const event = (request: FastifyRequest, type: string, data: Record<string, unknown>) =>
    policyEvent(type, request, deps.now(), data);

  app.get(POLICIES_PATH, { config: { role: 'member' }, schema: { tags } }, async () => ({
    policies: policiesOf(deps.policy.resources()).map(policyView),
  }));
  app.get(
    `${POLICIES_PATH}/:name`,
    { config: { role: 'member' }, schema: { tags, params: nameParams } },
    async (request) => view(nameOf(request)),
  );
  app.get(
    `${POLICIES_PATH}/:name/rules`,
    { config: { role: 'member' }, schema: { tags, params: nameParams } },
    async (request) => ({
      rules: view(nameOf(request))['rules'],
    }),
  );

  app.post(
    POLICIES_PATH,
    { config: { role: 'developer' }, schema: { tags, body: createBody } },
    async (request, reply) => {
      const input = request.body as PolicyInput & { name: string };
      await deps.policy.change((draft, { resources }) => {
        const inFile = policiesOf(resources).find(
          (p) => p.meta.name === input.name && sourceOf(p.meta).source === 'file',
        );
        if (inFile !== undefined)
          throw definedInFile(`firewall policy ${input.name}`, inFile.meta.source.file);
        if (draft.has(firewallKey(input.name))) {
          throw new PortcullisError(
            'already_exists',
            `firewall policy ${input.name} already exists; use PUT or PATCH to change it`,
          );
        }
        draft.set(firewallKey(input.name), policyDocument(input.name, specFrom(input, { rules: [] })));
        return {
          result: undefined,
          events: [event(request, 'firewall_policy_created', { policy_name: input.name })],
        };
      });
      return reply.code(201).send(view(input.name));
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: `${POLICIES_PATH}/:name`,
      config: { role: 'developer' },
      schema: { tags, params: nameParams, body: updateBody },
      handler: async (request) => {
        const name = nameOf(request);
        const input = request.body as PolicyInput;
        if (input.name !== undefined && input.name !== name) {
          throw new PortcullisError(
            'invalid_value',
            `body.name ${input.name} differs from the path's ${name}`,
            {
              field: 'body.name',
            },
          );
        }
        await deps.policy.change((draft, { resources }) => {
          const doc = storedPolicy(draft, resources, name);
          const base = method === 'PATCH' ? specOf(doc) : { rules: [] };
          draft.set(firewallKey(name), policyDocument(name, specFrom(input, base)));
          return {
            result: undefined,
            events: [event(request, 'firewall_policy_updated', { policy_name: name })],
          };
        });
        return view(name);
      },
    });
  }

  app.delete(
    `${POLICIES_PATH}/:name`,
    { config: { role: 'developer' }, schema: { tags, params: nameParams } },
    async (request) => {
      const name = nameOf(request);
      return deps.policy.change((draft, { resources }) => {
        storedPolicy(draft, resources, name);
        const users = resources
          .filter((r): r is EgressAgent => r.kind === 'EgressAgent' && r.firewallPolicy === name)
          .map((a) => a.meta.name);
        if (users.length > 0) {
          throw new PortcullisError(
            'policy_in_use',
            `firewall policy ${name} is attached to ${users.join(', ')}; detach it first`,
            {
              agents: users,
            },
          );
        }
        draft.delete(firewallKey(name));
        return {
          result: { deleted: name },
          events: [event(request, 'firewall_policy_deleted', { policy_name: name })],
        };
      });
    },
  );
}
