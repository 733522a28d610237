import { parseArgs } from 'node:util';
import { loadPolicies } from '../sources/read-policy-files';
import { formatIssue } from '../policy/validate';
import { compileSnapshot } from '../compile/snapshot';
import type { EgressRequest } from '../engine/types';
import { requestFromTarget } from '../decide/target-request';
import type { IpAddress } from '../policy/values';
import { parseIpLiteral } from '../policy/ip';
import { normalizeHostname } from '../policy/hostname';
import { createDecider, type DecideOverrides } from '../decide/decider';
import { createNameResolver } from '../dns/name-resolver';
import { decisionToJson } from '../engine/decision-json';
import { formatDecision } from './format-decision';
import { usageError } from './usage-error';
import type { CommandIo } from './io';
import { checkAgainstServer } from './check-remote';
import type { CommandHelp } from './command-help';

export const CHECK_USAGE =
  'portcullis check (--policy PATH | --server HOST:PORT [--timeout-ms 5000] [--l4] [--transparent --address IP:PORT]) --dest HOST:PORT|URL [--protocol tcp|udp] [--agent NAME] [--key KEY] [--label k=v]… [--namespace PATH] [--principal URI] [--source IP] [--sni NAME] [--method CONNECT|GET|…] [--gateway NAME] [--listener NAME] [--resolve NAME=IP[,IP]]… [--dns-server HOST:PORT]… [--json]';

export const CHECK_HELP: CommandHelp = {
  usage: CHECK_USAGE,
  summary: [
    'One decision, explained: which layer, policy and rule decided, and the answer Envoy would get.',
    'With --policy it decides locally on the policy files; with --server it asks a running Portcullis',
    'over gRPC exactly as Envoy would (the answer carries no trace: that stays in its decision log).',
  ],
  flags: {
    policy: { value: 'PATH', repeatable: true, help: 'policy file or directory to decide with, locally' },
    server: {
      value: 'HOST:PORT',
      help: "ask a running Portcullis's gRPC port instead (e.g. 127.0.0.1:9191)",
    },
    'timeout-ms': { value: 'MS', help: 'with --server: how long to wait for the answer (default 5000)' },
    dest: { value: 'HOST:PORT|URL', help: 'the destination; a URL is a plain HTTP request to it' },
    protocol: {
      value: 'tcp|udp',
      help: 'transport (default tcp); with --server, udp needs --l4',
    },
    method: {
      value: 'METHOD',
      help: 'HTTP method: CONNECT (the default shape) or GET, POST, … (plain HTTP)',
    },
    sni: {
      value: 'NAME',
      help: 'TLS server name, as the network filter reads it (implies --l4 with --server)',
    },
    l4: { help: 'with --server: ask as the network filter (raw TCP/TLS); --dest must be IP:PORT' },
    transparent: { help: 'with --server: ask as a transparent HTTP listener behind original_dst' },
    address: {
      value: 'IP:PORT',
      help: 'with --transparent: the original destination the connection goes to',
    },
    gateway: { value: 'NAME', help: 'the EgressGateway the request comes through (x-portcullis-gateway)' },
    listener: { value: 'NAME', help: 'its listener (x-portcullis-listener)' },
    agent: { value: 'NAME', help: 'the agent name Envoy sets (x-portcullis-agent)' },
    key: { value: 'KEY', help: 'an agent key, sent as Proxy-Authorization: Bearer KEY (test keys only)' },
    principal: { value: 'URI', help: 'the mTLS principal of the caller (source.principal)' },
    source: { value: 'IP', help: 'the address of the caller (source.address)' },
    label: { value: 'k=v', repeatable: true, help: 'local only: what-if label on the agent' },
    namespace: { value: 'PATH', help: 'local only: what-if EgressNamespace path of the agent' },
    resolve: { value: 'NAME=IP[,IP]', repeatable: true, help: 'local only: fixed answer for a name lookup' },
    'dns-server': {
      value: 'HOST:PORT',
      repeatable: true,
      help: "local only: resolver for the lookups a decision needs (default the system's)",
    },
    json: { help: 'print the decision as one JSON object' },
  },
  notes: [
    'exit codes: 0 allow, 1 deny, 2 usage or policy error,',
    '            3 (--server) the server was unreachable, timed out or answered with a gRPC error',
    'examples:',
    '  portcullis check --policy examples/policies --dest api.anthropic.com:443',
    '  portcullis check --server 127.0.0.1:9191 --dest pastebin.com:443 --json',
    '  portcullis check --server 127.0.0.1:9191 --dest 10.20.1.5:5432 --l4 --listener tcp-out',
  ],
};

