/**
 * The DNS layer against `decide`, on random policies (test/support/random-policy.ts): the resolver
 * may only refuse or strip what no connection could use anyway.
 *
 *   (a) a refused query (or CNAME-chain name): for every agent of the audience, every CONNECT to
 *       the name and every L4 connection carrying it as a DNS binding is denied, on every probe port;
 *   (b) a stripped answer address: for every agent of the audience, every L4 connection to that
 *       address, with the answer's name as its binding, is denied, on every probe port.
 *
 * For one agent the audience is that agent; for a trusted proxy ('any-agent') it is every agent of
 * the case. The converse is not a property: the resolver forwards whatever an address rule might
 * still allow and leaves the rest to the Check.
 *
 * Policies have one enforcing gateway with whole-gateway TCP routes (or none). Deny policies that
 * name a listener or only UDP, and shadow gateways, are where the resolver deliberately errs on the
 * closed side (docs/dns.md "How the DNS layer asks the policy"), so they are not generated.
 *
 * The seed is fixed so a run is reproducible; PORTCULLIS_PROPERTY_SEED picks another.
 */
import { createRandom } from '../../test/support/random';
import { PROBE_PORTS, randomPolicyCase, type PolicyCase } from '../../test/support/random-policy';
import { request } from '../../test/support/policy';
import { isGuardedIp } from '../compile/guarded-ranges';
import { embeddedIpv4 } from '../policy/ip';
import type { IpAddress } from '../policy/values';
import { decide } from './decide';
import { dnsAnswerVerdict, dnsChainVerdict, dnsQueryVerdict, type DnsAudience } from './dns-policy';
import type { Agent, EgressRequest } from './types';

const POLICIES = 300;
const NAMES_PER_POLICY = 6;
const ADDRESSES_PER_POLICY = 6;
/** Addresses an L4 connection carrying a refused name is tried on. */
const L4_ADDRESSES_PER_NAME = 3;
const SEED = Number(process.env['PORTCULLIS_PROPERTY_SEED'] ?? 0x13a);

const hostPort = (ip: IpAddress, port: number): string =>
  ip.family === 6 ? `[${ip.text}]:${port}` : `${ip.text}:${port}`;

interface Probe {
  readonly description: string;
  readonly request: EgressRequest;
  readonly binding?: { readonly ip: IpAddress; readonly name: string };
}

function connect(name: string, port: number): Probe {
  return { description: `CONNECT ${name}:${port}`, request: request({ connect: `${name}:${port}` }) };
}

function l4(ip: IpAddress, port: number, name: string): Probe {
  return {
    description: `L4 ${hostPort(ip, port)} bound to ${name}`,
    request: request({ l4: hostPort(ip, port) }),
    binding: { ip, name },
  };
}

/** The first probe some agent gets let through, as `agent: probe (reason)`; undefined when none. */
function firstAllowed(c: PolicyCase, agents: readonly Agent[], probes: readonly Probe[]): string | undefined {
  for (const agent of agents) {
    for (const probe of probes) {
      const { binding } = probe;
      const bindings = binding && ((ip: IpAddress) => (ip.text === binding.ip.text ? [binding.name] : []));
      const d = decide(c.snapshot, probe.request, agent, { id: 'dns-differential', bindings });
      if (d.verdict === 'allow') return `${agent.name}: ${probe.description} (${d.reasonCode}: ${d.reason})`;
    }
  }
  return undefined;
}

function audiences(c: PolicyCase): { audience: DnsAudience; label: string; agents: readonly Agent[] }[] {
  return [
    ...c.agents.map((agent) => ({ audience: { agent }, label: agent.name, agents: [agent] })),
    { audience: 'any-agent' as const, label: 'any-agent', agents: c.agents },
  ];
}

function describeAgents(agents: readonly Agent[]): string {
  return agents
    .map(
      (a) =>
        `  ${a.name}: namespace "${a.namespace}", labels ${JSON.stringify(a.labels)}, authenticated ${a.authenticated}`,
    )
    .join('\n');
}

describe('the DNS layer refuses and strips only what decide() denies (differential)', () => {
  it(`holds for ${POLICIES} random policies (seed ${SEED})`, () => {
    const random = createRandom(SEED);
    const failures: string[] = [];
    const seen = {
      refusedByName: 0,
      refusedByRoutes: 0,
      allowed: 0,
      strippedGuarded: 0,
      strippedOther: 0,
      kept: 0,
    };
    const fail = (c: PolicyCase, index: number, what: string): void => {
      if (failures.length < 3) {
        failures.push(
          `policy ${index} (PORTCULLIS_PROPERTY_SEED=${SEED}): ${what}\nagents:\n${describeAgents(c.agents)}\n---\n${c.yaml}`,
        );
      }
    };

    for (let i = 0; i < POLICIES; i++) {
      const c = randomPolicyCase(random, { names: NAMES_PER_POLICY, addresses: ADDRESSES_PER_POLICY });
      for (const { audience, label, agents } of audiences(c)) {
        // (a) queries and CNAME-chain names.
        for (const name of c.names) {
          const query = dnsQueryVerdict(c.snapshot, audience, name);
          const chain = dnsChainVerdict(c.snapshot, audience, name);
          if (chain === 'refuse' && query !== 'refuse') {
            fail(c, i, `${label}: ${name} is refused in a CNAME chain but not as a query`);
          }
          if (query === 'allow') {
            seen.allowed++;
            continue;
          }
          if (chain === 'refuse') seen.refusedByName++;
          else seen.refusedByRoutes++;
          const probes = PROBE_PORTS.flatMap((port) => [
            connect(name, port),
            ...c.addresses.slice(0, L4_ADDRESSES_PER_NAME).map((ip) => l4(ip, port, name)),
          ]);
          const allowed = firstAllowed(c, agents, probes);
          if (allowed !== undefined) fail(c, i, `${label}: query ${name} refused, yet ${allowed}`);
        }
        // (b) answer addresses.
        for (const name of c.names) {
          for (const ip of c.addresses) {
            if (dnsAnswerVerdict(c.snapshot, audience, [name], ip) === 'keep') {
              seen.kept++;
              continue;
            }
            const inner = ip.family === 6 ? embeddedIpv4(ip) : undefined;
            if (isGuardedIp(ip) || (inner !== undefined && isGuardedIp(inner))) seen.strippedGuarded++;
            else seen.strippedOther++;
            const allowed = firstAllowed(
              c,
              agents,
              PROBE_PORTS.map((port) => l4(ip, port, name)),
            );
            if (allowed !== undefined)
              fail(c, i, `${label}: answer ${name} → ${ip.text} stripped, yet ${allowed}`);
          }
        }
      }
    }

    expect(failures).toEqual([]);
    // Every branch must be exercised, or the properties say nothing.
    expect(seen.refusedByName).toBeGreaterThan(100);
    expect(seen.refusedByRoutes).toBeGreaterThan(100);
    expect(seen.allowed).toBeGreaterThan(1000);
    expect(seen.strippedGuarded).toBeGreaterThan(100);
    expect(seen.strippedOther).toBeGreaterThan(100);
    expect(seen.kept).toBeGreaterThan(1000);
  });
});
