/**
 * The one place a request's destination is parsed (PRODUCT.md §2). Every surface hands the engine a
 * `RawDestination` and gets back the same canonical `Destination`, or a rejection that becomes an
 * `invalid_destination` deny: anything we cannot read exactly the way the upstream connection will
 * is refused rather than guessed at.
 *
 * Hand-written on purpose. The WHATWG URL parser rewrites hosts (backslashes, `%`-decoding, IPv4
 * shorthands) before we could see them, and the point here is to see exactly what the client sent.
 */
import { normalizeHostname } from '../policy/hostname';
import { embeddedIpv4, parseRequestIp } from '../policy/ip';
import type { IpAddress } from '../policy/values';
import type { Destination, HostEvidence, RawDestination } from './types';

export type CanonicalizeResult = { ok: true; destination: Destination } | { ok: false; message: string };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Authority {
  readonly ip?: IpAddress;
  readonly name?: string;
  readonly port?: number;
}

/** Longer than any valid host (253) plus brackets, zone and port; only bounds the work per request. */
const MAX_AUTHORITY = 1024;

/**
 * Called once per request. The name comes from the authority (CONNECT target, `:authority` or Host)
 * or else the SNI; the IP from the connection's real address or else an IP-literal authority, so a
 * rule on addresses judges where the bytes actually go.
 */
export function canonicalizeDestination(raw: RawDestination): CanonicalizeResult {
  let authorityText = raw.authority;
  let scheme = raw.scheme;
  if (authorityText === undefined && raw.url !== undefined) {
    const url = splitAbsoluteUrl(raw.url);
    if (typeof url === 'string') return fail(url);
    authorityText = url.authority;
    scheme = url.scheme;
  }

  let authority: Authority | undefined;
  if (authorityText !== undefined) {
    const parsed = parseAuthority(authorityText);
    if (typeof parsed === 'string') return fail(parsed);
    authority = parsed;
  }

  let port = authority?.port;
  if (port === undefined && raw.port !== undefined) {
    if (!Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65535) {
      return fail(`port ${raw.port} is out of range (1-65535)`);
    }
    port = raw.port;
  }
  if (port === undefined && scheme !== undefined) port = defaultPort(scheme.toLowerCase());
  if (port === undefined) {
    return fail(
      scheme === undefined ? 'no port given' : `no port given and scheme ${show(scheme)} has no default`,
    );
  }

  let ip = authority?.ip;
  if (raw.address !== undefined) {
    const address = parseRequestIp(raw.address);
    if (address === undefined) return fail(`connection address ${show(raw.address)} is not an IP address`);
    ip = address;
  }

  const sni = sniName(raw.sni);
  const destination: Mutable<Destination> = { names: [], port, protocol: raw.protocol };
  let host: string | undefined;
  let evidence: HostEvidence | undefined;
  if (authority?.name !== undefined) {
    host = authority.name;
    evidence = raw.authoritySource === 'host-header' ? 'host-header' : 'authority';
  } else if (sni !== undefined) {
    host = sni;
    evidence = 'sni';
  }
  if (host !== undefined && evidence !== undefined) {
    destination.host = host;
    destination.hostEvidence = evidence;
    destination.names = sni !== undefined && sni !== host ? [host, sni] : [host];
  }
  if (ip !== undefined) {
    destination.ip = ip;
    if (ip.family === 6) {
      const embedded = embeddedIpv4(ip);
      if (embedded !== undefined) destination.embeddedIpv4 = embedded;
    }
  }
  return { ok: true, destination };
}

/**
 * RFC 6066 §3: a server name is a DNS name, never an address. An SNI that is an address or not a
 * valid name is evidence of nothing, so it is dropped rather than failing the request.
 */
function sniName(sni: string | undefined): string | undefined {
  if (sni === undefined || sni.length === 0 || parseRequestIp(sni) !== undefined) return undefined;
  const name = normalizeHostname(sni);
  return name.ok ? name.host : undefined;
}

