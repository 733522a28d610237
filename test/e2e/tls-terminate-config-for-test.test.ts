/**
 * The config the TLS-terminating end-to-end suite derives from envoy/tls-terminate.yaml, checked
 * against Envoy's API protos without a container engine, and checked to change only what it says.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { checkEnvoyConfig } from '../support/envoy-api';
import { HOST_ALIAS } from './envoy-config-for-test';
import { tlsTerminateConfigForTest } from './tls-terminate-config-for-test';

const UPSTREAM_CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('tlsTerminateConfigForTest', () => {
  const derived = JSON.parse(
    tlsTerminateConfigForTest({ grpcPort: 19191, upstreamCaPem: UPSTREAM_CA }),
  ) as unknown;
  const shipped = parse(
    readFileSync(join(resolve(__dirname, '..', '..'), 'envoy', 'tls-terminate.yaml'), 'utf8'),
  ) as unknown;

  test('passes the check against Envoy API protos', () => {
    expect(checkEnvoyConfig(derived)).toEqual([]);
  });

  test('points at Portcullis on the host, trusts the upstream test CA, and resolves through the container', () => {
    const text = JSON.stringify(derived);
    expect(text).toContain(`"address":"${HOST_ALIAS}","port_value":19191`);
    expect(text).toContain(JSON.stringify({ inline_string: UPSTREAM_CA }));
    expect(text).not.toContain('/etc/ssl/certs/ca-certificates.crt');
    expect(text).not.toContain('envoy.network.dns_resolver.cares');
  });

  test('keeps the chains, the call metadata and the timeouts as shipped', () => {
    const intercept = (doc: unknown): unknown =>
      (doc as { static_resources: { listeners: { name: string }[] } }).static_resources.listeners.find(
        (listener) => listener.name === 'intercept',
      );
    // The resolver is the one thing the derivation changes inside the internal listener.
    const withoutResolver = (value: unknown): unknown =>
      JSON.parse(
        JSON.stringify(value, (key, v: unknown) => (key === 'typed_dns_resolver_config' ? undefined : v)),
      );
    expect(withoutResolver(intercept(derived))).toEqual(withoutResolver(intercept(shipped)));
  });
});
