/**
 * The Envoy config check (envoy-api.ts) fires for each kind of mistake Envoy's loader would reject,
 * and passes a small valid config.
 */
import { checkEnvoyConfig, resolveTypeUrl } from './envoy-api';
import type { Problem } from './envoy-api';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const EXT_AUTHZ = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

type Json = Record<string, unknown>;

function extAuthz(overrides: Json = {}): Json {
  return {
    '@type': EXT_AUTHZ,
    transport_api_version: 'V3',
    failure_mode_allow: false,
    grpc_service: { envoy_grpc: { cluster_name: 'portcullis' }, timeout: '0.25s' },
    ...overrides,
  };
}

/** A listener with one HTTP connection manager whose ext_authz filter config is `authz`. */
function bootstrap(authz: Json = extAuthz(), hcm: Json = {}, cluster: Json = {}): Json {
  return {
    static_resources: {
      listeners: [
        {
          name: 'proxy',
          address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': HCM,
                    stat_prefix: 'proxy',
                    codec_type: 'AUTO',
                    route_config: {
                      virtual_hosts: [
                        {
                          name: 'any',
                          domains: ['*'],
                          routes: [{ match: { prefix: '/' }, route: { cluster: 'portcullis' } }],
                        },
                      ],
                    },
                    http_filters: [
                      { name: 'envoy.filters.http.ext_authz', typed_config: authz },
                      { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
                    ],
                    ...hcm,
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'portcullis',
          type: 'STRICT_DNS',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'portcullis',
            endpoints: [
              {
                lb_endpoints: [
                  { endpoint: { address: { socket_address: { address: 'portcullis', port_value: 9191 } } } },
                ],
              },
            ],
          },
          ...cluster,
        },
      ],
    },
  };
}

const FILTERS = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
const AUTHZ_PATH = `${FILTERS}.http_filters[0].typed_config`;

function only(problems: Problem[]): Problem {
  expect(problems).toHaveLength(1);
  return problems[0] as Problem;
}

