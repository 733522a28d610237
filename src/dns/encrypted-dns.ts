/**
 * Names of well-known DNS-over-HTTPS and DNS-over-TLS resolvers. An agent that resolves one of
 * these is probably about to resolve everything else over an encrypted channel we cannot see, so
 * bindings stop being evidence for it (rappdw/sandy#154). The list flags queries; it cannot catch a
 * resolver reached by IP literal or by an unlisted name, which docs/dns.md says.
 */

/** Exact names. */
const NAMES: ReadonlySet<string> = new Set([
  'dns.google',
  'dns.google.com',
  'dns64.dns.google',
  'one.one.one.one',
  '1dot1dot1dot1.cloudflare-dns.com',
  'dns.quad9.net',
  'dns9.quad9.net',
  'dns10.quad9.net',
  'dns11.quad9.net',
  'dns.opendns.com',
  'dns.umbrella.com',
  'dns.adguard.com',
  'dns-unfiltered.adguard.com',
  'dns-family.adguard.com',
  'dns.adguard-dns.com',
  'unfiltered.adguard-dns.com',
  'family.adguard-dns.com',
  'dns.mullvad.net',
  'adblock.dns.mullvad.net',
  'dns.alidns.com',
  'dns.sb',
  'dns0.eu',
  'dns.switch.ch',
  'ordns.he.net',
  'dns.twnic.tw',
]);

/** The name itself and every name under it. */
const SUFFIXES: readonly string[] = [
  'cloudflare-dns.com', // mozilla., chrome., security., family. …
  'dns.nextdns.io',
  'dns.controld.com',
  'freedns.controld.com',
  'cleanbrowsing.org',
];

/** First labels that name a DoH/DoT endpoint on any domain: `doh.opendns.com`, `doh.mullvad.net`. */
const FIRST_LABELS: ReadonlySet<string> = new Set(['doh', 'dot', 'dns-over-https', 'dns-over-tls']);

/** True when `name` (normalised: lower case, no trailing dot) looks like an encrypted-DNS endpoint. */
export function isEncryptedDnsName(name: string): boolean {
  if (NAMES.has(name)) return true;
  for (const suffix of SUFFIXES) {
    if (
      name === suffix ||
      (name.endsWith(suffix) && name.charCodeAt(name.length - suffix.length - 1) === 0x2e)
    ) {
      return true;
    }
  }
  const dot = name.indexOf('.');
  return dot > 0 && FIRST_LABELS.has(name.slice(0, dot));
}
