/**
 * Envoy `CheckRequest` → `EgressRequest`. Translation only: nothing here parses, normalises or
 * judges a destination; the engine does that once for every surface (src/engine/destination.ts).
 */
import type { EgressRequest, RawDestination, Surface } from '../../engine/types';
import type { Protocol } from '../../policy/values';
import type { AttributeContext, CheckRequest, HttpRequest, Peer, SocketAddress } from '../protos';

export type CheckSurface = Extract<Surface, 'check-http' | 'check-l4'>;

/**
 * Values from the gRPC call metadata, which Envoy sets per listener with
 * `grpc_service.initial_metadata` (docs/envoy-contract.md §3.3): static configuration, not client
 * input.
 */
export interface CheckCallMeta {
  readonly gateway?: string;
  readonly listener?: string;
  readonly agent?: string;
  /** `transparent` marks a listener behind `original_dst` (docs/envoy-contract.md §3.1 row 4). */
  readonly mode?: string;
}

export type CheckTranslation =
  | { readonly ok: true; readonly request: EgressRequest }
  | { readonly ok: false; readonly surface: CheckSurface; readonly message: string };

type Writable<T> = { -readonly [K in keyof T]: T[K] };

const CONTEXT_KEYS = ['gateway', 'listener', 'agent'] as const;
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Only the HTTP filter sends `attributes.request` (docs/envoy-contract.md §3.2). */
export function checkSurface(check: CheckRequest): CheckSurface {
  return check.attributes?.request === undefined ? 'check-l4' : 'check-http';
}

export function toEgressRequest(check: CheckRequest, meta: CheckCallMeta): CheckTranslation {
  const surface = checkSurface(check);
  const attributes = check.attributes;
  if (attributes === undefined) return malformed(surface, 'attributes is missing');
  return surface === 'check-http' ? fromHttp(attributes, meta) : fromNetwork(attributes, meta);
}

/**
 * HTTP filter, docs/envoy-contract.md §3.1. For CONNECT the target exists only in `:authority`;
 * `destination.address` is Envoy's own listener, so it is never passed on. For other methods the
 * connection's address is the real destination only behind `original_dst` (transparent mode), which
 * the listener must declare: on a forward-proxy listener it is again Envoy's own address.
 */
function fromHttp(attributes: AttributeContext, meta: CheckCallMeta): CheckTranslation {
  const surface = 'check-http';
  const http = attributes.request?.http;
  if (http === undefined) return malformed(surface, 'attributes.request.http is missing');
  const method = present(http.method);
  if (method === undefined) return malformed(surface, 'attributes.request.http.method is missing');
  const authority = authorityOf(http);
  if (authority === undefined) return malformed(surface, 'attributes.request.http.host is missing');

  const path = http.path ?? '';
  const scheme = present(http.scheme);
  const destination: Writable<RawDestination> = { protocol: 'tcp', authority };
  if (method === 'CONNECT') {
    destination.authoritySource = 'connect';
  } else {
    destination.authoritySource = 'host-header';
    if (scheme !== undefined) destination.scheme = scheme;
    if (ABSOLUTE_FORM.test(path)) destination.url = path;
    // Only a listener that terminates the agent's TLS sends a session here (`include_tls_session`):
    // then the request was decrypted and its Host must be the name the connection was opened for.
    const sni = present(attributes.tls_session?.sni);
    if (sni !== undefined) destination.sni = sni;
    if (modeOf(attributes, meta) === 'transparent') {
      const socket = attributes.destination?.address?.socket_address;
      const original = present(socket?.address);
      if (original === undefined) {
        return malformed(
          surface,
          'attributes.destination.address.socket_address is missing (transparent mode)',
        );
      }
      destination.address = original;
      if (socket?.port_value !== undefined) destination.port = socket.port_value;
    }
  }

  const request: Writable<EgressRequest> = {
    surface,
    source: sourceOf(attributes.source),
    destination,
    l7: { method, path, scheme: scheme ?? '' },
    context: contextOf(attributes, meta),
  };
  const requestId = present(http.id);
  if (requestId !== undefined) request.requestId = requestId;
  const proxyAuthorization = http.headers?.['proxy-authorization'];
  if (proxyAuthorization !== undefined) request.proxyAuthorization = proxyAuthorization;
  return { ok: true, request };
}

/**
 * Network filter, docs/envoy-contract.md §3.2: `destination.address` is the original destination and
 * the SNI arrives as `tls_session.sni` (with `include_tls_session`) or `destination.service`.
 */
function fromNetwork(attributes: AttributeContext, meta: CheckCallMeta): CheckTranslation {
  const surface = 'check-l4';
  const address = attributes.destination?.address;
  if (address === undefined) {
    return malformed(surface, 'attributes.request and attributes.destination.address are both missing');
  }
  const socket = address.socket_address;
  if (socket === undefined) {
    return malformed(
      surface,
      'attributes.destination.address.socket_address is missing (pipe or internal address)',
    );
  }
  const ip = present(socket.address);
  if (ip === undefined)
    return malformed(surface, 'attributes.destination.address.socket_address.address is missing');
  if (socket.port_value === undefined) {
    return malformed(surface, 'attributes.destination.address.socket_address.port_value is missing');
  }
  const protocol = protocolOf(socket.protocol);
  if (protocol === undefined) {
    return malformed(surface, 'attributes.destination.address.socket_address.protocol is not TCP or UDP');
  }

  const destination: Writable<RawDestination> = { protocol, address: ip, port: socket.port_value };
  const sni = present(attributes.tls_session?.sni) ?? present(attributes.destination?.service);
  if (sni !== undefined) destination.sni = sni;
  return {
    ok: true,
    request: {
      surface,
      source: sourceOf(attributes.source),
      destination,
      context: contextOf(attributes, meta),
    },
  };
}

/**
 * HTTP/1 `Host` arrives as `:authority` (docs/envoy-contract.md §3.1); the fallbacks cover odd clients.
 */
function authorityOf(http: HttpRequest): string | undefined {
  return present(http.host) ?? present(http.headers?.[':authority']) ?? present(http.headers?.['host']);
}

function sourceOf(peer: Peer | undefined): EgressRequest['source'] {
  const source: Writable<EgressRequest['source']> = {};
  const socket = peer?.address?.socket_address;
  const address = present(socket?.address);
  if (address !== undefined) source.address = address;
  if (socket?.port_value !== undefined) source.port = socket.port_value;
  const principal = present(peer?.principal);
  if (principal !== undefined) source.principal = principal;
  return source;
}

/** Per-route `context_extensions` are more specific than the listener's call metadata. */
function contextOf(attributes: AttributeContext, meta: CheckCallMeta): EgressRequest['context'] {
  const context: Writable<EgressRequest['context']> = {};
  for (const key of CONTEXT_KEYS) {
    const value = present(attributes.context_extensions?.[key]) ?? present(meta[key]);
    if (value !== undefined) context[key] = value;
  }
  return context;
}

function modeOf(attributes: AttributeContext, meta: CheckCallMeta): string | undefined {
  return (present(attributes.context_extensions?.['mode']) ?? present(meta.mode))?.toLowerCase();
}

/** The zero value TCP is never on the wire, so an absent protocol is TCP. */
function protocolOf(protocol: SocketAddress['protocol']): Protocol | undefined {
  if (protocol === undefined || protocol === 'TCP' || protocol === 0) return 'tcp';
  if (protocol === 'UDP' || protocol === 1) return 'udp';
  return undefined;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function malformed(surface: CheckSurface, message: string): CheckTranslation {
  return { ok: false, surface, message };
}
