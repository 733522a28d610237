/**
 * Request shapes from docs/envoy-contract.md §3.1 (HTTP filter), §3.2 (network filter) and §9 (what a
 * test client acting as Envoy sends), as Envoy would decode them (`keepCase`, `longs: String`).
 */
import type { CheckRequest, Peer } from '../protos';
import type { CheckCallMeta } from './check-request';
import { authorizationServiceDefinition } from '../protos';
import { checkSurface, toEgressRequest } from './check-request';

const agentPeer: Peer = {
  address: { socket_address: { address: '10.1.2.3', port_value: 53124 }, address: 'socket_address' },
};
const proxyListener: Peer = {
  address: { socket_address: { address: '10.0.0.10', port_value: 3128 }, address: 'socket_address' },
};
const time = { seconds: '1767225600', nanos: 0 };

function http(
  fields: Record<string, unknown>,
  extra: { destination?: Peer; context_extensions?: Record<string, string> } = {},
): CheckRequest {
  return {
    attributes: {
      source: agentPeer,
      destination: extra.destination ?? proxyListener,
      request: { time, http: { id: '17', protocol: 'HTTP/1.1', size: '0', ...fields } },
      ...(extra.context_extensions === undefined ? {} : { context_extensions: extra.context_extensions }),
    },
  };
}

const connect = http({
  method: 'CONNECT',
  host: 'api.openai.com:443',
  path: '',
  scheme: 'http',
  headers: {
    ':authority': 'api.openai.com:443',
    ':method': 'CONNECT',
    ':scheme': 'http',
    'proxy-authorization': 'Basic YWdlbnQ6c2VjcmV0',
    'x-request-id': 'c5a2e3b0-1111-2222-3333-444455556666',
  },
});

const absoluteGet = http({
  method: 'GET',
  host: 'api.x.com',
  path: '/v1?q',
  scheme: 'http',
  headers: { ':authority': 'api.x.com', ':method': 'GET', ':path': '/v1?q', ':scheme': 'http' },
});

const originalDst: Peer = {
  address: { socket_address: { address: '93.184.216.34', port_value: 80 }, address: 'socket_address' },
};
const transparentGet = (extensions?: Record<string, string>): CheckRequest =>
  http(
    { method: 'GET', host: 'api.x.com', path: '/v1', scheme: 'http', headers: { ':authority': 'api.x.com' } },
    { destination: originalDst, ...(extensions === undefined ? {} : { context_extensions: extensions }) },
  );

const l4 = (destination: Peer, sni?: string): CheckRequest => ({
  attributes: {
    source: agentPeer,
    destination,
    ...(sni === undefined ? {} : { tls_session: { sni } }),
  },
});
const tlsOriginal = (service?: string): Peer => ({
  address: { socket_address: { address: '104.18.33.45', port_value: 443 }, address: 'socket_address' },
  ...(service === undefined ? {} : { service }),
});

