/**
 * `check --server`: the target and flags → the `CheckRequest` and call metadata Envoy would send
 * for them, so the running service judges it exactly as it judges Envoy's traffic. The reverse of
 * src/grpc/authz/check-request.ts (which the unit test round-trips through); the shared parts
 * (URL or `host:port`, method, protocol) come from the builder the local check uses,
 * src/decide/target-request.ts.
 */
import { isIP } from 'node:net';
import type { EgressRequest } from '../engine/types';
import { requestFromTarget, type TargetInput } from '../decide/target-request';
import type { AttributeContext, CheckRequest, Peer } from '../grpc/protos';
import { CALL_METADATA } from '../grpc/authz/service';

/**
 * Which Envoy filter asks: the HTTP filter for a CONNECT, a plain HTTP request through the
 * explicit proxy, or a plain HTTP request behind `original_dst` (transparent); the network filter
 * for L4 (raw TCP or TLS passthrough, with the SNI).
 */
export type CheckShape = 'connect' | 'http' | 'transparent' | 'l4';

export interface ServerTarget extends TargetInput {
  /** Ask as the network filter: `destination` must be `IP:PORT`. */
  readonly l4?: boolean;
  /** Ask as the HTTP filter on a transparent listener, whose original destination is `address`. */
  readonly transparent?: boolean;
  /** `IP:PORT` the connection really goes to (transparent mode). */
  readonly address?: string;
}

export interface EnvoyCheck {
  readonly shape: CheckShape;
  readonly request: CheckRequest;
  /** gRPC call metadata, as Envoy's `grpc_service.initial_metadata` sets it per listener. */
  readonly metadata: Readonly<Record<string, string>>;
}

export type EnvoyCheckResult =
  { readonly ok: true; readonly check: EnvoyCheck } | { readonly ok: false; readonly message: string };

export function envoyCheckFromTarget(target: ServerTarget): EnvoyCheckResult {
  const built = requestFromTarget(target, 'cli');
  if (!built.ok) {
    return fail(built.field === 'protocol' ? '--protocol must be tcp or udp' : `--dest ${built.message}`);
  }
  const request = built.request;
  const isUrl = request.destination.url !== undefined;
  const l4 = target.l4 === true || (target.sni !== undefined && target.method === undefined && !isUrl);
  if (l4) return l4Check(target, request, isUrl);
  if (target.sni !== undefined) {
    return fail(
      '--sni is read only by the network filter: drop --method (or the URL) to ask as L4, or drop --sni',
    );
  }
  if (request.destination.protocol !== 'tcp') return fail('--protocol udp needs --l4: HTTP is always TCP');
  if (target.transparent === true) return transparentCheck(target, request);
  if (target.address !== undefined) return fail('--address goes with --transparent');
  const shape = request.l7 === undefined || request.l7.method === 'CONNECT' ? 'connect' : 'http';
  return ok(shape, { source: peerOf(request), request: { http: httpOf(request) } }, target);
}

/**
 * Network filter: only the address Envoy dials, the SNI, and who is calling
 * (docs/envoy-contract.md §3.2).
 */
function l4Check(target: ServerTarget, request: EgressRequest, isUrl: boolean): EnvoyCheckResult {
  if (target.transparent === true) return fail('--l4 and --transparent are different filters; give one');
  if (target.method !== undefined || isUrl) {
    return fail('--l4 asks as the network filter, which sees no HTTP method or URL');
  }
  if (target.agent?.key !== undefined) {
    return fail('--key travels in a Proxy-Authorization header, which the network filter (--l4) never sees');
  }
  if (target.address !== undefined)
    return fail('--address goes with --transparent; with --l4 --dest is the address');
  const dialled = socketOf(target.destination);
  if (dialled === undefined) {
    return fail(
      `--l4 needs --dest IP:PORT, got "${target.destination}": the network filter sees only the address Envoy dials (give a name with --sni)`,
    );
  }
  const attributes: AttributeContext = {
    source: peerOf(request),
    destination: {
      address: {
        socket_address: {
          address: dialled.address,
          port_value: dialled.port,
          ...(request.destination.protocol === 'udp' ? { protocol: 'UDP' as const } : {}),
        },
      },
    },
    ...(target.sni !== undefined ? { tls_session: { sni: target.sni } } : {}),
  };
  return ok('l4', attributes, target);
}

/**
 * HTTP filter behind `original_dst`: Host from the request, the real destination beside it
 * (docs/envoy-contract.md §3.1 row 4).
 */
function transparentCheck(target: ServerTarget, request: EgressRequest): EnvoyCheckResult {
  if (request.l7?.method === 'CONNECT') return fail('--transparent is plain HTTP: a CONNECT goes to a proxy');
  if (target.address === undefined) {
    return fail('--transparent needs --address IP:PORT, the original destination the connection goes to');
  }
  const original = socketOf(target.address);
  if (original === undefined) return fail(`--address wants IP:PORT, got "${target.address}"`);
  const plain: EgressRequest =
    request.l7 === undefined
      ? Object.assign({}, request, { l7: { method: 'GET', path: '/', scheme: 'http' } })
      : request;
  const attributes: AttributeContext = {
    source: peerOf(plain),
    destination: { address: { socket_address: { address: original.address, port_value: original.port } } },
    request: { http: httpOf(plain) },
  };
  return ok('transparent', attributes, target);
}

/** What Envoy's HTTP filter puts in `attributes.request.http` for this request. */
function httpOf(request: EgressRequest): NonNullable<NonNullable<AttributeContext['request']>['http']> {
  const method = request.l7?.method ?? 'CONNECT';
  const authority = request.destination.authority ?? '';
  const connect = method === 'CONNECT';
  const scheme = connect ? 'http' : (request.l7?.scheme ?? 'http');
  const path = connect ? '' : (request.l7?.path ?? '/');
  const headers: Record<string, string> = { ':authority': authority, ':method': method, ':scheme': scheme };
  if (!connect) headers[':path'] = path;
  headers['user-agent'] = 'portcullis-check';
  if (request.proxyAuthorization !== undefined) headers['proxy-authorization'] = request.proxyAuthorization;
  return { method, host: authority, path, scheme, protocol: 'HTTP/1.1', headers };
}

function peerOf(request: EgressRequest): Peer {
  const { address, principal } = request.source;
  return {
    ...(address !== undefined ? { address: { socket_address: { address } } } : {}),
    ...(principal !== undefined ? { principal } : {}),
  };
}

/** `10.0.0.1:443` or `[2001:db8::1]:443`: what Envoy reports as a socket address, nothing looser. */
export function socketOf(text: string): { address: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const address = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (isIP(address) !== (match[1] !== undefined ? 6 : 4) || port < 1 || port > 65535) return undefined;
  return { address, port };
}

function ok(shape: CheckShape, attributes: AttributeContext, target: ServerTarget): EnvoyCheckResult {
  const metadata: Record<string, string> = {};
  if (target.gateway !== undefined) metadata[CALL_METADATA.gateway] = target.gateway;
  if (target.listener !== undefined) metadata[CALL_METADATA.listener] = target.listener;
  if (target.agent?.name !== undefined) metadata[CALL_METADATA.agent] = target.agent.name;
  if (shape === 'transparent') metadata[CALL_METADATA.mode] = 'transparent';
  return { ok: true, check: { shape, request: { attributes }, metadata } };
}

function fail(message: string): EnvoyCheckResult {
  return { ok: false, message };
}