const OPTIONS = {
  policy: { type: 'string', multiple: true },
  dest: { type: 'string' },
  protocol: { type: 'string', default: 'tcp' },
  agent: { type: 'string' },
  label: { type: 'string', multiple: true },
  namespace: { type: 'string' },
  principal: { type: 'string' },
  source: { type: 'string' },
  resolve: { type: 'string', multiple: true },
  'dns-server': { type: 'string', multiple: true },
  sni: { type: 'string' },
  method: { type: 'string' },
  gateway: { type: 'string' },
  listener: { type: 'string' },
  json: { type: 'boolean', default: false },
  key: { type: 'string' },
  server: { type: 'string' },
  'timeout-ms': { type: 'string' },
  l4: { type: 'boolean' },
  transparent: { type: 'boolean' },
  address: { type: 'string' },
} as const;

/** Flags that only shape the question Envoy would send to a running server. */
const SERVER_ONLY = ['timeout-ms', 'l4', 'transparent', 'address'] as const;

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : String(err));
  }
}

function parseLabels(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--label wants key=value, got "${pair}"`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/**
 * The request `check` asks about, built as the admin dry run builds it: a URL is a plain HTTP
 * request; `host:port` with `--method` is shaped like the HTTP filter's (CONNECT authority, or a
 * Host header for other methods), and without, like a CONNECT, the most common explicit-proxy
 * case. `--sni` adds a TLS server name as the network filter would.
 */
function buildRequest(v: ReturnType<typeof parse>): EgressRequest {
  if (!v.dest) throw usageError('--dest HOST:PORT or URL is required');
  const built = requestFromTarget(
    {
      destination: v.dest,
      protocol: v.protocol,
      ...(v.method !== undefined ? { method: v.method } : {}),
      ...(v.sni !== undefined ? { sni: v.sni } : {}),
      ...(v.gateway !== undefined ? { gateway: v.gateway } : {}),
      ...(v.listener !== undefined ? { listener: v.listener } : {}),
      agent: {
        ...(v.agent !== undefined ? { name: v.agent } : {}),
        ...(v.key !== undefined ? { key: v.key } : {}),
        ...(v.principal !== undefined ? { principal: v.principal } : {}),
        ...(v.source !== undefined ? { source: v.source } : {}),
      },
    },
    'cli',
  );
  if (built.ok) return built.request;
  throw usageError(built.field === 'protocol' ? '--protocol must be tcp or udp' : `--dest ${built.message}`);
}

/**
 * What-if identity: the agent as `serve` would identify it (EgressAgent resources by name, principal
 * or source address), with `--label` and `--namespace` layered on top.
 */
function whatIfAgent(v: ReturnType<typeof parse>): DecideOverrides['agent'] {
  return {
    labels: parseLabels(v.label ?? []),
    ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
  };
}

/** `--resolve api.example.com=10.0.0.5,10.0.0.6`: fixed answers, so `check` needs no DNS. */
function parseResolve(entries: readonly string[]): Map<string, IpAddress[]> {
  const answers = new Map<string, IpAddress[]>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const name = normalizeHostname(entry.slice(0, Math.max(0, eq)));
    const ips = entry
      .slice(eq + 1)
      .split(',')
      .map((a) => parseIpLiteral(a.trim()));
    if (eq <= 0 || !name.ok || ips.some((ip) => ip === undefined)) {
      throw usageError(`--resolve wants NAME=IP[,IP…], got "${entry}"`);
    }
    answers.set(name.host, ips as IpAddress[]);
  }
  return answers;
}

/**
 * `portcullis check`: one decision, explained. Exit 0 allow, 1 deny, 2 usage or policy error;
 * with `--server`, 3 when the server gives no answer (src/cli/check-remote.ts).
 */
export async function checkCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const v = parse(args);
  if (v.server !== undefined) return checkAgainstServer({ ...v, server: v.server }, io);
  const serverOnly = SERVER_ONLY.find((flag) => v[flag] !== undefined);
  if (serverOnly !== undefined) throw usageError(`--${serverOnly} goes with --server HOST:PORT`);
  if (!v.policy || v.policy.length === 0) throw usageError('--policy PATH or --server HOST:PORT is required');
  const request = buildRequest(v);
  const fixedAnswers = parseResolve(v.resolve ?? []);
  const { resources, issues } = await loadPolicies(v.policy);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    for (const issue of errors) io.err(formatIssue(issue));
    io.err(`policy has ${errors.length} error(s); nothing was decided`);
    return 2;
  }
  const snapshot = compileSnapshot(resources, { version: 1, createdAt: new Date().toISOString() });
  const servers = v['dns-server'] ?? [];
  const resolver = createNameResolver(servers.length > 0 ? { servers } : {});
  const decider = createDecider({ snapshots: { current: () => snapshot }, resolver });
  const decision = await decider.decide(request, { agent: whatIfAgent(v), answers: fixedAnswers });
  if (v.json) io.out(JSON.stringify(decisionToJson(decision)));
  else for (const line of formatDecision(decision)) io.out(line);
  return decision.verdict === 'allow' ? 0 : 1;
}
