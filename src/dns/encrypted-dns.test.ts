import { isEncryptedDnsName } from './encrypted-dns';

describe('isEncryptedDnsName', () => {
  it.each([
    'dns.google',
    'cloudflare-dns.com',
    'mozilla.cloudflare-dns.com',
    'one.one.one.one',
    'dns.quad9.net',
    'doh.opendns.com',
    'dns.nextdns.io',
    'abc123.dns.nextdns.io',
    'doh.example.org',
    'dot.example.net',
    'dns.adguard.com',
  ])('flags %s', (name) => {
    expect(isEncryptedDnsName(name)).toBe(true);
  });

  it.each([
    'google.com',
    'example.com',
    'notcloudflare-dns.com',
    'doh',
    'api.doh.example.com',
    'quad9.net',
    'www.google.com',
  ])('does not flag %s', (name) => {
    expect(isEncryptedDnsName(name)).toBe(false);
  });
});
