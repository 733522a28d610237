/**
 * Who is calling. Evidence is taken in this order, the first that names an agent deciding:
 *
 * 1. the context agent name (`x-portcullis-agent` gRPC metadata or the `agent` context extension).
 *    Envoy's configuration sets it per listener or sidecar; the client cannot, so it is taken as
 *    given, and a name no EgressAgent claims still names an agent (root namespace, no labels);
 * 2. the mTLS principal (the client certificate's URI SAN, e.g. a SPIFFE id);
 * 3. a key in `Proxy-Authorization`: `Bearer <key>`, or `Basic base64(user:key)`, where the password
 *    is the key and the user part is ignored. Basic is what `HTTPS_PROXY=http://user:key@envoy:10000`
 *    sends, the one way most agent runtimes can present a credential to a forward proxy;
 * 4. the source address, inside an agent's `sourceCIDRs`;
 * 5. otherwise the anonymous agent.
 *
 * A key that was presented but matches no agent, or a `Proxy-Authorization` that cannot be read,
 * gives the anonymous agent outright rather than falling through to the source address: whoever
 * presents a credential is asking to be judged by it, and every failure looks the same, so a
 * caller learns nothing about which keys exist.
 *
 * When the context name and the key point at different agents, the context agent wins (Envoy set
 * it, the client chose the key) and is not counted as authenticated: the key vouches for someone
 * else. It is counted as authenticated when its own principal or key comes with the request.
 *
 * The key is hashed and dropped here: it is never logged, stored or returned.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AgentIndex, AgentProfile } from '../compile/agent-index';
import { agentForSourceIp } from '../compile/agent-index';
import type { Agent, EgressRequest } from '../engine/types';
import { ANONYMOUS_AGENT } from '../engine/types';
import { parseRequestIp } from '../policy/ip';

type KeyEvidence =
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'agent'; readonly profile: AgentProfile };

export function resolveAgent(index: AgentIndex | undefined, request: EgressRequest): Agent {
  const contextName = request.context.agent;
  const principal = request.source.principal;
  const byPrincipal = principal === undefined ? undefined : index?.byPrincipal.get(principal);

  if (contextName !== undefined && contextName !== '') {
    const profile = index?.byContextName.get(contextName);
    if (profile === undefined) {
      return {
        name: contextName,
        namespace: '',
        labels: {},
        identifiedBy: 'context',
        authenticated: false,
        firewallPolicy: undefined,
      };
    }
    const key = keyEvidence(index, request.proxyAuthorization);
    const vouched = byPrincipal === profile || (key.kind === 'agent' && key.profile === profile);
    return agentOf(profile, 'context', vouched);
  }
  if (byPrincipal !== undefined) return agentOf(byPrincipal, 'principal', true);

  const key = keyEvidence(index, request.proxyAuthorization);
  if (key.kind === 'agent') return agentOf(key.profile, 'key', true);
  if (key.kind === 'invalid') return ANONYMOUS_AGENT;

  const address = request.source.address;
  const ip = index === undefined || address === undefined ? undefined : parseRequestIp(address);
  const bySource = ip === undefined || index === undefined ? undefined : agentForSourceIp(index, ip);
  return bySource === undefined ? ANONYMOUS_AGENT : agentOf(bySource, 'source-ip', false);
}

function agentOf(profile: AgentProfile, identifiedBy: Agent['identifiedBy'], authenticated: boolean): Agent {
  return {
    name: profile.name,
    namespace: profile.namespace,
    labels: profile.labels,
    identifiedBy,
    authenticated,
    firewallPolicy: profile.firewallPolicy,
  };
}

const NO_KEY: KeyEvidence = Object.freeze({ kind: 'none' });
const INVALID_KEY: KeyEvidence = Object.freeze({ kind: 'invalid' });

/** What `Proxy-Authorization` says: nothing, nothing usable, or a known agent's key. */
function keyEvidence(index: AgentIndex | undefined, header: string | undefined): KeyEvidence {
  if (header === undefined || header.trim() === '') return NO_KEY;
  const key = credentialKey(header);
  if (key === undefined) return INVALID_KEY;
  const digest = createHash('sha256').update(key).digest();
  key.fill(0);
  const claim = index?.byKeySha256.get(digest.toString('hex'));
  if (claim === undefined || !timingSafeEqual(claim.digest, digest)) return INVALID_KEY;
  return { kind: 'agent', profile: claim.profile };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const COLON = 0x3a;

/**
 * The key bytes of a `Bearer` or `Basic` credential (schemes are case-insensitive, RFC 9110
 * §11.1), or undefined when the header is neither or is malformed.
 */
export function credentialKey(header: string): Buffer | undefined {
  const match = /^[ \t]*([A-Za-z]+)[ \t]+([^ \t]+)[ \t]*$/.exec(header);
  if (match === null) return undefined;
  const scheme = match[1]!.toLowerCase();
  const credentials = match[2]!;
  if (scheme === 'bearer') return Buffer.from(credentials, 'utf8');
  if (scheme !== 'basic' || !BASE64.test(credentials) || credentials.length % 4 === 1) return undefined;
  const decoded = Buffer.from(credentials, 'base64');
  const colon = decoded.indexOf(COLON);
  const key =
    colon < 0 || colon === decoded.length - 1 ? undefined : Buffer.from(decoded.subarray(colon + 1));
  decoded.fill(0);
  return key;
}

/**
 * The agent `serve` would identify, with labels and a namespace layered on top: what-if questions
 * asked by `portcullis check` and the admin dry run.
 */
export function resolveAgentWith(
  index: AgentIndex | undefined,
  request: EgressRequest,
  overrides: { readonly labels?: Readonly<Record<string, string>>; readonly namespace?: string },
): Agent {
  const found = resolveAgent(index, request);
  return {
    name: found.name,
    namespace: overrides.namespace ?? found.namespace,
    labels: Object.assign({}, found.labels, overrides.labels),
    identifiedBy: found.identifiedBy,
    authenticated: found.authenticated,
    firewallPolicy: found.firewallPolicy,
  };
}
