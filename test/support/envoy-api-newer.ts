/**
 * Envoy API fields and types our shipped configs use that the proto snapshot in
 * @grpc/grpc-js-xds predates. The configs target Envoy 1.37 or later; the snapshot is older, so
 * without this list the check would call these unknown. Each entry says which release added it and
 * where that was read, and still gets its value checked (a scalar or enum by its form, a message
 * the snapshot has in full). test/envoy-api/shipped-configs.test.ts fails when an entry is no
 * longer used by any shipped file, so the list cannot outlive its reasons.
 */
import type { NewerEnumValue, NewerField, NewerType } from './envoy-api-newer-types';

export type { NewerEnumValue, NewerField, NewerType } from './envoy-api-newer-types';

const CHANGELOG_1_37_0 = 'envoyproxy/envoy changelogs/1.37.0.yaml, new_features';

export const NEWER_FIELDS: readonly NewerField[] = [
  {
    message: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    field: 'upstream_connect_mode',
    number: 21,
    value: { kind: 'enum', values: ['IMMEDIATE', 'ON_DOWNSTREAM_DATA', 'ON_DOWNSTREAM_TLS_HANDSHAKE'] },
    since: '1.37.0',
    source: `${CHANGELOG_1_37_0} (area tcp_proxy: "Added upstream_connect_mode and max_early_data_bytes")`,
  },
  {
    message: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    field: 'max_early_data_bytes',
    number: 22,
    value: { kind: 'message', type: 'google.protobuf.UInt32Value' },
    since: '1.37.0',
    source: `${CHANGELOG_1_37_0} (area tcp_proxy, same entry as upstream_connect_mode)`,
  },
  {
    message: 'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext',
    field: 'custom_tls_certificate_selector',
    number: 16,
    value: { kind: 'message', type: 'envoy.config.core.v3.TypedExtensionConfig' },
    // The field itself came with envoyproxy/envoy pull request #32465 (2024), before any release
    // shipped a selector; the first selector extension Envoy ships, on_demand_secret, is 1.37.0,
    // and that is the release our configs need for it.
    since: '1.37.0',
    source: `${CHANGELOG_1_37_0} (area tls: "on-demand certificate selector"); field added by envoyproxy/envoy#32465`,
  },
];

export const NEWER_TYPES: readonly NewerType[] = [
  {
    typeUrl:
      'type.googleapis.com/envoy.extensions.transport_sockets.tls.cert_selectors.on_demand_secret.v3.Config',
    fields: [
      {
        field: 'config_source',
        number: 1,
        value: { kind: 'message', type: 'envoy.config.core.v3.ConfigSource' },
        required: true,
      },
      {
        field: 'certificate_mapper',
        number: 2,
        value: { kind: 'message', type: 'envoy.config.core.v3.TypedExtensionConfig' },
        required: true,
      },
      {
        field: 'prefetch_secret_names',
        number: 3,
        value: { kind: 'scalar', type: 'string' },
        repeated: true,
      },
    ],
    since: '1.37.0',
    source: `${CHANGELOG_1_37_0} (area tls: "on-demand certificate selector")`,
  },
  {
    typeUrl: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.cert_mappers.sni.v3.SNI',
    fields: [{ field: 'default_value', number: 1, value: { kind: 'scalar', type: 'string' }, minLen: 1 }],
    since: '1.37.0',
    source: `${CHANGELOG_1_37_0} (the SNI mapper, envoy.tls.certificate_mappers.sni, ships with the on-demand selector)`,
  },
];

/** Values added to enums the snapshot has (a name the snapshot lacks is otherwise refused). */
export const NEWER_ENUM_VALUES: readonly NewerEnumValue[] = [];
