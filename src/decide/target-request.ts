/**
 * A textual target (`host:port` or an absolute URL, plus the flags or fields around it) → the
 * `EgressRequest` the engine judges. One builder for every surface that asks "what if" without
 * Envoy: `portcullis check` (src/cli/check-command.ts) and the admin dry run (src/admin/dry-run.ts).
 * Pure, and it never throws: each caller turns `{ ok: false }` into its own error type.
 */
import type { EgressRequest, RawDestination } from '../engine/types';
import type { Protocol } from '../policy/values';

export interface TargetInput {
  /** `host:port`, or an absolute URL (`https://api.example.com/v1`). */
  readonly destination: string;
  /** `tcp` (the default) or `udp`. */
  readonly protocol?: string;
  /** HTTP method; without it (and without a URL) the request is shaped like a CONNECT. */
  readonly method?: string;
  readonly sni?: string;
  readonly gateway?: string;
  readonly listener?: string;
  readonly agent?: {
    readonly name?: string;
    /** Presented as `Proxy-Authorization: Bearer KEY`, as an agent behind the proxy would send it. */
    readonly key?: string;
    readonly principal?: string;
    readonly source?: string;
  };
}

/** The input field a problem is about, for the caller to name in its own terms. */
export type TargetField = 'destination' | 'protocol';

export type TargetRequest =
  | { readonly ok: true; readonly request: EgressRequest }
  | { readonly ok: false; readonly field: TargetField; readonly message: string };

type Writable<T> = { -readonly [K in keyof T]: T[K] };

const URL_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * A URL is a plain HTTP request to it (GET unless a method is given): Host from the URL, the
 * path and query as the path. Anything else is the authority of a CONNECT, or with a method
 * other than CONNECT, a Host header. The destination is passed on untouched: the engine parses
 * and judges it (src/engine/destination.ts), the same as for Envoy's requests.
 */
export function requestFromTarget(target: TargetInput, surface: 'cli' | 'dry-run'): TargetRequest {
  const protocol = target.protocol ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') {
    return { ok: false, field: 'protocol', message: `protocol must be tcp or udp, got "${protocol}"` };
  }
  const method = target.method?.toUpperCase();
  const destination: Writable<RawDestination> = { protocol: protocol satisfies Protocol };
  let l7: EgressRequest['l7'] | undefined;
  if (URL_FORM.test(target.destination)) {
    let url: URL;
    try {
      url = new URL(target.destination);
    } catch {
      return { ok: false, field: 'destination', message: `${target.destination} is not a valid URL` };
    }
    const scheme = url.protocol.slice(0, -1);
    destination.authority = url.host;
    destination.authoritySource = 'host-header';
    destination.scheme = scheme;
    destination.url = target.destination;
    l7 = { method: method ?? 'GET', path: `${url.pathname}${url.search}`, scheme };
  } else {
    const connect = method === undefined || method === 'CONNECT';
    destination.authority = target.destination;
    destination.authoritySource = connect ? 'connect' : 'host-header';
    if (!connect) destination.scheme = 'http';
    if (method !== undefined) l7 = { method, path: connect ? '' : '/', scheme: 'http' };
  }
  if (target.sni !== undefined) destination.sni = target.sni;

  const agent = target.agent ?? {};
  const source: Writable<EgressRequest['source']> = {};
  if (agent.source !== undefined) source.address = agent.source;
  if (agent.principal !== undefined) source.principal = agent.principal;
  const context: Writable<EgressRequest['context']> = {};
  if (target.gateway !== undefined) context.gateway = target.gateway;
  if (target.listener !== undefined) context.listener = target.listener;
  if (agent.name !== undefined) context.agent = agent.name;

  const request: Writable<EgressRequest> = { surface, source, destination, context };
  if (l7 !== undefined) request.l7 = l7;
  if (agent.key !== undefined) request.proxyAuthorization = `Bearer ${agent.key}`;
  return { ok: true, request };
}
