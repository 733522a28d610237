/**
 * Checked is dialled, end to end over real gRPC and real DNS sockets on loopback: the ways around the
 * boundary found by trying, each as a named regression case. The service runs with its DNS server in
 * front of a scriptable authoritative stand-in (which can answer slowly, fail, or rebind), so every
 * lookup a decision makes goes through the same resolver and cache that agents and Envoy use.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import { startService, type RunningService } from '../../src/cli/serve';
import { parseCidr } from '../../src/policy/cidr';
import type { CheckRequest, CheckResponse } from '../../src/grpc/protos';
import { createLogger } from '../../src/telemetry/logger';
import { createTestUpstream, query, type TestUpstream } from '../support/dns-upstream';
import {
  connectAsEnvoy,
  connectRequest,
  l4Request,
  transparentGetRequest,
  type EnvoyLikeClient,
} from '../support/envoy-client';
import { testConfig } from '../support/service';
import { zoneScript } from '../support/dns-zone';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners:
    - { name: http-out, protocol: HTTP }
    - { name: tls-out, protocol: TLS }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: internal-web }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationCIDRs: [100.70.0.0/16], ports: [{ port: 8080 }] }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: llm }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [api.openai.com, allowed.example, rebind.example, internal.example, "**.corp.example"]
          ports: [{ port: 443 }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: ci-only }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [build.internal]
          ports: [{ port: 443 }]
          sourceAgents: { matchLabels: { team: ci } }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressFirewallPolicy
metadata: { name: ssrf-guard }
spec:
  workspaceDefault: true
  defaultVerdict: allow
  rules:
    - label: deny private ranges
      stage: egress
      verdict: deny
      egress: { deny: [169.254.169.254, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16] }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: global }
spec:
  block: [{ domain: blocked.example, reason: threat-intel }]
`;

/** The ext_authz call metadata Envoy sets on each listener. */
const HTTP_OUT = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'http-out' };
const TLS_OUT = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'tls-out' };
const TRANSPARENT = { ...HTTP_OUT, 'x-portcullis-mode': 'transparent' };

const OPENAI = '162.159.140.245';
const ZONE = {
  'api.openai.com': OPENAI,
  'allowed.example': '93.184.216.34',
  'build.internal': '203.0.113.40',
  'internal.example': '10.1.2.3',
};

/** What the authoritative stand-in does; tests swap behaviours per case. */
type Behaviour = (q: DecodedPacket) => Packet | 'drop' | Promise<Packet | 'drop'>;
const zone = zoneScript(ZONE, 0);
let behaviour: Behaviour = zone;

let dir: string;
let upstream: TestUpstream;
let service: RunningService;
let envoy: EnvoyLikeClient;

/** Envoy's own resolver asks from this address (`--dns-proxy-source`); agents ask from 127.0.0.1. */
const ENVOY_ADDRESS = '127.0.0.2';

/** The service on `policy` with its DNS server in front of the stand-in, Envoy's address trusted. */
async function serveWithDns(
  policy: string,
  prefix: string,
): Promise<{ service: RunningService; dir: string }> {
  const at = mkdtempSync(path.join(tmpdir(), prefix));
  writeFileSync(path.join(at, 'policy.yaml'), policy);
  const proxy = parseCidr(`${ENVOY_ADDRESS}/32`);
  const running = await startService(
    testConfig([at], {
      // Generous, so a loaded machine never turns a lookup into a time-out; the slow-answer case
      // drops the query, so it still times out (after this long).
      lookupTimeoutMs: 1000,
      dns: {
        address: '127.0.0.1',
        port: 0,
        upstreams: [upstream.address],
        reject: 'refused',
        minTtlSeconds: 60,
        maxTtlSeconds: 3600,
        proxySources: proxy.ok ? [proxy.cidr] : [],
      },
    }),
    createLogger('silent'),
  );
  return { service: running, dir: at };
}

beforeAll(async () => {
  upstream = await createTestUpstream((q) => behaviour(q));
  ({ service, dir } = await serveWithDns(POLICY, 'portcullis-dialled-'));
  envoy = connectAsEnvoy(service.grpcPort);
});

afterAll(async () => {
  envoy.close();
  await service.close();
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  behaviour = zone;
});

const field = (res: CheckResponse, key: string) =>
  (res.dynamic_metadata?.fields?.[key] as { stringValue?: string } | undefined)?.stringValue;

