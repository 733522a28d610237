/**
 * The SSRF guard's destinations (layer 1, docs/architecture.md): loopback, link-local (which holds
 * the cloud metadata endpoints), the unspecified address, and the names that always mean this host.
 * Private RFC 1918 ranges are deliberately not here: they are left to the operator's rules (the
 * firewall model's SSRF example denies them with an explicit rule). IPv4 hidden in NAT64, 6to4 and
 * Teredo addresses is checked by the engine against the same set.
 */
import type { Cidr, IpAddress } from '../policy/values';
import { cidrContains, parseCidr } from '../policy/cidr';
import { createCidrIndex } from './cidr-index';

export const GUARDED_CIDR_TEXT = [
  '0.0.0.0/8', // "this network"; 0.0.0.0 reaches local listeners on Linux
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack metadata)
  '100.100.100.200/32', // Alibaba Cloud metadata
  '::/128', // unspecified
  '::1/128', // loopback
  'fe80::/10', // link-local
  'fd00:ec2::254/128', // AWS IPv6 metadata
] as const;

/** Names that resolve to this host or to a metadata service whatever DNS says (RFC 6761 §6.3). */
const GUARDED_NAMES = new Set(['localhost', 'metadata.google.internal']);

const GUARDED: readonly Cidr[] = GUARDED_CIDR_TEXT.map((text) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`guarded range ${text}: ${parsed.message}`);
  return parsed.cidr;
});

/** Asked on every request: one trie walk instead of a scan of the ranges. */
const GUARDED_INDEX = GUARDED.reduce((builder, c) => builder.add(c, true), createCidrIndex<true>()).build();

export function isGuardedIp(ip: IpAddress): boolean {
  return GUARDED_INDEX.has(ip);
}

export function isGuardedName(host: string): boolean {
  return GUARDED_NAMES.has(host) || host.endsWith('.localhost');
}

/** A route "targets the guarded range explicitly" when its CIDR lies entirely inside it. */
export function guardCoversCidr(cidr: Cidr): boolean {
  return GUARDED.some((g) => cidrContains(g, cidr));
}
