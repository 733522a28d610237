/**
 * A gRPC client that speaks to Portcullis the way Envoy does (docs/envoy-contract.md §9): the same
 * service paths, request shapes and `grpc-timeout`, decoded with the same loader options.
 */
import * as grpc from '@grpc/grpc-js';
import { authorizationServiceDefinition, healthServiceDefinition } from '../../src/grpc/protos';
import type { CheckRequest, CheckResponse, HealthCheckResponse } from '../../src/grpc/protos';

const AuthzClient = grpc.makeGenericClientConstructor(authorizationServiceDefinition, 'Authorization');
const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, 'Health');

export interface EnvoyLikeClient {
  check(
    request: CheckRequest,
    metadata?: Record<string, string>,
    deadlineMs?: number,
  ): Promise<CheckResponse>;
  health(service: string): Promise<HealthCheckResponse>;
  close(): void;
}

export function connectAsEnvoy(port: number): EnvoyLikeClient {
  const target = `127.0.0.1:${port}`;
  const authz = new AuthzClient(target, grpc.credentials.createInsecure());
  const health = new HealthClient(target, grpc.credentials.createInsecure());
  return {
    check(request, metadata = {}, deadlineMs = 2000) {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(metadata)) md.set(k, v);
      return new Promise((resolve, reject) =>
        authz['Check']!(
          request,
          md,
          { deadline: Date.now() + deadlineMs },
          (err: grpc.ServiceError | null, res: CheckResponse) => (err ? reject(err) : resolve(res)),
        ),
      );
    },
    health(service) {
      return new Promise((resolve, reject) =>
        health['Check']!(
          { service },
          { deadline: Date.now() + 2000 },
          (err: grpc.ServiceError | null, res: HealthCheckResponse) => (err ? reject(err) : resolve(res)),
        ),
      );
    },
    close() {
      authz.close();
      health.close();
    },
  };
}

const peer = (address: string, port: number) => ({
  address: { socket_address: { address, port_value: port } },
});

/** HTTP/1.1 CONNECT through the explicit proxy listener (docs/envoy-contract.md §3.1 row 1). */
export function connectRequest(authority: string, headers: Record<string, string> = {}): CheckRequest {
  return {
    attributes: {
      source: peer('10.1.2.3', 51234),
      destination: peer('10.0.0.10', 10000),
      request: {
        time: { seconds: '1760000000', nanos: 0 },
        http: {
          id: '4011296932149270187',
          method: 'CONNECT',
          host: authority,
          path: '',
          scheme: 'http',
          protocol: 'HTTP/1.1',
          size: '0',
          headers: {
            ':authority': authority,
            ':method': 'CONNECT',
            ':scheme': 'http',
            'user-agent': 'curl/8.5.0',
            'x-forwarded-proto': 'http',
            'x-request-id': '9a3e7c44-0000-4000-8000-000000000001',
            ...headers,
          },
        },
      },
    },
  };
}

/** Absolute-form `GET http://host/path` through the explicit proxy (§3.1 row 2). */
export function absoluteGetRequest(host: string, path: string): CheckRequest {
  return {
    attributes: {
      source: peer('10.1.2.3', 51235),
      destination: peer('10.0.0.10', 10000),
      request: {
        http: {
          id: '17',
          method: 'GET',
          host,
          path,
          scheme: 'http',
          protocol: 'HTTP/1.1',
          headers: { ':authority': host, ':method': 'GET', ':path': path, ':scheme': 'http' },
        },
      },
    },
  };
}

/**
 * Transparent HTTP: origin-form with Host, the original destination as `destination.address`
 * (§3.1 row 4).
 */
export function transparentGetRequest(host: string, originalDst: string, port: number): CheckRequest {
  return {
    attributes: {
      source: peer('10.1.2.3', 51236),
      destination: peer(originalDst, port),
      request: {
        http: {
          id: '18',
          method: 'GET',
          host,
          path: '/v1',
          scheme: 'http',
          protocol: 'HTTP/1.1',
          headers: { ':authority': host, ':method': 'GET', ':path': '/v1', ':scheme': 'http' },
        },
      },
    },
  };
}

/** Network filter (L4): original destination, SNI in tls_session and destination.service (§3.2). */
export function l4Request(address: string, port: number, sni?: string): CheckRequest {
  return {
    attributes: {
      source: peer('10.1.2.3', 51237),
      destination: { ...peer(address, port), ...(sni ? { service: sni } : {}) },
      ...(sni ? { tls_session: { sni } } : {}),
    },
  };
}
