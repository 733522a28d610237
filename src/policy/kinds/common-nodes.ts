/**
 * Field descriptions several kinds share: names, namespace paths, host patterns, CIDRs, ports and
 * Kubernetes label selectors.
 */
import { MAX_NAMESPACE_DEPTH } from '../namespace-tree';
import { CLRK_GROUP, NATIVE_GROUP } from '../types';
import type { LabelSelectorRequirement } from '../values';
import { either, enumString, integer, list, object, string, stringMap } from './schema-node';

const DNS_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const PATH = `${DNS_LABEL}(/${DNS_LABEL}){0,${MAX_NAMESPACE_DEPTH - 1}}`;

export const RESOURCE_NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';

/** A Kubernetes object name (DNS-1123 subdomain); `example` names what it refers to. */
export function resourceName(description: string, example: string) {
  return string(description, {
    maxLength: 253,
    pattern: RESOURCE_NAME_PATTERN,
    handChecked: true,
    example,
  });
}

/** `prod/payments/eu-west`: DNS labels joined by `/`, at most MAX_NAMESPACE_DEPTH of them. */
export function namespacePath(description: string, options: { readonly root?: boolean } = {}) {
  return string(description, {
    maxLength: 1100,
    pattern: options.root === true ? `^(${PATH})?$` : `^${PATH}$`,
    handChecked: true,
    example: 'prod/payments',
  });
}

export const KUBERNETES_NAMESPACE = string('A Kubernetes namespace (DNS-1123 label)', {
  maxLength: 63,
  pattern: `^${DNS_LABEL}$`,
  handChecked: true,
  example: 'default',
});

/** The API groups a reference may name: ours and CLRK's mean the same resources. */
export const REF_GROUP = enumString(
  [NATIVE_GROUP, CLRK_GROUP],
  "API group of the referent; defaults to this resource's group",
);

export const HOST_PATTERN = string(
  'A host name or pattern: `api.example.com` (exactly), `*.example.com` (one label below), `**.example.com` (any depth below); case-insensitive, a trailing dot is ignored',
  { minLength: 1, maxLength: 260, handChecked: true, example: 'api.example.com' },
);

/** A list of host patterns, as the admin API edits them. */
export function hostPatterns(description: string) {
  return list(HOST_PATTERN, description, { maxItems: 10_000 });
}

export const CIDR = string('A CIDR block with no host bits set: `10.0.0.0/8`, `2001:db8::/32`', {
  example: '10.0.0.0/8',
});

export const CIDR_BLOCK = object(
  "An address block and carve-outs, as NetworkPolicy's ipBlock",
  {
    cidr: CIDR,
    except: list(
      string('A CIDR inside `cidr`, of the same address family', { example: '10.9.0.0/16' }),
      'Blocks inside `cidr` that are left out',
    ),
  },
  { required: ['cidr'] },
);

/** A CIDR string, or the `{cidr, except}` map. */
export const CIDR_ENTRY = either(CIDR, CIDR_BLOCK, 'A CIDR string such as `10.0.0.0/8`, or `{cidr, except}`');

export function port(description: string) {
  return integer(description, { minimum: 1, maximum: 65535, example: 443 });
}

const LABEL_VALUE = string('A label value: at most 63 letters, digits, `-`, `_` or `.`', {
  maxLength: 63,
  handChecked: true,
  example: 'prod',
});

/** Labels of a resource (`EgressAgent.spec.labels`). */
export const LABELS = stringMap(LABEL_VALUE, 'Kubernetes labels', 64);

const OPERATORS: readonly LabelSelectorRequirement['operator'][] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export const LABEL_REQUIREMENT = object(
  'One requirement on a label',
  {
    key: string('The label key: an optional DNS prefix and `/`, then a name of at most 63 characters', {
      example: 'team',
    }),
    operator: enumString(
      OPERATORS,
      'In and NotIn compare with `values`; Exists and DoesNotExist need no values (case-sensitive)',
    ),
    values: list(LABEL_VALUE, 'At least one for In and NotIn, none for Exists and DoesNotExist'),
  },
  {
    required: ['key', 'operator'],
    issueCode: 'POLICY_INVALID_SELECTOR',
    example: { key: 'team', operator: 'Exists' },
  },
);

export const LABEL_SELECTOR = object(
  'A Kubernetes label selector over agent labels; `{}` selects every agent',
  {
    matchLabels: stringMap(LABEL_VALUE, 'Labels an agent must have, every one of them'),
    matchExpressions: list(LABEL_REQUIREMENT, 'Requirements an agent must meet, every one of them'),
  },
  { issueCode: 'POLICY_INVALID_SELECTOR' },
);
