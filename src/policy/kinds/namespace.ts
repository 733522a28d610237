/** `EgressNamespace` (validate-namespace.ts): one node of the namespace hierarchy. */
import { hostPatterns, namespacePath } from './common-nodes';
import { alias, object, string } from './schema-node';

export const NAMESPACE_SPEC = object('One namespace of the hierarchy and the domains it may reach', {
  path: namespacePath('The namespace path, `prod/payments`; default metadata.name'),
  description: string('What the namespace is for', { maxLength: 1024, example: 'payment services' }),
  allowedDomains: hostPatterns(
    'Domains its workloads and descendants may reach, within every ancestor; absent: no restriction here; empty: quarantine',
  ),
  allowed_domains: alias('allowedDomains', "The REST API's"),
  blockedDomains: hostPatterns('Domains denied here and below'),
  blocked_domains: alias('blockedDomains', "The REST API's"),
});
