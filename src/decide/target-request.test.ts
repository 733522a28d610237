import { requestFromTarget } from './target-request';

describe('requestFromTarget', () => {
  it('host:port alone is a CONNECT authority', () => {
    expect(requestFromTarget({ destination: 'api.anthropic.com:443' }, 'cli')).toEqual({
      ok: true,
      request: {
        surface: 'cli',
        source: {},
        destination: { protocol: 'tcp', authority: 'api.anthropic.com:443', authoritySource: 'connect' },
        context: {},
      },
    });
  });

  it('host:port with a method other than CONNECT is a Host header on plain HTTP', () => {
    const built = requestFromTarget({ destination: 'example.com:80', method: 'get' }, 'dry-run');
    expect(built).toMatchObject({
      ok: true,
      request: {
        surface: 'dry-run',
        destination: { authority: 'example.com:80', authoritySource: 'host-header', scheme: 'http' },
        l7: { method: 'GET', path: '/', scheme: 'http' },
      },
    });
  });

  it('an explicit CONNECT carries an l7 part with an empty path', () => {
    const built = requestFromTarget({ destination: 'example.com:443', method: 'CONNECT' }, 'cli');
    expect(built).toMatchObject({
      ok: true,
      request: {
        destination: { authoritySource: 'connect' },
        l7: { method: 'CONNECT', path: '', scheme: 'http' },
      },
    });
    if (built.ok) expect(built.request.destination.scheme).toBeUndefined();
  });

  it('a URL is a GET to its host with path and query, the URL kept as absolute-form', () => {
    const url = 'https://api.anthropic.com/v1/messages?x=1';
    expect(requestFromTarget({ destination: url }, 'cli')).toMatchObject({
      ok: true,
      request: {
        destination: {
          authority: 'api.anthropic.com',
          authoritySource: 'host-header',
          scheme: 'https',
          url,
        },
        l7: { method: 'GET', path: '/v1/messages?x=1', scheme: 'https' },
      },
    });
  });

  it('a URL with a method keeps the method', () => {
    const built = requestFromTarget({ destination: 'http://example.com:8080/', method: 'post' }, 'cli');
    expect(built).toMatchObject({
      ok: true,
      request: { destination: { authority: 'example.com:8080' }, l7: { method: 'POST', path: '/' } },
    });
  });

  it('carries SNI, gateway, listener, agent name, principal, source and key', () => {
    const built = requestFromTarget(
      {
        destination: '140.82.112.3:443',
        protocol: 'udp',
        sni: 'api.github.com',
        gateway: 'agents',
        listener: 'tls-out',
        agent: { name: 'researcher', key: 'k1', principal: 'spiffe://x/y', source: '10.8.0.4' },
      },
      'cli',
    );
    expect(built).toEqual({
      ok: true,
      request: {
        surface: 'cli',
        source: { address: '10.8.0.4', principal: 'spiffe://x/y' },
        destination: {
          protocol: 'udp',
          authority: '140.82.112.3:443',
          authoritySource: 'connect',
          sni: 'api.github.com',
        },
        context: { gateway: 'agents', listener: 'tls-out', agent: 'researcher' },
        proxyAuthorization: 'Bearer k1',
      },
    });
  });

  it('an unparseable URL is an error on destination, not an exception', () => {
    expect(requestFromTarget({ destination: 'https://exa mple.com/' }, 'cli')).toEqual({
      ok: false,
      field: 'destination',
      message: 'https://exa mple.com/ is not a valid URL',
    });
  });

  it('a protocol other than tcp or udp is an error on protocol', () => {
    expect(requestFromTarget({ destination: 'a.example:1', protocol: 'sctp' }, 'cli')).toMatchObject({
      ok: false,
      field: 'protocol',
    });
  });

  it('does not judge the destination: that is the engine’s job', () => {
    const built = requestFromTarget({ destination: 'user@169.254.169.254:80' }, 'cli');
    expect(built).toMatchObject({
      ok: true,
      request: { destination: { authority: 'user@169.254.169.254:80' } },
    });
  });
});