describe('checkEnvoyConfig', () => {
  test('a small valid config has no problems', () => {
    expect(checkEnvoyConfig(bootstrap())).toEqual([]);
  });

  test('lowerCamel JSON names are accepted like proto names', () => {
    const authz = extAuthz({ failureModeAllow: false, transportApiVersion: 'V3' });
    delete authz['failure_mode_allow'];
    delete authz['transport_api_version'];
    expect(checkEnvoyConfig(bootstrap(authz, { useRemoteAddress: true, skipXffAppend: true }))).toEqual([]);
  });

  test('a typo in a field name is an unknown field, with its path', () => {
    const problem = only(checkEnvoyConfig(bootstrap(extAuthz({ failure_mode_alow: false }))));
    expect(problem.path).toBe(`${AUTHZ_PATH}.failure_mode_alow`);
    expect(problem.message).toMatch(
      /unknown field "failure_mode_alow" in envoy\.extensions\.filters\.http\.ext_authz\.v3\.ExtAuthz/,
    );
  });

  test('a string where a bool belongs is a wrong type', () => {
    const problem = only(checkEnvoyConfig(bootstrap(extAuthz({ failure_mode_allow: 'false' }))));
    expect(problem.path).toBe(`${AUTHZ_PATH}.failure_mode_allow`);
    expect(problem.message).toMatch(/expected bool/);
  });

  test('a list where a message belongs, and a non-integer port, are wrong types', () => {
    const problems = checkEnvoyConfig({
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 99.5 } } },
      static_resources: { clusters: { name: 'x' } },
    });
    expect(problems.map((p) => p.path)).toEqual([
      'admin.address.socket_address.port_value',
      'static_resources.clusters',
    ]);
  });

  test('int64 fields take numbers or decimal strings; bytes take base64', () => {
    const ok = {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
      transport_api_version: 'V3',
      grpc_service: { envoy_grpc: { cluster_name: 'c' } },
      with_request_body: { max_request_bytes: 1024, allow_partial_message: true },
    };
    expect(checkEnvoyConfig(bootstrap(ok))).toEqual([]);
    const secret = (bytes: unknown): Json => ({
      static_resources: { secrets: [{ name: 's', generic_secret: { secret: { inline_bytes: bytes } } }] },
    });
    expect(checkEnvoyConfig(secret('aGVsbG8='))).toEqual([]);
    expect(only(checkEnvoyConfig(secret('not base64!'))).message).toMatch(/base64/);
    const overload = (value: unknown): Json => ({
      overload_manager: {
        refresh_interval: '1s',
        resource_monitors: [
          {
            name: 'envoy.resource_monitors.fixed_heap',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig',
              max_heap_size_bytes: '1073741824',
            },
          },
        ],
        buffer_factory_config: { minimum_account_to_track_power_of_two: value },
      },
    });
    expect(checkEnvoyConfig(overload(20))).toEqual([]);
    expect(checkEnvoyConfig(overload('20'))).toEqual([]);
  });

  test('an enum name that does not exist is a problem; a name or a number that does passes', () => {
    expect(only(checkEnvoyConfig(bootstrap(extAuthz({ transport_api_version: 'V4' })))).message).toMatch(
      /"V4" is not a value of envoy\.config\.core\.v3\.ApiVersion/,
    );
    expect(checkEnvoyConfig(bootstrap(extAuthz({ transport_api_version: 2 })))).toEqual([]);
    // defined_only: a number with no name is refused.
    expect(only(checkEnvoyConfig(bootstrap(extAuthz({ transport_api_version: 7 })))).message).toMatch(
      /not a defined value/,
    );
  });

  test('two members of a oneof are a problem', () => {
    const authz = extAuthz({
      http_service: { server_uri: { uri: 'http://a', cluster: 'c', timeout: '1s' } },
    });
    const problem = only(checkEnvoyConfig(bootstrap(authz)));
    expect(problem.path).toBe(AUTHZ_PATH);
    expect(problem.message).toMatch(/oneof services .*only one of grpc_service, http_service/);
  });

  test('an ext_authz grpc_service without a target misses a required oneof', () => {
    const problem = only(checkEnvoyConfig(bootstrap(extAuthz({ grpc_service: { timeout: '0.25s' } }))));
    expect(problem.path).toBe(`${AUTHZ_PATH}.grpc_service`);
    expect(problem.message).toMatch(
      /oneof target_specifier .* is required: set one of envoy_grpc, google_grpc/,
    );
  });

  test('a missing required message is a problem (health check without thresholds)', () => {
    const problems = checkEnvoyConfig(
      bootstrap(extAuthz(), {}, { health_checks: [{ timeout: '1s', interval: '5s', tcp_health_check: {} }] }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'envoy.config.core.v3.HealthCheck.unhealthy_threshold is required',
      'envoy.config.core.v3.HealthCheck.healthy_threshold is required',
    ]);
  });

  test('min_len on an unset string, min_items on an empty list, and a numeric bound are enforced', () => {
    const problems = checkEnvoyConfig({
      static_resources: {
        clusters: [{ connect_timeout: '1s' }],
        listeners: [
          {
            name: 'l',
            address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
            max_connections_to_accept_per_socket_event: 0,
          },
        ],
      },
      stats_flush_interval: '0.0001s',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          path: 'static_resources.clusters[0].name',
          message: expect.stringMatching(/at least 1 character.*unset/) as string,
        },
        {
          path: 'static_resources.listeners[0].max_connections_to_accept_per_socket_event',
          message: expect.stringMatching(/greater than 0/) as string,
        },
        { path: 'stats_flush_interval', message: expect.stringMatching(/at least 0\.001/) as string },
      ]),
    );
    const vhost = checkEnvoyConfig(
      bootstrap(extAuthz(), { route_config: { virtual_hosts: [{ name: 'v', domains: [] }] } }),
    );
    expect(only(vhost).message).toMatch(/VirtualHost\.domains needs at least 1 item/);
  });

  test('a bad Duration is a problem', () => {
    const problem = only(
      checkEnvoyConfig(
        bootstrap(extAuthz({ grpc_service: { envoy_grpc: { cluster_name: 'c' }, timeout: '250ms' } })),
      ),
    );
    expect(problem.path).toBe(`${AUTHZ_PATH}.grpc_service.timeout`);
    expect(problem.message).toMatch(/Duration/);
  });

  test('well-known types in their JSON forms: wrappers as bare values, Struct as any object', () => {
    expect(
      checkEnvoyConfig(bootstrap(extAuthz(), { use_remote_address: true, max_request_headers_kb: 60 })),
    ).toEqual([]);
    expect(
      only(checkEnvoyConfig(bootstrap(extAuthz(), { use_remote_address: { value: true } }))).message,
    ).toMatch(/expected bool/);
    expect(checkEnvoyConfig({ node: { id: 'n', metadata: { anything: [1, { deep: null }] } } })).toEqual([]);
    expect(only(checkEnvoyConfig({ node: { metadata: 'text' } })).message).toMatch(/Struct/);
  });

  test('an Any with an unknown type URL is a problem; one without @type too', () => {
    const unknown = only(
      checkEnvoyConfig(
        bootstrap({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.no_such.v3.Filter' }),
      ),
    );
    expect(unknown.path).toBe(`${AUTHZ_PATH}.@type`);
    expect(unknown.message).toMatch(/unknown type URL/);
    expect(only(checkEnvoyConfig(bootstrap({ failure_mode_allow: false }))).message).toMatch(/needs "@type"/);
  });

  test('the content of a typed_config is checked against its own type', () => {
    const problem = only(
      checkEnvoyConfig(
        bootstrap(extAuthz(), {
          http_filters: [{ name: 'r', typed_config: { '@type': ROUTER, suppress_envoy_header: true } }],
        }),
      ),
    );
    expect(problem.path).toBe(`${FILTERS}.http_filters[0].typed_config.suppress_envoy_header`);
  });

  test('TypedStruct is opaque', () => {
    const typedStruct = {
      '@type': 'type.googleapis.com/xds.type.v3.TypedStruct',
      type_url: 'x',
      value: { anything: 1 },
    };
    expect(checkEnvoyConfig(bootstrap(typedStruct))).toEqual([]);
  });

  test('a deprecated field is a problem', () => {
    const problem = only(checkEnvoyConfig(bootstrap(extAuthz(), {}, { dns_resolvers: [] })));
    expect(problem.path).toBe('static_resources.clusters[0].dns_resolvers');
    expect(problem.message).toMatch(/deprecated/);
  });

  test('a field newer than the snapshot passes only through the allow-list, and is still checked', () => {
    const tcpProxy = (extra: Json): Json =>
      bootstrap(extAuthz(), {}, {}) &&
      ({
        static_resources: {
          listeners: [
            {
              name: 'l',
              address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
              filter_chains: [
                {
                  filters: [
                    {
                      name: 'tcp',
                      typed_config: { '@type': TCP_PROXY, stat_prefix: 't', cluster: 'c', ...extra },
                    },
                  ],
                },
              ],
            },
          ],
        },
      } as Json);
    const used: string[] = [];
    expect(
      checkEnvoyConfig(
        tcpProxy({ upstream_connect_mode: 'ON_DOWNSTREAM_DATA', max_early_data_bytes: 1024 }),
        undefined,
        {
          onNewer: (key) => used.push(key),
        },
      ),
    ).toEqual([]);
    expect(used).toEqual([
      'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.upstream_connect_mode',
      'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.max_early_data_bytes',
    ]);
    expect(
      checkEnvoyConfig(tcpProxy({ upstream_connect_mode: 'LATER', max_early_data_bytes: 'lots' })).map(
        (p) => p.message,
      ),
    ).toEqual([expect.stringMatching(/expected one of IMMEDIATE/), expect.stringMatching(/expected uint32/)]);
    expect(only(checkEnvoyConfig(tcpProxy({ upstream_connect_timeout: '1s' }))).message).toMatch(
      /unknown field/,
    );
  });

  test('type URLs resolve to message types, nested ones included', () => {
    expect(resolveTypeUrl(HCM)?.name).toBe('HttpConnectionManager');
    expect(resolveTypeUrl('type.googleapis.com/envoy.config.route.v3.RouteAction.HashPolicy')?.name).toBe(
      'HashPolicy',
    );
    expect(resolveTypeUrl('type.googleapis.com/envoy.nothing.v3.Here')).toBeUndefined();
  });
});
