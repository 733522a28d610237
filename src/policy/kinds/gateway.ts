/** `EgressGateway` (validate-gateway.ts): an enforcement point with listeners and a default policy. */
import type { EgressGateway, Listener, ListenerProtocol } from '../types';
import { RESOURCE_NAME_PATTERN, port } from './common-nodes';
import { boolean, enumString, ignored, list, object, string } from './schema-node';

const PROTOCOLS: readonly ListenerProtocol[] = ['TCP', 'TLS', 'HTTP', 'HTTPS', 'UDP'];
const TLS_MODES: readonly NonNullable<Listener['tlsMode']>[] = ['Passthrough', 'Terminate'];

export const LISTENER_TLS = object(
  'TLS handling of a TLS or HTTPS listener',
  {
    mode: enumString(TLS_MODES, 'Passthrough: the client speaks TLS end to end; Terminate: Envoy ends it'),
    caCertRef: ignored("CLRK's CA for terminated connections; Envoy holds certificates, not Portcullis"),
  },
  { required: ['mode'] },
);

export const LISTENER = object(
  'A listener Envoy names in its checks',
  {
    name: string('Listener name, unique in the gateway; routes select it as `sectionName`', {
      maxLength: 253,
      pattern: RESOURCE_NAME_PATTERN,
      handChecked: true,
      example: 'tls-out',
    }),
    protocol: enumString(PROTOCOLS, 'What the listener carries'),
    port: port('The port Envoy listens on (informational; Envoy owns the sockets)'),
    tls: LISTENER_TLS,
    allowedRoutes: ignored('Gateway API route attachment rules; Portcullis attaches routes by `parentRefs`'),
  },
  { required: ['name', 'protocol'], example: { name: 'tls-out', protocol: 'TLS' } },
);

export const GATEWAY_SPEC = object('An enforcement point: listeners and what happens to unmatched traffic', {
  defaultPolicy: enumString<EgressGateway['defaultPolicy']>(
    ['deny-all', 'allow-all'],
    'What traffic no route matches gets (default deny-all)',
  ),
  mode: enumString<EgressGateway['mode']>(
    ['enforce', 'shadow'],
    'shadow records what would be denied and denies nothing (default enforce)',
  ),
  ssrfGuard: boolean(
    'Deny loopback, link-local, metadata and unspecified destinations no route targets (default true)',
  ),
  nameProof: enumString<EgressGateway['nameProof']>(
    ['resolve', 'binding', 'none'],
    'How a claimed name (Host, SNI) is proven for the dialled address (default resolve)',
  ),
  listeners: list(LISTENER, 'Listeners; a gateway without any is still a policy scope'),
  otlp: ignored("CLRK's OTLP export of its own data plane"),
  upstreamTLS: ignored("CLRK's upstream trust settings"),
  dns: ignored("CLRK's DNS address family setting"),
  requestTimeout: ignored("CLRK's request timeout"),
});
