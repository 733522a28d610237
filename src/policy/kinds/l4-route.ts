/** `EgressL4Route` (validate-l4-route.ts, validate-l4-match.ts): allow rules attached to gateways. */
import {
  CIDR_ENTRY,
  HOST_PATTERN,
  KUBERNETES_NAMESPACE,
  LABEL_SELECTOR,
  REF_GROUP,
  port,
  resourceName,
} from './common-nodes';
import { enumString, ignored, list, object, string } from './schema-node';

export const PORT_ENTRY = object(
  'One port (`port`) or an inclusive range (`startPort` and `endPort`)',
  {
    port: port('A single port'),
    startPort: port('First port of the range'),
    endPort: port('Last port of the range'),
  },
  { alternatives: [['port'], ['startPort', 'endPort']], example: { port: 443 } },
);

export const L4_MATCH = object('What a rule allows: destinations, ports, transport and agents', {
  destinationHostnames: list(HOST_PATTERN, 'Destination names; proven against the dialled address'),
  destinationCIDRs: list(CIDR_ENTRY, 'Destination address blocks'),
  ports: list(PORT_ENTRY, 'Destination ports; none means every port'),
  protocol: enumString(['TCP', 'UDP'], 'Transport (default TCP)', { caseInsensitive: true }),
  sourceAgents: LABEL_SELECTOR,
});

export const L4_RULE = object(
  'A rule: any one of its matches allows',
  {
    matches: list(L4_MATCH, 'At least one match', { minItems: 1 }),
    filters: ignored("CLRK's data-plane extensions (logging, rate limits)"),
    backendRefs: ignored("CLRK's explicit upstream proxies; Portcullis's destination is dialled directly"),
  },
  { required: ['matches'] },
);

export const PARENT_REF = object(
  'A gateway (and optionally one of its listeners) the route attaches to',
  {
    group: REF_GROUP,
    kind: enumString(['EgressGateway'], 'Kind of the parent (default EgressGateway)'),
    name: resourceName('Name of the gateway', 'agents'),
    namespace: KUBERNETES_NAMESPACE,
    sectionName: string('A listener of the gateway; absent: every listener', {
      maxLength: 253,
      handChecked: true,
      example: 'tls-out',
    }),
  },
  { required: ['name'] },
);

export const L4_ROUTE_SPEC = object(
  'Allow rules attached to gateways',
  {
    parentRefs: list(PARENT_REF, 'Gateways the route attaches to; at least one', { minItems: 1 }),
    rules: list(L4_RULE, 'Allow rules; at least one', { minItems: 1 }),
  },
  { required: ['parentRefs', 'rules'] },
);
