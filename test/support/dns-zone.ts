/**
 * A loopback authoritative stand-in with a fixed zone, for services whose decisions look names up:
 * `A` queries get the listed IPv4 addresses, `AAAA` the IPv6 ones, a name not listed NXDOMAIN. Tests
 * point `lookupServers` (or `--dns-upstream`) at it, so no lookup ever leaves the machine.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { isIPv6 } from 'node:net';
import { createTestUpstream, type TestUpstream } from './dns-upstream';

export type Zone = Readonly<Record<string, string | readonly string[]>>;

export function zoneScript(zone: Zone, ttl = 300): (q: DecodedPacket) => Packet {
  return (q) => {
    const question = q.questions?.[0];
    const name = question?.name.toLowerCase() ?? '';
    const listed = zone[name];
    if (listed === undefined) return { flags: dnsPacket.RECURSION_AVAILABLE | 3 };
    const want = question?.type === 'AAAA' ? 'AAAA' : 'A';
    const answers: Answer[] = [listed]
      .flat()
      .filter((ip) => (want === 'AAAA') === isIPv6(ip))
      .map((data) => ({ type: want, name, ttl, data }));
    return { answers };
  };
}

export function startZone(zone: Zone): Promise<TestUpstream> {
  return createTestUpstream(zoneScript(zone));
}
