/**
 * DNS snooping end to end: the real service with its resolver on loopback, a test upstream DNS
 * server, and Envoy-shaped network-filter Checks. A host-name rule allows raw TCP only after this
 * agent resolved the name through Portcullis; answers into guarded ranges never reach the agent.
 */
import { testConfig } from '../support/service';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { startService, type RunningService } from '../../src/cli/serve';
import { createLogger } from '../../src/telemetry/logger';
import { createTestUpstream, query, udpQuery, type TestUpstream } from '../support/dns-upstream';
import { connectAsEnvoy, l4Request, type EnvoyLikeClient } from '../support/envoy-client';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners: [{ name: tcp-out, protocol: TCP }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: pg }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches: [{ destinationHostnames: [pg.prod.internal, metadata-proxy.example], ports: [{ port: 5432 }] }]
`;

const ZONE: Record<string, Answer[]> = {
  'pg.prod.internal': [
    { type: 'CNAME', name: 'pg.prod.internal', ttl: 300, data: 'pg-primary.prod.internal' },
    { type: 'A', name: 'pg-primary.prod.internal', ttl: 300, data: '10.50.0.7' },
  ],
  'metadata-proxy.example': [
    { type: 'A', name: 'metadata-proxy.example', ttl: 300, data: '169.254.169.254' },
  ],
};

function zone(q: DecodedPacket): Packet {
  const answers = ZONE[q.questions?.[0]?.name.toLowerCase() ?? ''];
  return answers ? { answers } : { flags: dnsPacket.RECURSION_AVAILABLE | 3 };
}

let dir: string;
let upstream: TestUpstream;
let service: RunningService;
let envoy: EnvoyLikeClient;
const tcpOut = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'tcp-out' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-dns-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  upstream = await createTestUpstream(zone);
  service = await startService(
    testConfig([dir], {
      dns: {
        address: '127.0.0.1',
        port: 0,
        upstreams: [upstream.address],
        reject: 'refused',
        minTtlSeconds: 60,
        maxTtlSeconds: 3600,
        proxySources: [],
      },
    }),
    createLogger('silent'),
  );
  envoy = connectAsEnvoy(service.grpcPort);
});

afterAll(async () => {
  envoy.close();
  await service.close();
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An L4 CheckRequest from a given agent address. */
function fromAgent(agentIp: string, dst: string, port: number) {
  const req = l4Request(dst, port);
  return {
    attributes: {
      ...req.attributes,
      source: { address: { socket_address: { address: agentIp, port_value: 40123 } } },
    },
  };
}

async function resolve(name: string): Promise<DecodedPacket> {
  const reply = await udpQuery(service.dnsPort!, query(name));
  if (!reply) throw new Error(`no DNS answer for ${name}`);
  return dnsPacket.decode(reply);
}

it('allows raw TCP by name only after the agent resolved the name through Portcullis', async () => {
  const before = await envoy.check(fromAgent('127.0.0.1', '10.50.0.7', 5432), tcpOut);
  expect(before.status?.code).toBe(7);

  const answer = await resolve('pg.prod.internal');
  expect((answer as { rcode?: string }).rcode).toBe('NOERROR');
  expect(answer.answers?.map((a) => a.type)).toEqual(['CNAME', 'A']);

  const after = await envoy.check(fromAgent('127.0.0.1', '10.50.0.7', 5432), tcpOut);
  expect(after.status?.code ?? 0).toBe(0);
  expect(after.dynamic_metadata?.fields?.['reason_code']).toMatchObject({ stringValue: 'route_allowed' });
});

it("does not let one agent's binding speak for another agent", async () => {
  await resolve('pg.prod.internal');
  const other = await envoy.check(fromAgent('127.0.0.2', '10.50.0.7', 5432), tcpOut);
  expect(other.status?.code).toBe(7);
});

it('refuses a name this agent may never reach', async () => {
  const answer = await resolve('exfil.example');
  expect((answer as { rcode?: string }).rcode).toBe('REFUSED');
  expect(upstream.received.some((q) => q.packet.questions?.[0]?.name === 'exfil.example')).toBe(false);
});

it('strips an allowed name whose answer points at the metadata endpoint', async () => {
  const answer = await resolve('metadata-proxy.example');
  expect((answer as { rcode?: string }).rcode).toBe('REFUSED');
  expect(answer.answers ?? []).toEqual([]);
  const check = await envoy.check(fromAgent('127.0.0.1', '169.254.169.254', 5432), tcpOut);
  expect(check.status?.code).toBe(7);
});
