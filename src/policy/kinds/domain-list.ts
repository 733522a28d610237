/** `EgressDomainList` (validate-domain-list.ts): fleet-wide allow and block lists. */
import { HOST_PATTERN } from './common-nodes';
import { alias, boolean, either, list, object, string } from './schema-node';

const REASON = string('Why, quoted in every decision the entry makes', {
  maxLength: 1024,
  example: 'vendor API',
});

export const ALLOW_ENTRY = object(
  'An allowed domain',
  {
    domain: HOST_PATTERN,
    reason: REASON,
    requireAuth: boolean('Only for authenticated agents (default false)'),
    require_auth: alias('requireAuth', "The REST API's"),
  },
  { required: ['domain'] },
);

export const BLOCK_ENTRY = object(
  'A blocked domain',
  { domain: HOST_PATTERN, reason: REASON },
  { required: ['domain'] },
);

export const DOMAIN_LIST_SPEC = object('Allow and block lists; every loaded list applies', {
  allow: list(
    either(HOST_PATTERN, ALLOW_ENTRY, 'A domain, or `{domain, reason, requireAuth}`'),
    'Allowed domains',
  ),
  block: list(either(HOST_PATTERN, BLOCK_ENTRY, 'A domain, or `{domain, reason}`'), 'Blocked domains'),
});