/** `scheme://authority[/path][?query][#fragment]` (RFC 9112 §3.2.2 absolute-form). */
function splitAbsoluteUrl(url: string): { scheme: string; authority: string } | string {
  const badChar = findControlOrSpace(url);
  if (badChar !== undefined) return `request URL contains ${badChar}`;
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(url);
  if (match === null) return `request URL ${show(url)} is not an absolute URL (scheme://host/…)`;
  return { scheme: match[1].toLowerCase(), authority: match[2] };
}

/**
 * RFC 9110 §7.2 / RFC 3986 §3.2: `host`, `host:port`, `[v6]`, `[v6]:port`, `[v6%zone]:port`. No
 * userinfo (RFC 9110 §4.2.4 forbids it in http(s) URIs, and `a@b` is a classic way to make a filter
 * and a client disagree on the host).
 */
function parseAuthority(text: string): Authority | string {
  if (text.length === 0) return 'host is empty';
  if (text.length > MAX_AUTHORITY) return `authority is longer than ${MAX_AUTHORITY} characters`;
  const badChar = findControlOrSpace(text);
  if (badChar !== undefined) return `authority contains ${badChar}`;
  if (text.includes('@')) return `authority ${show(text)} contains userinfo (\`@\`), which is not allowed`;

  let hostText: string;
  let portText: string | undefined;
  let bracketed = false;
  if (text.charCodeAt(0) === 0x5b) {
    const close = text.indexOf(']');
    if (close < 0) return `authority ${show(text)} has an unclosed \`[\``;
    hostText = text.slice(1, close);
    const after = text.slice(close + 1);
    if (hostText.includes('[') || after.includes('[') || after.includes(']')) {
      return `authority ${show(text)} has unbalanced brackets`;
    }
    if (after.length > 0) {
      if (after.charCodeAt(0) !== 0x3a) {
        return `authority ${show(text)} has text after \`]\` that is not a port`;
      }
      portText = after.slice(1);
    }
    bracketed = true;
  } else {
    if (text.includes('[') || text.includes(']')) return `authority ${show(text)} has unbalanced brackets`;
    const colon = text.indexOf(':');
    if (colon >= 0) {
      if (text.indexOf(':', colon + 1) >= 0) {
        return `authority ${show(text)} has more than one \`:\`; an IPv6 address must be in brackets`;
      }
      hostText = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else {
      hostText = text;
    }
  }

  let port: number | undefined;
  if (portText !== undefined) {
    port = parsePort(portText);
    if (port === undefined) return `port ${show(portText)} is not a number from 1 to 65535`;
  }
  if (hostText.length === 0) return 'host is empty';

  if (bracketed) {
    const ip = hostText.includes(':') ? parseRequestIp(hostText) : undefined;
    if (ip === undefined) return `${show(`[${hostText}]`)} is not an IPv6 address`;
    return port === undefined ? { ip } : { ip, port };
  }
  if (hostText.includes('%')) return `host ${show(hostText)} contains percent-encoding, which is not allowed`;
  const ip = parseRequestIp(hostText);
  if (ip !== undefined) return port === undefined ? { ip } : { ip, port };
  const name = normalizeHostname(hostText);
  if (!name.ok) return name.message;
  return port === undefined ? { name: name.host } : { name: name.host, port };
}

/** RFC 9110 §4.2 and RFC 6455 §3 default ports. */
function defaultPort(scheme: string): number | undefined {
  switch (scheme) {
    case 'http':
    case 'ws':
      return 80;
    case 'https':
    case 'wss':
      return 443;
    default:
      return undefined;
  }
}

/** One to five ASCII digits, 1-65535; no sign, space, hex or anything after. */
function parsePort(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    value = value * 10 + (c - 0x30);
  }
  return value >= 1 && value <= 65535 ? value : undefined;
}

/** ASCII controls and any Unicode space or line break: never part of a valid authority. */
function findControlOrSpace(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return c === 0x20 || c === 0x09 ? 'whitespace' : 'a control character';
    if (c >= 0x80 && /[\p{Cc}\p{Z}]/u.test(text[i])) return 'whitespace or a control character';
  }
  return undefined;
}

function fail(message: string): CanonicalizeResult {
  return { ok: false, message };
}

function show(text: string): string {
  const clipped = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return JSON.stringify(clipped);
}
