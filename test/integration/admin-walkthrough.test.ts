/**
 * The namespace walkthrough of docs/namespaces.md against `npm start`'s own setup: the quick-start
 * policy (examples/policies), the demo tokens (examples/admin-tokens.yaml), each curl call as the
 * README writes it (`-d` without a Content-Type, so curl labels the JSON as a form), and the Check
 * Envoy's example configuration sends (anonymous agent, gateway `agents`, listener `http-out`).
 *
 * Creating `prod/payments` narrows that namespace only: the anonymous agent (the root namespace,
 * which has no settings of its own) keeps reaching what the quick start allows.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { CheckResponse } from '../../src/grpc/protos';
import { startAdmin, tempDir, type AdminHarness, type CallOptions } from '../support/admin-api';
import { connectAsEnvoy, connectRequest, type EnvoyLikeClient } from '../support/envoy-client';

const ROOT = path.resolve(__dirname, '../..');
const DEMO_ADMIN = 'portcullis-demo-admin';
/** `curl -d` without `-H Content-Type`. */
const CURL_FORM = 'application/x-www-form-urlencoded';
/** What envoy/forward-proxy.yaml sets on every Check; it names no agent. */
const ENVOY_METADATA = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'http-out' };

let dataDir: string;
let h: AdminHarness;
let envoy: EnvoyLikeClient;

async function start(): Promise<void> {
  h = await startAdmin({
    policyDir: path.join(ROOT, 'examples/policies'),
    tokensFile: path.join(ROOT, 'examples/admin-tokens.yaml'),
    dataDir,
  });
  envoy = connectAsEnvoy(h.service.grpcPort);
}

async function stop(): Promise<void> {
  envoy.close();
  await h.close();
}

beforeAll(async () => {
  dataDir = tempDir('walkthrough');
  await start();
});
afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const curl = (method: string, url: string, body?: unknown) => {
  const options: CallOptions = { token: DEMO_ADMIN };
  return h.call(
    method,
    url,
    body === undefined ? options : { ...options, raw: JSON.stringify(body), contentType: CURL_FORM },
  );
};

const reasonOf = (res: CheckResponse) =>
  (res.dynamic_metadata?.fields?.['reason_code'] as { stringValue?: string } | undefined)?.stringValue;

/** Verdict (0 allow, 7 deny) and reason code of one CONNECT by the anonymous agent. */
async function check(authority: string): Promise<[number, string | undefined]> {
  const res = await envoy.check(connectRequest(authority), ENVOY_METADATA);
  return [res.status?.code ?? 0, reasonOf(res)];
}

const dryRun = async (body: unknown) => {
  const res = await curl('POST', '/api/test', body);
  expect(res.status).toBe(200);
  return [res.body['verdict'], res.body['layer'], res.body['reasonCode']];
};

describe('the namespace walkthrough on the quick start', () => {
  it('starts from the quick start: api.anthropic.com allowed, pastebin.com denied', async () => {
    expect(await check('api.anthropic.com:443')).toEqual([0, 'route_allowed']);
    expect(await check('pastebin.com:443')).toEqual([7, 'deny_policy']);
  });

  it('blocks evil-c2.example for everyone', async () => {
    const res = await curl('POST', '/api/policy/egress/block', {
      domain: 'evil-c2.example',
      reason: 'threat-intel',
    });
    expect(res.status).toBe(201);
    expect(await dryRun({ destination: 'evil-c2.example:443' })).toEqual([
      'deny',
      'global',
      'global_blocked',
    ]);
    expect(await check('evil-c2.example:443')).toEqual([7, 'global_blocked']);
    expect(await check('api.anthropic.com:443')).toEqual([0, 'route_allowed']);
  });

  it('creates prod/payments, which narrows prod/payments and leaves the anonymous agent alone', async () => {
    const res = await curl('POST', '/api/fleet/namespaces', {
      name: 'prod/payments',
      allowed_domains: ['api.stripe.com', 'api.bank.eu'],
    });
    expect(res.status).toBe(201);

    expect(await check('api.anthropic.com:443')).toEqual([0, 'route_allowed']);
    expect(await dryRun({ destination: 'api.anthropic.com:443' })).toEqual([
      'allow',
      'gateway',
      'route_allowed',
    ]);
    // An agent in prod/payments is judged by the namespace, after the gateway has allowed.
    expect(
      await dryRun({ agent: { namespace: 'prod/payments' }, destination: 'api.anthropic.com:443' }),
    ).toEqual(['deny', 'namespace', 'namespace_not_allowed']);
    // The namespace allows api.stripe.com, but no route of the gateway does: every layer must allow.
    expect(
      await dryRun({ agent: { namespace: 'prod/payments' }, destination: 'api.stripe.com:443' }),
    ).toEqual(['deny', 'gateway', 'gateway_default_deny']);
  });

  it('keeps that after a restart on the same data directory', async () => {
    await stop();
    await start();
    expect(await check('api.anthropic.com:443')).toEqual([0, 'route_allowed']);
    expect(await check('evil-c2.example:443')).toEqual([7, 'global_blocked']);
  });

  it('undoes the walkthrough with the API', async () => {
    expect((await curl('DELETE', '/api/fleet/namespaces/prod/payments')).status).toBe(200);
    expect((await curl('DELETE', '/api/policy/egress/block?domain=evil-c2.example')).status).toBe(200);
    const namespaces = await curl('GET', '/api/fleet/namespaces');
    expect(namespaces.body).toEqual({ namespaces: [] });
    expect(await check('evil-c2.example:443')).toEqual([7, 'gateway_default_deny']);
    expect(
      await dryRun({ agent: { namespace: 'prod/payments' }, destination: 'api.anthropic.com:443' }),
    ).toEqual(['allow', 'gateway', 'route_allowed']);
  });
});
