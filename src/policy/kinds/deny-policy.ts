/** `EgressDenyPolicy` (validate-deny-policy.ts): turns a route from allow into deny. */
import { REF_GROUP, resourceName } from './common-nodes';
import { alias, enumString, integer, object, string, stringMap } from './schema-node';

export const TARGET_REF = object(
  'The route this policy turns into a deny, in the same namespace',
  {
    group: REF_GROUP,
    kind: enumString(['EgressL4Route'], 'Kind of the target'),
    name: resourceName('Name of the route', 'llm-providers'),
  },
  { required: ['kind', 'name'] },
);

export const DENY_RESPONSE = object('What a denied HTTP client receives', {
  statusCode: integer('HTTP status (default 403)', { minimum: 400, maximum: 599, example: 403 }),
  message: string('Response body (default names the policy)', { example: 'egress denied' }),
  body: alias('message', "CLRK's"),
  headers: stringMap(
    string('Header value: no line breaks or control characters', { example: 'policy' }),
    'Response headers; names are case-insensitive, and hop-by-hop and pseudo-headers cannot be set',
  ),
});

export const DENY_POLICY_SPEC = object(
  'A GEP-713 policy attached to one route',
  { targetRef: TARGET_REF, denyResponse: DENY_RESPONSE },
  { required: ['targetRef'] },
);
