import { InvalidCertificateNameError, parseCertificateName } from './certificate-name';

describe('parseCertificateName', () => {
  it.each<[string, { kind: string; name: string }]>([
    ['api.example.com', { kind: 'dns', name: 'api.example.com' }],
    ['API.Example.COM', { kind: 'dns', name: 'api.example.com' }],
    ['localhost', { kind: 'dns', name: 'localhost' }],
    ['a-b.c1.example', { kind: 'dns', name: 'a-b.c1.example' }],
    ['1password.com', { kind: 'dns', name: '1password.com' }],
    ['10.0.0.1', { kind: 'ip', name: '10.0.0.1' }],
    ['2001:DB8::1', { kind: 'ip', name: '2001:db8::1' }],
    [`${'a'.repeat(63)}.com`, { kind: 'dns', name: `${'a'.repeat(63)}.com` }],
  ])('accepts %s', (text, expected) => {
    expect(parseCertificateName(text)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['', /empty/],
    ['*.example.com', /wildcard/],
    ['a.*.example.com', /wildcard/],
    ['example.com.', /ends with a dot/],
    ['a..b', /empty label/],
    ['-a.example', /not a host name/],
    ['a-.example', /not a host name/],
    ['under_score.example', /not a host name/],
    ['exa mple.com', /not a host name/],
    ['bücher.example', /not a host name/],
    [`${'a'.repeat(64)}.com`, /label longer than 63/],
    [`${'a.'.repeat(127)}com`, /longer than 253/],
    ['1.2.3', /ends in a number/],
    ['010.0.0.1', /ends in a number/],
    ['fe80::1%eth0', /not a host name/],
    ['[::1]', /not a host name/],
  ])('refuses %j', (text, message) => {
    expect(() => parseCertificateName(text)).toThrow(InvalidCertificateNameError);
    expect(() => parseCertificateName(text)).toThrow(message);
  });

  it('cuts a long name short in the message', () => {
    const err = (() => {
      try {
        parseCertificateName(`${'x'.repeat(200)}..com`);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message.length).toBeLessThan(140);
  });
});
