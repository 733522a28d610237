/** EgressNamespace values built directly, for tests that generate many trees. */
import { parseHostPattern } from '../../src/policy/hostname';
import type { EgressNamespace } from '../../src/policy/types';
import type { HostPattern } from '../../src/policy/values';

export function hostPattern(text: string): HostPattern {
  const parsed = parseHostPattern(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.pattern;
}

/** `allowed` undefined: the namespace does not restrict; `[]`: quarantined. */
export function namespace(
  path: string,
  allowed?: readonly string[],
  blocked: readonly string[] = [],
): EgressNamespace {
  const base = {
    kind: 'EgressNamespace' as const,
    meta: {
      apiVersion: 'egress.portcullis.dev/v1alpha1',
      group: 'egress.portcullis.dev',
      name: path.replace(/\//g, '-'),
      namespace: 'default',
      labels: {},
      source: { file: 'inline:', line: 1 },
    },
    path,
    description: '',
    blockedDomains: blocked.map(hostPattern),
  };
  return allowed === undefined ? base : { ...base, allowedDomains: allowed.map(hostPattern) };
}
