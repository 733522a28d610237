import * as grpc from '@grpc/grpc-js';
import { toEgressRequest } from '../grpc/authz/check-request';
import { readCallMeta } from '../grpc/authz/service';
import { envoyCheckFromTarget, socketOf, type EnvoyCheck, type ServerTarget } from './envoy-check-request';

function build(target: ServerTarget): EnvoyCheck {
  const result = envoyCheckFromTarget(target);
  if (!result.ok) throw new Error(result.message);
  return result.check;
}

/** What the server makes of it: the translator the gRPC service runs on every Check. */
function asServerReadsIt(check: EnvoyCheck) {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(check.metadata)) md.set(k, v);
  const translated = toEgressRequest(check.request, readCallMeta(md));
  if (!translated.ok) throw new Error(translated.message);
  return translated.request;
}

function problem(target: ServerTarget): string {
  const result = envoyCheckFromTarget(target);
  if (result.ok) throw new Error(`expected a usage problem for ${JSON.stringify(target)}`);
  return result.message;
}

describe('envoyCheckFromTarget: what the server reads back', () => {
  it('host:port is a CONNECT through the HTTP filter; identity in metadata, source and header', () => {
    const check = build({
      destination: 'api.anthropic.com:443',
      gateway: 'agents',
      listener: 'http-out',
      agent: { name: 'researcher', key: 'k-1', principal: 'spiffe://a/b', source: '10.8.0.4' },
    });
    expect(check.shape).toBe('connect');
    expect(check.metadata).toEqual({
      'x-portcullis-gateway': 'agents',
      'x-portcullis-listener': 'http-out',
      'x-portcullis-agent': 'researcher',
    });
    expect(asServerReadsIt(check)).toEqual({
      surface: 'check-http',
      source: { address: '10.8.0.4', principal: 'spiffe://a/b' },
      destination: { protocol: 'tcp', authority: 'api.anthropic.com:443', authoritySource: 'connect' },
      l7: { method: 'CONNECT', path: '', scheme: 'http' },
      context: { gateway: 'agents', listener: 'http-out', agent: 'researcher' },
      proxyAuthorization: 'Bearer k-1',
    });
  });

  it('a URL is a plain HTTP request: Host, path, scheme and :authority', () => {
    const check = build({ destination: 'https://api.anthropic.com/v1/messages?beta=1' });
    expect(check.shape).toBe('http');
    expect(check.request.attributes?.request?.http?.headers).toMatchObject({
      ':authority': 'api.anthropic.com',
      ':method': 'GET',
      ':path': '/v1/messages?beta=1',
      ':scheme': 'https',
    });
    expect(asServerReadsIt(check)).toMatchObject({
      destination: { authority: 'api.anthropic.com', authoritySource: 'host-header', scheme: 'https' },
      l7: { method: 'GET', path: '/v1/messages?beta=1', scheme: 'https' },
    });
  });

  it('--method GET on host:port is a plain HTTP request to /', () => {
    const check = build({ destination: 'example.com:8080', method: 'get' });
    expect(check.shape).toBe('http');
    expect(asServerReadsIt(check)).toMatchObject({
      destination: { authority: 'example.com:8080', authoritySource: 'host-header', scheme: 'http' },
      l7: { method: 'GET', path: '/' },
    });
  });

  it('--sni without --method is L4: the address dialled and the SNI, no HTTP part', () => {
    const check = build({ destination: '140.82.112.3:443', sni: 'api.github.com' });
    expect(check.shape).toBe('l4');
    expect(check.request.attributes?.request).toBeUndefined();
    expect(check.request.attributes?.tls_session).toEqual({ sni: 'api.github.com' });
    expect(asServerReadsIt(check)).toEqual({
      surface: 'check-l4',
      source: {},
      destination: { protocol: 'tcp', address: '140.82.112.3', port: 443, sni: 'api.github.com' },
      context: {},
    });
  });

  it('--l4 with UDP and an IPv6 address', () => {
    const check = build({ destination: '[2001:db8::53]:53', l4: true, protocol: 'udp' });
    expect(asServerReadsIt(check)).toMatchObject({
      surface: 'check-l4',
      destination: { protocol: 'udp', address: '2001:db8::53', port: 53 },
    });
  });

  it('--transparent: plain HTTP with the original destination and x-portcullis-mode', () => {
    const check = build({ destination: 'api.github.com', transparent: true, address: '140.82.112.3:80' });
    expect(check.shape).toBe('transparent');
    expect(check.metadata).toEqual({ 'x-portcullis-mode': 'transparent' });
    expect(asServerReadsIt(check)).toMatchObject({
      surface: 'check-http',
      destination: {
        authority: 'api.github.com',
        authoritySource: 'host-header',
        address: '140.82.112.3',
        port: 80,
      },
      l7: { method: 'GET', path: '/' },
    });
  });
});

describe('envoyCheckFromTarget: questions Envoy could never ask are usage problems', () => {
  it.each<[string, ServerTarget, RegExp]>([
    ['L4 by name', { destination: 'api.github.com:443', l4: true }, /--l4 needs --dest IP:PORT/],
    ['L4 with a method', { destination: '10.0.0.1:443', l4: true, method: 'GET' }, /no HTTP method or URL/],
    ['L4 with a URL', { destination: 'https://10.0.0.1/', l4: true }, /no HTTP method or URL/],
    ['L4 with a key', { destination: '10.0.0.1:443', l4: true, agent: { key: 'k' } }, /--key/],
    [
      'SNI on plain HTTP',
      { destination: 'a.example:80', method: 'GET', sni: 'a.example' },
      /--sni is read only/,
    ],
    ['UDP over HTTP', { destination: 'a.example:443', protocol: 'udp' }, /--protocol udp needs --l4/],
    ['transparent without address', { destination: 'a.example', transparent: true }, /needs --address/],
    [
      'transparent with a name as address',
      { destination: 'a.example', transparent: true, address: 'b.example:80' },
      /--address wants IP:PORT/,
    ],
    [
      'transparent CONNECT',
      { destination: 'a.example:443', transparent: true, method: 'CONNECT', address: '10.0.0.1:443' },
      /plain HTTP/,
    ],
    [
      'address without transparent',
      { destination: 'a.example:443', address: '10.0.0.1:443' },
      /--address goes with --transparent/,
    ],
    ['l4 and transparent', { destination: '10.0.0.1:443', l4: true, transparent: true }, /different filters/],
    [
      'bad URL',
      { destination: 'https://exa mple.com/' },
      /^--dest https:\/\/exa mple.com\/ is not a valid URL$/,
    ],
  ])('%s', (_name, target, message) => {
    expect(problem(target)).toMatch(message);
  });
});

describe('socketOf', () => {
  it.each([
    ['10.0.0.1:443', { address: '10.0.0.1', port: 443 }],
    ['[::1]:8080', { address: '::1', port: 8080 }],
    ['10.0.0.1', undefined],
    ['10.0.0.1:0', undefined],
    ['10.0.0.1:65536', undefined],
    ['::1:80', undefined],
    ['[10.0.0.1]:80', undefined],
    ['example.com:80', undefined],
  ])('%s', (text, expected) => {
    expect(socketOf(text)).toEqual(expected);
  });
});
