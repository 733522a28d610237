/**
 * The Envoy config the forward-proxy end-to-end suite runs (test/e2e/forward-proxy.e2e.test.ts),
 * kept apart from the suite so test/envoy-api/shipped-configs.test.ts can check it against
 * Envoy's API without a container engine.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const FORWARD_PROXY_YAML = join(resolve(__dirname, '..', '..'), 'envoy', 'forward-proxy.yaml');
/** How the containers reach ports on the host (testcontainers' port forwarder). */
export const HOST_ALIAS = 'host.testcontainers.internal';

type Json = Record<string, unknown>;

function mapping(value: unknown, what: string): Json {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  throw new Error(`envoy/forward-proxy.yaml: ${what} is not a mapping`);
}

function list(value: unknown, what: string): Json[] {
  if (!Array.isArray(value)) throw new Error(`envoy/forward-proxy.yaml: ${what} is not a list`);
  return value.map((item, i) => mapping(item, `${what}[${i}]`));
}

function named(items: Json[], name: string, what: string): Json {
  const found = items.find((item) => item['name'] === name);
  if (!found) throw new Error(`envoy/forward-proxy.yaml: no ${what} named ${name}`);
  return found;
}

/** glibc's resolver, as every other program in the container uses: /etc/hosts, then Docker's DNS. */
const CONTAINER_RESOLVER = {
  name: 'envoy.network.dns_resolver.getaddrinfo',
  typed_config: {
    '@type':
      'type.googleapis.com/envoy.extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig',
  },
};

/**
 * envoy/forward-proxy.yaml with only what the test environment forces changed: Portcullis is on
 * the host, names resolve through the container's own resolver (the test's names live in
 * /etc/hosts, and Portcullis's DNS server is not part of this test), and the admin listener is
 * published so the test can see when Envoy is ready. Written as JSON, which Envoy reads directly.
 */
export function envoyConfigForTest(grpcPort: number): string {
  const config = mapping(parse(readFileSync(FORWARD_PROXY_YAML, 'utf8')), 'the document');
  const admin = mapping(mapping(config['admin'], 'admin')['address'], 'admin.address');
  mapping(admin['socket_address'], 'admin.address.socket_address')['address'] = '0.0.0.0';

  const resources = mapping(config['static_resources'], 'static_resources');
  const clusters = list(resources['clusters'], 'clusters');
  const portcullis = named(clusters, 'portcullis', 'cluster');
  const assignment = mapping(portcullis['load_assignment'], 'portcullis.load_assignment');
  const endpoint = mapping(
    list(
      list(assignment['endpoints'], 'portcullis endpoints')[0]?.['lb_endpoints'],
      'portcullis lb_endpoints',
    )[0]?.['endpoint'],
    'portcullis endpoint',
  );
  endpoint['address'] = { socket_address: { address: HOST_ALIAS, port_value: grpcPort } };
  portcullis['typed_dns_resolver_config'] = CONTAINER_RESOLVER;

  const listener = named(list(resources['listeners'], 'listeners'), 'forward_proxy', 'listener');
  const hcm = mapping(
    list(list(listener['filter_chains'], 'filter_chains')[0]?.['filters'], 'filters')[0]?.['typed_config'],
    'http_connection_manager',
  );
  const dfpFilter = named(
    list(hcm['http_filters'], 'http_filters'),
    'envoy.filters.http.dynamic_forward_proxy',
    'filter',
  );
  const dfpCluster = named(clusters, 'dynamic_forward_proxy', 'cluster');
  const caches = [
    mapping(
      mapping(dfpFilter['typed_config'], 'dynamic_forward_proxy filter')['dns_cache_config'],
      'filter cache',
    ),
    mapping(
      mapping(mapping(dfpCluster['cluster_type'], 'cluster_type')['typed_config'], 'cluster config')[
        'dns_cache_config'
      ],
      'cluster cache',
    ),
  ];
  for (const cache of caches) cache['typed_dns_resolver_config'] = CONTAINER_RESOLVER;
  return JSON.stringify(config, null, 2);
}
