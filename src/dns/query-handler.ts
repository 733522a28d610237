/**
 * One query, transport aside: parse, judge the name, forward, judge the answers, bind, report.
 * Returns the bytes to send back, or undefined to send nothing. Never throws: an unexpected error
 * becomes SERVFAIL (or a drop when the query was unreadable), since DNS must keep answering.
 */
import { performance } from 'node:perf_hooks';
import { normalizeHostname } from '../policy/hostname';
import type { Admission } from './admission';
import type { BindingCache } from './binding-cache';
import { isEncryptedDnsName } from './encrypted-dns';
import type { DnsEventFlag, DnsEventSink, DnsQueryOutcome } from './events';
import { emptyAnswer, formErr, truncatedAnswer } from './messages';
import type { DnsClient, DnsPolicy } from './policy';
import { parseQuery } from './query-parse';
import type { ClientQuery, ParsedQuery } from './query-parse';
import { filterAnswer } from './response-filter';
import { rewriteAnswer } from './response-rewrite';
import type { AnswerCache } from './answer-cache';
import {
  CLASSIC_UDP_BYTES,
  MAX_MESSAGE_BYTES,
  RCODE_NOTIMP,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  TYPE_AXFR,
  TYPE_IXFR,
  opcodeOf,
  typeName,
} from './wire';

export interface Peer {
  /** Canonical IP text. */
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
}

export interface QueryHandlerDeps {
  readonly policy: DnsPolicy;
  readonly identify: (address: string) => string;
  /** Upstream answers, through the cache shared with decisions' lookups. */
  readonly answers: AnswerCache;
  readonly bindings: BindingCache;
  readonly admission: Admission;
  readonly emit: DnsEventSink;
  /** RCODE for names the policy refuses: REFUSED, or NXDOMAIN as Cilium's reject-response-code. */
  readonly rejectRcode: number;
  readonly refuseEncryptedDns: boolean;
  readonly maxQueryBytes: number;
  /** Cap on the client's advertised EDNS UDP size. */
  readonly maxUdpPayload: number;
}

export type QueryHandler = (message: Buffer, peer: Peer) => Promise<Buffer | undefined>;

interface Outcome {
  readonly outcome: DnsQueryOutcome;
  readonly response: Buffer | undefined;
}

interface Report {
  name: string;
  qtype: string;
  readonly flags: DnsEventFlag[];
}

export function createQueryHandler(deps: QueryHandlerDeps): QueryHandler {
  const { policy, answers, bindings, admission, emit } = deps;

  async function resolve(query: ClientQuery, client: DnsClient, report: Report): Promise<Outcome> {
    if (opcodeOf(query.flags) !== 0) {
      return { outcome: 'refused', response: emptyAnswer(query, RCODE_NOTIMP) };
    }
    const normalized = query.name === undefined ? undefined : normalizeHostname(query.name);
    if (normalized === undefined || !normalized.ok) {
      report.name = query.name?.toLowerCase() ?? '';
      return { outcome: 'refused', response: emptyAnswer(query, deps.rejectRcode) };
    }
    const name = normalized.host;
    report.name = name;
    // Zone transfers span several messages on one connection; a one-answer forwarder cannot relay them.
    if (query.qtype === TYPE_AXFR || query.qtype === TYPE_IXFR) {
      return { outcome: 'refused', response: emptyAnswer(query, RCODE_REFUSED) };
    }
    if (isEncryptedDnsName(name)) {
      report.flags.push('encrypted_dns');
      if (deps.refuseEncryptedDns) {
        return { outcome: 'refused', response: emptyAnswer(query, deps.rejectRcode) };
      }
    }
    if (policy.checkQuery(client, name) === 'refuse') {
      return { outcome: 'refused', response: emptyAnswer(query, deps.rejectRcode) };
    }

    const upstream = await answers.fetch(query);
    if (upstream === undefined) return { outcome: 'servfail', response: emptyAnswer(query, RCODE_SERVFAIL) };
    const result = filterAnswer(upstream.message, upstream.frame, name, client, policy);
    if (result === undefined) return { outcome: 'servfail', response: emptyAnswer(query, RCODE_SERVFAIL) };
    for (const { names, ip } of result.stripped) emit({ type: 'dns_rebinding_blocked', client, names, ip });
    if (result.blockedName !== undefined) {
      report.flags.push('cname_blocked');
      return { outcome: 'refused', response: emptyAnswer(query, deps.rejectRcode) };
    }
    if (result.refuse) return { outcome: 'refused', response: emptyAnswer(query, RCODE_REFUSED) };

    let response: Buffer | undefined = upstream.message;
    if (result.remove.size === 0) response.writeUInt16BE(query.id, 0);
    else response = rewriteAnswer(upstream.message, upstream.frame, result.remove, query.id);
    if (response === undefined) return { outcome: 'servfail', response: emptyAnswer(query, RCODE_SERVFAIL) };

    // Bindings are recorded only for answers the client receives, and before it receives them, so
    // the connection that follows always finds its evidence.
    if (response.length > responseLimit(query, client.transport)) {
      return { outcome: 'answered', response: truncatedAnswer(query, upstream.frame.header.flags) };
    }
    for (const { names, ip, ttl } of result.bindings) {
      const kept = bindings.record(client.agentKey, ip, names, ttl);
      emit({ type: 'binding', client, names, ip, ttl: kept });
    }
    return { outcome: 'answered', response };
  }

  /** RFC 6891 §7: the client's advertised size (we cap it), or 512 without EDNS (RFC 1035 §4.2.1). */
  function responseLimit(query: ClientQuery, transport: 'udp' | 'tcp'): number {
    if (transport === 'tcp') return MAX_MESSAGE_BYTES;
    if (query.opt === undefined) return CLASSIC_UDP_BYTES;
    return Math.min(query.opt.udpPayloadSize, deps.maxUdpPayload);
  }

  return async function handle(message, peer) {
    const started = performance.now();
    const report: Report = { name: '', qtype: '', flags: [] };
    let client: DnsClient = clientOf(peer, peer.address);
    let parsed: ParsedQuery = { kind: 'drop' };
    const finish = (outcome: DnsQueryOutcome, response: Buffer | undefined): Buffer | undefined => {
      const durationMs = performance.now() - started;
      emit({
        type: 'query',
        client,
        name: report.name,
        qtype: report.qtype,
        outcome,
        durationMs,
        flags: report.flags,
      });
      return response;
    };
    try {
      client = clientOf(peer, deps.identify(peer.address));
      parsed = parseQuery(message, deps.maxQueryBytes);
      if (parsed.kind === 'drop') return finish('dropped', undefined);
      if (parsed.kind === 'formerr') return finish('formerr', formErr(parsed.id, parsed.flags));
      report.qtype = typeName(parsed.qtype);
      if (!admission.tryAcquire(peer.address)) {
        // Over UDP a drop costs nothing and the client retries; over TCP every query is owed an answer.
        return peer.transport === 'udp'
          ? finish('dropped', undefined)
          : finish('servfail', emptyAnswer(parsed, RCODE_SERVFAIL));
      }
      try {
        const { outcome, response } = await resolve(parsed, client, report);
        return finish(outcome, response);
      } finally {
        admission.release(peer.address);
      }
    } catch {
      return parsed.kind === 'query'
        ? finish('servfail', emptyAnswer(parsed, RCODE_SERVFAIL))
        : finish('dropped', undefined);
    }
  };
}

function clientOf(peer: Omit<DnsClient, 'agentKey'>, agentKey: string): DnsClient {
  return { address: peer.address, port: peer.port, transport: peer.transport, agentKey };
}