async function verdict(req: CheckRequest, md: Record<string, string>): Promise<[number, string | undefined]> {
  const res = await envoy.check(req, md);
  return [res.status?.code ?? 0, field(res, 'reason_code')];
}

/** The L4 request of `l4Request`, with the SNI in `destination.service` instead of `tls_session`. */
function l4WithService(address: string, port: number, service: string): CheckRequest {
  const req = l4Request(address, port);
  return { attributes: { ...req.attributes, destination: { ...req.attributes?.destination, service } } };
}

/** One DNS query over UDP from a chosen loopback source address, bounded by a timeout. */
function askFrom(source: string, name: string, port = service.dnsPort!): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no DNS answer for ${name} within 5 s`));
    }, 5000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(msg));
    });
    socket.bind(0, source, () => socket.send(query(name), port, '127.0.0.1'));
  });
}

const rcode = (p: DecodedPacket) => (p as { rcode?: string }).rcode;
const addresses = (p: DecodedPacket) =>
  (p.answers ?? []).filter((a) => a.type === 'A').map((a) => (a as { data: string }).data);

describe('1. transparent HTTP judges the dialled port, not the Host port', () => {
  it.each([
    ['the Host names the allowed port, the connection goes to 22', '100.70.1.1:8080', '100.70.1.1', 22],
    ['another name in the Host', 'evil.com:8080', '100.70.1.1', 22],
    ['an allowed name and port in the Host, port 25 dialled', 'api.openai.com:443', OPENAI, 25],
  ])('%s → denied', async (_n, host, address, port) => {
    const res = await envoy.check(transparentGetRequest(host, address, port), TRANSPARENT);
    expect(res.status?.code).toBe(7);
  });

  it('still allows the dialled address and port the route names', async () => {
    expect(await verdict(transparentGetRequest('100.70.1.1:8080', '100.70.1.1', 8080), TRANSPARENT)).toEqual([
      0,
      'route_allowed',
    ]);
  });
});

describe('2. an allowed name does not open any address', () => {
  it.each([
    ['L4, SNI api.openai.com to 6.6.6.6', l4Request('6.6.6.6', 443, 'api.openai.com'), TLS_OUT],
    [
      'L4, destination.service api.openai.com to 198.51.100.3',
      l4WithService('198.51.100.3', 443, 'api.openai.com'),
      TLS_OUT,
    ],
    [
      'transparent HTTP, Host api.openai.com to 6.6.6.6',
      transparentGetRequest('api.openai.com', '6.6.6.6', 443),
      TRANSPARENT,
    ],
  ] as const)('%s → name_unverified', async (_n, req, md) => {
    const res = await envoy.check(req, md);
    expect([res.status?.code, field(res, 'reason_code')]).toEqual([7, 'name_unverified']);
  });

  it('allows the name where Portcullis resolves it to the dialled address', async () => {
    expect(await verdict(l4Request(OPENAI, 443, 'api.openai.com'), TLS_OUT)).toEqual([0, 'route_allowed']);
    expect(await verdict(transparentGetRequest('api.openai.com', OPENAI, 443), TRANSPARENT)).toEqual([
      0,
      'route_allowed',
    ]);
  });

  it('names the claim, the address and what the lookup found in the reason', async () => {
    const res = await envoy.check(transparentGetRequest('api.openai.com', '6.6.6.6', 443), TRANSPARENT);
    const body = res.denied_response?.body ?? '';
    expect(body).toMatch(/api\.openai\.com \(Host\) is not proven for 6\.6\.6\.6/);
    expect(body).toMatch(/resolves to 162\.159\.140\.245, not 6\.6\.6\.6/);
  });

  it('denies when the lookup fails (SERVFAIL): the claim stays unproven', async () => {
    behaviour = () => ({ flags: dnsPacket.RECURSION_AVAILABLE | 2 });
    expect(await verdict(l4Request('198.51.100.99', 443, 'fresh-1.corp.example'), TLS_OUT)).toEqual([
      7,
      'name_unverified',
    ]);
  });
});

describe('3. a failed lookup where the addresses matter is a deny', () => {
  it.each([
    ['NXDOMAIN', (): Packet => ({ flags: dnsPacket.RECURSION_AVAILABLE | 3 })],
    ['SERVFAIL', (): Packet => ({ flags: dnsPacket.RECURSION_AVAILABLE | 2 })],
    ['an answer slower than the lookup bound', (): 'drop' => 'drop'],
  ] as const)('%s → resolution_failed', async (name, reply) => {
    behaviour = reply;
    // A name never asked before in this run, so no cached answer stands in for the failure.
    const host = `fresh-${name.length}.corp.example:443`;
    expect(await verdict(connectRequest(host), HTTP_OUT)).toEqual([7, 'resolution_failed']);
  });

  it('judges the addresses Envoy will receive, through the same cache (rebinding)', async () => {
    let asked = 0;
    behaviour = (q) => {
      asked++;
      const type = q.questions?.[0]?.type;
      // The first A answer is public; every later one would rebind into 10/8.
      const data = asked <= 2 ? '93.184.216.99' : '10.9.9.9';
      return type === 'A' ? { answers: [{ type: 'A', name: 'rebind.example', ttl: 0, data }] } : {};
    };
    expect(await verdict(connectRequest('rebind.example:443'), HTTP_OUT)).toEqual([0, 'route_allowed']);
    // Envoy's dynamic forward proxy now resolves the name through Portcullis: the same answer.
    const envoySees = await askFrom(ENVOY_ADDRESS, 'rebind.example');
    expect(addresses(envoySees)).toEqual(['93.184.216.99']);
  });

  it('strips an agent-facing answer its firewall policy denies, and the Check denies too', async () => {
    const agentSees = await askFrom('127.0.0.1', 'internal.example');
    expect(addresses(agentSees)).toEqual([]);
    expect(rcode(agentSees)).toBe('REFUSED');
    expect(await verdict(connectRequest('internal.example:443'), HTTP_OUT)).toEqual([
      7,
      'firewall_rule_denied',
    ]);
  });
});

describe('6. CNAME chains', () => {
  it('refuses an allowed name whose chain reaches a blocked name', async () => {
    behaviour = (q) => {
      const name = q.questions?.[0]?.name ?? '';
      return {
        answers: [
          { type: 'CNAME', name, ttl: 60, data: 'blocked.example' },
          { type: 'A', name: 'blocked.example', ttl: 60, data: '198.51.100.7' },
        ],
      };
    };
    const answer = await askFrom('127.0.0.1', 'allowed.example');
    expect(rcode(answer)).toBe('REFUSED');
    expect(answer.answers ?? []).toEqual([]);
  });
});

describe("7. Envoy's own queries (trusted proxy sources)", () => {
  // A gateway whose routes all name hosts, so a name no route names is refused to everyone.
  const NAMES_ONLY = POLICY.split('\n---\n')
    .filter((doc) => !doc.includes('name: internal-web'))
    .join('\n---\n');
  let names: RunningService;
  let namesDir: string;
  beforeAll(async () => {
    expect(NAMES_ONLY).not.toContain('internal-web');
    ({ service: names, dir: namesDir } = await serveWithDns(NAMES_ONLY, 'portcullis-dialled-names-'));
  });
  afterAll(async () => {
    await names?.close();
    rmSync(namesDir, { recursive: true, force: true });
  });

  it('answers Envoy a name only some agent may reach, and refuses it to an agent that may not', async () => {
    const envoyAnswer = await askFrom(ENVOY_ADDRESS, 'build.internal', names.dnsPort!);
    expect([rcode(envoyAnswer), addresses(envoyAnswer)]).toEqual(['NOERROR', ['203.0.113.40']]);
    const agentAnswer = await askFrom('127.0.0.1', 'build.internal', names.dnsPort!);
    expect(rcode(agentAnswer)).toBe('REFUSED');
  });

  it('still refuses Envoy a name no agent may reach', async () => {
    expect(rcode(await askFrom(ENVOY_ADDRESS, 'blocked.example', names.dnsPort!))).toBe('REFUSED');
    expect(rcode(await askFrom(ENVOY_ADDRESS, 'exfil.example', names.dnsPort!))).toBe('REFUSED');
  });

  it("strips from Envoy's answers only what no agent may reach", async () => {
    behaviour = (q) => ({
      answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 60, data: '169.254.169.254' }],
    });
    const answer = await askFrom(ENVOY_ADDRESS, 'api.openai.com', names.dnsPort!);
    expect([rcode(answer), addresses(answer)]).toEqual(['REFUSED', []]);
  });
});
