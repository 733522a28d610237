/** `EgressAgent` (validate-agent.ts): who an agent is and the evidence that recognises it. */
import { CIDR, LABELS, namespacePath, resourceName } from './common-nodes';
import type { RejectedNode } from './schema-node';
import { list, object, rejected, string } from './schema-node';

/** Field names under which people paste a key itself; each is refused (POLICY_RAW_SECRET). */
export const RAW_SECRET_FIELDS = ['key', 'token', 'secret', 'apiKey', 'password'] as const;

function rawSecretFields(): Record<(typeof RAW_SECRET_FIELDS)[number], RejectedNode> {
  const refuse = () =>
    rejected(
      'POLICY_RAW_SECRET',
      'Refused: a key is never written in clear; list its SHA-256 digest in `recognise.keys`',
    );
  return { key: refuse(), token: refuse(), secret: refuse(), apiKey: refuse(), password: refuse() };
}

export const KEY_ENTRY = object(
  "A key's SHA-256 digest (`portcullis hash-key` prints it)",
  Object.assign(
    {
      sha256: string('64 hexadecimal characters', {
        pattern: '^[0-9a-fA-F]{64}$',
        example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      }),
    },
    rawSecretFields(),
  ),
  { required: ['sha256'] },
);

export const RECOGNISE = object(
  'The evidence that recognises the agent',
  Object.assign(
    {
      contextName: string(
        'The name Envoy sends (`agent` context extension or `x-portcullis-agent`); default metadata.name',
        {
          maxLength: 253,
          pattern: '^[\\x21-\\x7e]{1,253}$',
          handChecked: true,
          example: 'research-bot',
        },
      ),
      principals: list(
        string("mTLS principal: the client certificate's full URI SAN", {
          example: 'spiffe://cluster.local/ns/agents/sa/research-bot',
        }),
        'mTLS principals',
      ),
      keys: list(KEY_ENTRY, 'Key digests'),
      sourceCIDRs: list(CIDR, 'Source address blocks'),
    },
    rawSecretFields(),
  ),
);

export const AGENT_SPEC = object(
  'An agent: its namespace, labels and firewall policy, and how it is recognised',
  Object.assign(
    {
      namespace: namespacePath('Its EgressNamespace path; absent or empty: the root', { root: true }),
      labels: LABELS,
      firewallPolicy: resourceName(
        'The EgressFirewallPolicy attached to it (same Kubernetes namespace)',
        'baseline',
      ),
      recognise: RECOGNISE,
    },
    rawSecretFields(),
  ),
);
