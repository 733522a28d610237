/**
 * Upstream resolver addresses: the `HOST:PORT` form of `--dns-upstream`, and the `nameserver` lines
 * of resolv.conf(5) used when none is given. Hosts must be IP literals: the forwarder cannot ask DNS
 * where DNS is.
 */
import { readFileSync } from 'node:fs';
import { parseIpLiteral } from '../policy/ip';

export interface Upstream {
  /** Canonical IP text. */
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export type ParseUpstreamResult = { ok: true; upstream: Upstream } | { ok: false; message: string };

const DNS_PORT = 53;

/** `1.2.3.4`, `1.2.3.4:5353`, `[2001:db8::1]:53` or `2001:db8::1` (port 53 when omitted). */
export function parseUpstream(text: string): ParseUpstreamResult {
  const trimmed = text.trim();
  let host = trimmed;
  let portText: string | undefined;
  const colon = trimmed.indexOf(':');
  if (trimmed.startsWith('[')) {
    const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(trimmed);
    if (bracketed === null) {
      return {
        ok: false,
        message: `upstream ${JSON.stringify(text)}: write [IPv6]:PORT, e.g. [2001:db8::53]:53`,
      };
    }
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (colon >= 0 && colon === trimmed.lastIndexOf(':')) {
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
  }
  const ip = parseIpLiteral(host);
  if (ip === undefined) {
    return {
      ok: false,
      message: `upstream ${JSON.stringify(text)} is not an IP address: write HOST:PORT with an IP literal, e.g. 10.0.0.2:53 or [2001:db8::53]:53`,
    };
  }
  let port = DNS_PORT;
  if (portText !== undefined) {
    port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      return { ok: false, message: `upstream ${JSON.stringify(text)}: port must be 1-65535` };
    }
  }
  return { ok: true, upstream: { host: ip.text, port, family: ip.family } };
}

/**
 * The `nameserver` entries of a resolv.conf, in order, at port 53. Entries that are not IP literals
 * (or carry a zone, which we cannot use) are skipped, as the C library does with what it cannot
 * parse.
 */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const match = /^nameserver\s+(\S+)$/.exec(line);
    if (match === null) continue;
    const ip = parseIpLiteral(match[1]!);
    if (ip !== undefined) out.push({ host: ip.text, port: DNS_PORT, family: ip.family });
  }
  return out;
}

/** Upstreams from the system's resolv.conf; empty when it is missing or lists none. */
export function systemUpstreams(path = '/etc/resolv.conf'): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return parseResolvConf(text);
}