describe('toEgressRequest: accepted shapes', () => {
  const cases: [string, CheckRequest, CheckCallMeta, unknown][] = [
    [
      'HTTP/1.1 CONNECT (§3.1 row 1): target from :authority, listener address dropped',
      connect,
      { gateway: 'gw', listener: 'proxy' },
      {
        surface: 'check-http',
        requestId: '17',
        source: { address: '10.1.2.3', port: 53124 },
        destination: { protocol: 'tcp', authority: 'api.openai.com:443', authoritySource: 'connect' },
        l7: { method: 'CONNECT', path: '', scheme: 'http' },
        context: { gateway: 'gw', listener: 'proxy' },
        proxyAuthorization: 'Basic YWdlbnQ6c2VjcmV0',
      },
    ],
    [
      'HTTP/2 CONNECT (§3.1 row 3): no :path at all',
      http({
        method: 'CONNECT',
        host: 'db.example:5432',
        protocol: 'HTTP/2',
        headers: { ':authority': 'db.example:5432' },
      }),
      {},
      expect.objectContaining({
        destination: { protocol: 'tcp', authority: 'db.example:5432', authoritySource: 'connect' },
        l7: { method: 'CONNECT', path: '', scheme: '' },
      }),
    ],
    [
      'CONNECT stays a CONNECT even on a listener marked transparent',
      connect,
      { mode: 'transparent' },
      expect.objectContaining({
        destination: { protocol: 'tcp', authority: 'api.openai.com:443', authoritySource: 'connect' },
      }),
    ],
    [
      'absolute-form GET (§3.1 row 2): Envoy already split it into host and origin-form path',
      absoluteGet,
      {},
      {
        surface: 'check-http',
        requestId: '17',
        source: { address: '10.1.2.3', port: 53124 },
        destination: {
          protocol: 'tcp',
          authority: 'api.x.com',
          authoritySource: 'host-header',
          scheme: 'http',
        },
        l7: { method: 'GET', path: '/v1?q', scheme: 'http' },
        context: {},
      },
    ],
    [
      'a decrypted request on a TLS-terminating listener (include_tls_session) carries its SNI',
      {
        attributes: {
          ...http({ method: 'GET', host: 'api.x.com', path: '/v1', scheme: 'https' }).attributes,
          tls_session: { sni: 'api.x.com' },
        },
      },
      {},
      expect.objectContaining({
        destination: {
          protocol: 'tcp',
          authority: 'api.x.com',
          authoritySource: 'host-header',
          scheme: 'https',
          sni: 'api.x.com',
        },
      }),
    ],
    [
      'a CONNECT ignores the session of the connection it arrived on',
      { attributes: { ...connect.attributes, tls_session: { sni: 'proxy.internal' } } },
      {},
      expect.objectContaining({
        destination: { protocol: 'tcp', authority: 'api.openai.com:443', authoritySource: 'connect' },
      }),
    ],
    [
      'absolute-form path left intact (allow_absolute_url off upstream) goes to url',
      http({ method: 'GET', host: 'api.x.com', path: 'http://api.x.com/v1', scheme: 'http' }),
      {},
      expect.objectContaining({
        destination: {
          protocol: 'tcp',
          authority: 'api.x.com',
          authoritySource: 'host-header',
          scheme: 'http',
          url: 'http://api.x.com/v1',
        },
      }),
    ],
    [
      'forward-proxy GET: the listener address is never passed as the destination',
      transparentGet(),
      {},
      expect.objectContaining({
        destination: {
          protocol: 'tcp',
          authority: 'api.x.com',
          authoritySource: 'host-header',
          scheme: 'http',
        },
      }),
    ],
    [
      'transparent GET (§3.1 row 4) declared by x-portcullis-mode: original destination passed',
      transparentGet(),
      { mode: 'transparent' },
      expect.objectContaining({
        destination: {
          protocol: 'tcp',
          authority: 'api.x.com',
          authoritySource: 'host-header',
          scheme: 'http',
          address: '93.184.216.34',
          port: 80,
        },
      }),
    ],
    [
      'transparent GET declared by context extension mode',
      transparentGet({ mode: 'transparent' }),
      {},
      expect.objectContaining({
        destination: expect.objectContaining({ address: '93.184.216.34', port: 80 }),
      }),
    ],
    [
      'host missing: falls back to the :authority header, then host',
      http({ method: 'GET', path: '/', headers: { host: 'h.example:8080' } }),
      {},
      expect.objectContaining({
        destination: { protocol: 'tcp', authority: 'h.example:8080', authoritySource: 'host-header' },
        l7: { method: 'GET', path: '/', scheme: '' },
      }),
    ],
    [
      'context extensions override call metadata field by field',
      http(
        { method: 'CONNECT', host: 'a.example:443' },
        { context_extensions: { agent: 'billing-bot', listener: 'route-l', gateway: '' } },
      ),
      { gateway: 'gw-meta', listener: 'l-meta', agent: 'meta-agent' },
      expect.objectContaining({ context: { gateway: 'gw-meta', listener: 'route-l', agent: 'billing-bot' } }),
    ],
    [
      'mTLS principal from a TLS-terminating listener (§3.1 row 5)',
      {
        attributes: {
          source: { ...agentPeer, principal: 'spiffe://cluster.local/ns/a/sa/b' },
          request: { http: { method: 'GET', host: 'x.example', path: '/', scheme: 'https' } },
          tls_session: { sni: 'x.example' },
        },
      },
      {},
      expect.objectContaining({
        source: { address: '10.1.2.3', port: 53124, principal: 'spiffe://cluster.local/ns/a/sa/b' },
      }),
    ],
    [
      'L4 with SNI in tls_session (include_tls_session) wins over destination.service',
      l4(tlsOriginal('other.example'), 'api.github.com'),
      { gateway: 'gw', listener: 'tls' },
      {
        surface: 'check-l4',
        source: { address: '10.1.2.3', port: 53124 },
        destination: { protocol: 'tcp', address: '104.18.33.45', port: 443, sni: 'api.github.com' },
        context: { gateway: 'gw', listener: 'tls' },
      },
    ],
    [
      'L4 with SNI only in destination.service (§3.2)',
      l4(tlsOriginal('www.bing.com')),
      {},
      expect.objectContaining({
        destination: { protocol: 'tcp', address: '104.18.33.45', port: 443, sni: 'www.bing.com' },
      }),
    ],
    [
      'L4 without TLS: no sni key at all',
      l4(tlsOriginal()),
      {},
      expect.objectContaining({ destination: { protocol: 'tcp', address: '104.18.33.45', port: 443 } }),
    ],
    [
      'L4 UDP (SocketAddress.protocol UDP)',
      l4({
        address: {
          socket_address: { protocol: 'UDP', address: '8.8.8.8', port_value: 53 },
          address: 'socket_address',
        },
      }),
      {},
      expect.objectContaining({ destination: { protocol: 'udp', address: '8.8.8.8', port: 53 } }),
    ],
    [
      'L4 IPv6 original destination, no source peer',
      {
        attributes: {
          destination: { address: { socket_address: { address: '2001:db8::1', port_value: 22 } } },
        },
      },
      {},
      {
        surface: 'check-l4',
        source: {},
        destination: { protocol: 'tcp', address: '2001:db8::1', port: 22 },
        context: {},
      },
    ],
  ];

  test.each(cases)('%s', (_name, check, meta, expected) => {
    const result = toEgressRequest(check, meta);
    expect(result).toStrictEqual({ ok: true, request: expected });
  });
});

