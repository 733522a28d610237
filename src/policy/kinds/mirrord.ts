/** `MirrordPolicy` and `MirrordClusterPolicy` (validate-mirrord.ts, validate-mirrord-rule.ts). */
import { CIDR_BLOCK, LABEL_SELECTOR, port } from './common-nodes';
import { enumString, ignored, list, object, rejected, string } from './schema-node';

export const MIRRORD_PORT = object(
  'A destination port',
  {
    protocol: enumString(['TCP', 'UDP'], 'Transport (default TCP)', { caseInsensitive: true }),
    port: port('The port'),
  },
  { required: ['port'] },
);

export const MIRRORD_RULE = object(
  'What a rule matches; it names at least one of ipBlock, hostname and ports',
  {
    ipBlock: CIDR_BLOCK,
    hostname: string('An RE2 regular expression over destination names, case-insensitive; anchor it', {
      example: '^api\\.example\\.com$',
    }),
    ports: list(MIRRORD_PORT, 'Destination ports'),
  },
  { example: { hostname: '^api\\.example\\.com$' } },
);

export const MIRRORD_OUTGOING = object('Outgoing-traffic rules; a policy without any permits everything', {
  allow: list(MIRRORD_RULE, 'When given, only what these match is allowed'),
  block: list(MIRRORD_RULE, 'What these match is denied'),
});

export const MIRRORD_NETWORK = object('Network rules', {
  outgoing: MIRRORD_OUTGOING,
  incoming: ignored("sets requirements on a session's incoming-traffic filters"),
});

export const MIRRORD_SPEC = object('Outgoing-traffic rules for the agents the policy targets', {
  selector: LABEL_SELECTOR,
  targetPath: string(
    'A glob over agent names (`*`, `?`), optionally after a mirrord target kind: `deploy/boats*`',
    { example: 'boats*' },
  ),
  network: MIRRORD_NETWORK,
  outgoingTraffic: rejected(
    'POLICY_UNKNOWN_FIELD',
    'The later `outgoingTraffic` form is refused; write the rules under `network.outgoing`',
  ),
  block: ignored('lists session features to block (steal, mirror)'),
  env: ignored("controls which of the target's environment variables a session may read"),
  fs: ignored("overrides a session's file operations"),
  requireProfile: ignored('requires sessions to use a profile'),
  profileAllowlist: ignored('lists the profiles sessions may use'),
});
