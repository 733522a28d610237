/**
 * What the resolver reports. The sink is injected (`onEvent`), so src/dns depends on no logger or
 * metrics library; telemetry maps these onto its catalogue.
 */
import type { IpAddress } from '../policy/values';
import type { DnsClient } from './policy';

/**
 * How a query ended. `refused` covers every answer we chose not to forward (policy, the
 * encrypted-DNS switch, opcodes and zone transfers we do not relay); `dropped` means no answer was
 * sent at all (unreadable packet, a response sent to us, over the in-flight limits).
 */
export type DnsQueryOutcome = 'answered' | 'refused' | 'servfail' | 'formerr' | 'dropped';

/**
 * `encrypted_dns`: the name is a known DoH/DoT resolver. `cname_blocked`: the answer's CNAME chain
 * reached a name blocked for this client, so the answer was refused.
 */
export type DnsEventFlag = 'encrypted_dns' | 'cname_blocked';

export type DnsEvent =
  | {
      readonly type: 'query';
      readonly client: DnsClient;
      /** Normalised query name; '' when the packet had none we could read. */
      readonly name: string;
      /** Mnemonic (`A`, `AAAA`, …) or RFC 3597 `TYPEnn`; '' when unreadable. */
      readonly qtype: string;
      readonly outcome: DnsQueryOutcome;
      readonly durationMs: number;
      readonly flags: readonly DnsEventFlag[];
    }
  | {
      readonly type: 'dns_rebinding_blocked';
      readonly client: DnsClient;
      readonly names: readonly string[];
      readonly ip: IpAddress;
    }
  | {
      readonly type: 'binding';
      readonly client: DnsClient;
      readonly names: readonly string[];
      readonly ip: IpAddress;
      /** Seconds the binding lives, after the min/max clamps. */
      readonly ttl: number;
    };

export type DnsEventSink = (event: DnsEvent) => void;

/** A sink that throws must not take name resolution down with it. */
export function safeSink(sink: DnsEventSink | undefined): DnsEventSink {
  if (sink === undefined) return () => {};
  return (event) => {
    try {
      sink(event);
    } catch {
      // Reporting is best effort; the answer still goes out.
    }
  };
}
