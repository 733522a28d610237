/**
 * The Envoy config the TLS-terminating end-to-end suite runs (test/e2e/tls-terminate.e2e.test.ts),
 * derived from envoy/tls-terminate.yaml and kept apart from the suite so it can be checked against
 * Envoy's API without a container engine (tls-terminate-config-for-test.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { HOST_ALIAS } from './envoy-config-for-test';

const TLS_TERMINATE_YAML = join(resolve(__dirname, '..', '..'), 'envoy', 'tls-terminate.yaml');

type Json = Record<string, unknown>;

function mapping(value: unknown, what: string): Json {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  throw new Error(`envoy/tls-terminate.yaml: ${what} is not a mapping`);
}

function list(value: unknown, what: string): Json[] {
  if (!Array.isArray(value)) throw new Error(`envoy/tls-terminate.yaml: ${what} is not a list`);
  return value.map((item, i) => mapping(item, `${what}[${i}]`));
}

function named(items: Json[], name: string, what: string): Json {
  const found = items.find((item) => item['name'] === name);
  if (!found) throw new Error(`envoy/tls-terminate.yaml: no ${what} named ${name}`);
  return found;
}

/** Every mapping under `value` that has `key`, depth first. */
function withKey(value: unknown, key: string, out: Json[] = []): Json[] {
  if (Array.isArray(value)) {
    for (const item of value) withKey(item, key, out);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Json;
    if (key in object) out.push(object);
    for (const child of Object.values(object)) withKey(child, key, out);
  }
  return out;
}

/** glibc's resolver, as every other program in the container uses: /etc/hosts, then Docker's DNS. */
const CONTAINER_RESOLVER = {
  name: 'envoy.network.dns_resolver.getaddrinfo',
  typed_config: {
    '@type':
      'type.googleapis.com/envoy.extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig',
  },
};

export interface TlsTerminateTestSettings {
  /** Portcullis's gRPC port on the host (Check, Process and SDS). */
  readonly grpcPort: number;
  /** The PEM of the CA that issued the upstream server's certificate. */
  readonly upstreamCaPem: string;
}

/**
 * envoy/tls-terminate.yaml with only what the test environment forces changed: Portcullis is on the
 * host; names resolve through the container's own resolver (the test's names live in /etc/hosts, and
 * Portcullis's DNS server is not part of this test); Envoy trusts the upstream's test CA instead of
 * the public ones; the admin listener is published so the test can see when Envoy is ready. Chains,
 * filters, timeouts and call metadata stay as shipped. Written as JSON, which Envoy reads directly.
 */
export function tlsTerminateConfigForTest(settings: TlsTerminateTestSettings): string {
  const config = mapping(parse(readFileSync(TLS_TERMINATE_YAML, 'utf8')), 'the document');
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
  endpoint['address'] = { socket_address: { address: HOST_ALIAS, port_value: settings.grpcPort } };
  portcullis['typed_dns_resolver_config'] = CONTAINER_RESOLVER;

  // The YAML anchor was expanded by the parser: every filter and cluster has its own copy, and all
  // must stay identical (one cache, one set of settings).
  const caches = withKey(resources, 'dns_cache_config').map((holder, i) =>
    mapping(holder['dns_cache_config'], `dns_cache_config #${i}`),
  );
  if (caches.length < 4)
    throw new Error(`envoy/tls-terminate.yaml: expected 4+ DNS caches, found ${caches.length}`);
  for (const cache of caches) cache['typed_dns_resolver_config'] = CONTAINER_RESOLVER;

  const tlsCluster = named(clusters, 'dynamic_forward_proxy_tls', 'cluster');
  const upstreamTls = mapping(
    mapping(tlsCluster['transport_socket'], 'dynamic_forward_proxy_tls.transport_socket')['typed_config'],
    'UpstreamTlsContext',
  );
  const validation = mapping(
    mapping(upstreamTls['common_tls_context'], 'common_tls_context')['validation_context'],
    'validation_context',
  );
  validation['trusted_ca'] = { inline_string: settings.upstreamCaPem };
  return JSON.stringify(config, null, 2);
}