describe('toEgressRequest: malformed requests name the missing field', () => {
  const cases: [string, CheckRequest, CheckCallMeta, 'check-http' | 'check-l4', RegExp][] = [
    ['no attributes', {}, {}, 'check-l4', /^attributes is missing/],
    [
      'neither request nor destination address',
      { attributes: { source: agentPeer } },
      {},
      'check-l4',
      /attributes\.request and attributes\.destination\.address/,
    ],
    [
      'L4 with a pipe address',
      l4({ address: { pipe: { path: '/run/x.sock' }, address: 'pipe' } }),
      {},
      'check-l4',
      /attributes\.destination\.address\.socket_address is missing/,
    ],
    [
      'L4 with an Envoy internal address',
      l4({ address: { envoy_internal_address: { server_listener_name: 'x' } } }),
      {},
      'check-l4',
      /socket_address is missing/,
    ],
    [
      'L4 named port instead of port_value',
      l4({ address: { socket_address: { address: '1.2.3.4', named_port: 'https' } } }),
      {},
      'check-l4',
      /port_value is missing/,
    ],
    [
      'L4 socket address without address',
      l4({ address: { socket_address: { port_value: 443 } } }),
      {},
      'check-l4',
      /socket_address\.address is missing/,
    ],
    [
      'L4 unknown protocol enum value',
      l4({ address: { socket_address: { address: '1.2.3.4', port_value: 1, protocol: 7 } } }),
      {},
      'check-l4',
      /protocol is not TCP or UDP/,
    ],
    [
      'request without http',
      { attributes: { request: { time } } },
      {},
      'check-http',
      /attributes\.request\.http is missing/,
    ],
    [
      'HTTP without host or authority headers',
      http({ method: 'GET', path: '/', headers: { 'user-agent': 'x' } }),
      {},
      'check-http',
      /attributes\.request\.http\.host is missing/,
    ],
    ['HTTP without method', http({ host: 'a.example' }), {}, 'check-http', /http\.method is missing/],
    [
      'transparent mode without a socket destination',
      {
        attributes: {
          source: agentPeer,
          request: { http: { method: 'GET', host: 'a.example', path: '/' } },
        },
      },
      { mode: 'transparent' },
      'check-http',
      /socket_address is missing \(transparent mode\)/,
    ],
  ];

  test.each(cases)('%s', (_name, check, meta, surface, message) => {
    const result = toEgressRequest(check, meta);
    expect(result).toEqual({ ok: false, surface, message: expect.stringMatching(message) });
    expect(checkSurface(check)).toBe(surface);
  });
});

describe('toEgressRequest on messages decoded from the wire', () => {
  const check = authorizationServiceDefinition['Check']!;
  const roundTrip = (request: CheckRequest): CheckRequest =>
    check.requestDeserialize(check.requestSerialize(request)) as CheckRequest;

  test('CONNECT', () => {
    expect(toEgressRequest(roundTrip(connect), {})).toStrictEqual(toEgressRequest(connect, {}));
  });

  test('L4 UDP: the enum arrives by name', () => {
    const udp = l4({ address: { socket_address: { protocol: 'UDP', address: '8.8.8.8', port_value: 53 } } });
    expect(toEgressRequest(roundTrip(udp), {})).toMatchObject({
      ok: true,
      request: { destination: { protocol: 'udp', address: '8.8.8.8', port: 53 } },
    });
  });

  test.each([
    ['absent', l4(tlsOriginal('www.bing.com'))],
    [
      'explicit TCP',
      l4({ address: { socket_address: { protocol: 'TCP', address: '1.2.3.4', port_value: 443 } } }),
    ],
  ])('L4 TCP (%s) reads as tcp', (_name, request) => {
    expect(toEgressRequest(roundTrip(request), {})).toMatchObject({
      ok: true,
      request: { destination: { protocol: 'tcp' } },
    });
  });
});
