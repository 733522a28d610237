/**
 * The rules of one firewall policy by label (`/api/workspace/firewall/policies/{name}/rules`):
 * add (at a `position`), replace, remove. Labels name rules in decisions, so they are unique.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PortcullisError } from '../../errors/portcullis-error';
import { FIREWALL_RULE } from '../../policy/kinds/firewall';
import { bodySchema, schemaOf } from '../../policy/kinds/json-schema';
import { integer } from '../../policy/kinds/schema-node';
import { SCHEMA, notFound, policyEvent, type RouteDeps } from '../route-support';
import {
  POLICIES_PATH,
  RULE_FIELDS,
  RULE_SCHEMA,
  firewallKey,
  nameParams,
  policyDocument,
  specOf,
  storedPolicy,
  viewPolicy,
  type RuleInput,
} from './firewall-model';

const ruleParams = {
  type: 'object',
  required: ['name', 'label'],
  properties: { name: SCHEMA.resourceName, label: schemaOf(FIREWALL_RULE.properties.label, 'api') },
};
const addBody = bodySchema(FIREWALL_RULE, {
  ...RULE_FIELDS,
  position: integer('Where to insert the rule (0 is first); default last', { minimum: 0 }),
});

export function registerFirewallRuleRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const view = (name: string) => viewPolicy(deps.policy.resources(), name);
  const event = (request: FastifyRequest, type: string, data: Record<string, unknown>) =>
    policyEvent(type, request, deps.now(), data);
  const tags = ['firewall'];
  const editRules = (
    request: FastifyRequest,
    type: string,
    edit: (rules: readonly RuleInput[]) => readonly RuleInput[],
  ) => {
    const { name, label } = request.params as { name: string; label?: string };
    return deps.policy.change((draft, { resources }) => {
      const spec = specOf(storedPolicy(draft, resources, name));
      draft.set(firewallKey(name), policyDocument(name, { ...spec, rules: edit(spec.rules) }));
      const ruleLabel = label ?? (request.body as RuleInput).label;
      return {
        result: undefined,
        events: [event(request, type, { policy_name: name, rule_label: ruleLabel })],
      };
    });
  };
  const find = (rules: readonly RuleInput[], label: string): number => {
    const i = rules.findIndex((r) => r.label === label);
    if (i < 0) throw notFound(`rule "${label}"`);
    return i;
  };

  app.post(
    `${POLICIES_PATH}/:name/rules`,
    {
      config: { role: 'developer' },
      schema: {
        tags,
        params: nameParams,
        body: addBody,
      },
    },
    async (request, reply) => {
      const { position, ...rule } = request.body as RuleInput & { position?: number };
      await editRules(request, 'firewall_rule_added', (rules) => {
        if (rules.some((r) => r.label === rule.label)) {
          throw new PortcullisError(
            'already_exists',
            `a rule labelled "${rule.label}" already exists; labels name rules in decisions`,
          );
        }
        const at = Math.min(position ?? rules.length, rules.length);
        return [...rules.slice(0, at), rule, ...rules.slice(at)];
      });
      return reply.code(201).send(view((request.params as { name: string }).name));
    },
  );
  app.put(
    `${POLICIES_PATH}/:name/rules/:label`,
    { config: { role: 'developer' }, schema: { tags, params: ruleParams, body: RULE_SCHEMA } },
    async (request) => {
      const { name, label } = request.params as { name: string; label: string };
      await editRules(request, 'firewall_rule_updated', (rules) => {
        const i = find(rules, label);
        return rules.map((r, j) => (j === i ? (request.body as RuleInput) : r));
      });
      return view(name);
    },
  );
  app.delete(
    `${POLICIES_PATH}/:name/rules/:label`,
    { config: { role: 'developer' }, schema: { tags, params: ruleParams } },
    async (request) => {
      const { name, label } = request.params as { name: string; label: string };
      await editRules(request, 'firewall_rule_removed', (rules) => {
        const i = find(rules, label);
        return rules.filter((_r, j) => j !== i);
      });
      return view(name);
    },
  );
}
