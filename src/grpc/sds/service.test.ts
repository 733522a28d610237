/**
 * The SecretDiscoveryService over real gRPC on loopback, with a real CA, minter and cache. Secrets
 * are decoded with Envoy's own Secret message (the upstream protos in @grpc/grpc-js-xds), so what is
 * checked is what Envoy would read. Time is an injected clock: rotation is tested by moving it.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

import { lookupMessage } from '../../../test/support/envoy-api';
import { generateCa, loadCa, type CertificateAuthority } from '../../tls/ca';
import { createCertificateCache, type CertificateCache } from '../../tls/certificate-cache';
import { createCertificateMinter, type CertificateMinter } from '../../tls/minter';
import type { SdsClock } from './sds-clock';
import { SECRET_TYPE_URL, secretDiscoveryServiceDefinition } from './sds-protos';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
  ReceivedAny,
} from './sds-protos';
import { createSecretDiscoveryService, type SecretDiscoveryOptions } from './service';

const LIFETIME = 15 * 60_000;
const START = Date.parse('2026-06-01T10:00:00Z');

// ---- a clock the test moves ---------------------------------------------------------------------

interface ManualClock extends SdsClock {
  advance(ms: number): void;
  pending(): number;
}

function manualClock(start: number): ManualClock {
  let now = start;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    setTimer(fn, delayMs) {
      const timer = { at: now + delayMs, fn, live: true };
      timers.push(timer);
      return () => {
        timer.live = false;
      };
    },
    advance(ms) {
      now += ms;
      for (const timer of timers) {
        if (timer.live && timer.at <= now) {
          timer.live = false;
          timer.fn();
        }
      }
    },
    pending: () => timers.filter((t) => t.live).length,
  };
}

// ---- the service under test ---------------------------------------------------------------------

let ca: CertificateAuthority;
let caCert: X509Certificate;

beforeAll(async () => {
  const made = await generateCa({ hostname: 'test', now: START - 24 * 3600_000 });
  ca = await loadCa({
    certificatePem: made.certificatePem,
    privateKeyPem: made.privateKeyPem,
    certificateSource: 'ca.crt',
    keySource: 'ca.key',
    now: START,
  });
  caCert = new X509Certificate(made.certificatePem);
});

interface Harness {
  readonly port: number;
  readonly clock: ManualClock;
  readonly cache: CertificateCache;
  readonly mints: string[];
  readonly authorized: string[];
  readonly refused: { name: string; reason: string; gateway: string | undefined }[];
  readonly errors: string[];
  readonly service: ReturnType<typeof createSecretDiscoveryService>;
  /** Names the policy refuses; change it to change the policy. */
  readonly deny: Set<string>;
  /** While set, every mint waits for `releaseMints()`. */
  holdMints(): void;
  releaseMints(): void;
  stop(): Promise<void>;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

async function start(
  overrides: Partial<Pick<SecretDiscoveryOptions, 'maxNamesPerStream' | 'maxStreams'>> & {
    cacheEntries?: number;
  } = {},
): Promise<Harness> {
  const clock = manualClock(START);
  const minter: CertificateMinter = await createCertificateMinter({
    ca,
    lifetimeMs: LIFETIME,
    clock: clock.now,
  });
  const mints: string[] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const counting = {
    async mint(name: string) {
      mints.push(name);
      if (gate !== undefined) await gate;
      return minter.mint(name);
    },
  };
  const cache = createCertificateCache({
    minter: counting,
    clock: clock.now,
    maxEntries: overrides.cacheEntries ?? 100,
  });
  const deny = new Set(['denied.example']);
  const authorized: string[] = [];
  const refused: Harness['refused'] = [];
  const errors: string[] = [];
  const service = createSecretDiscoveryService({
    mint: (name) => cache.get(name),
    authorize(name) {
      authorized.push(name);
      return deny.has(name) ? { ok: false, reason: `policy denies ${name}` } : { ok: true };
    },
    onRefused(name, reason, context) {
      const gateway = context.metadata.get('x-portcullis-gateway')[0];
      refused.push({ name, reason, gateway: typeof gateway === 'string' ? gateway : undefined });
    },
    onError: (err) => errors.push(err instanceof Error ? err.message : String(err)),
    clock,
    ...(overrides.maxNamesPerStream === undefined ? {} : { maxNamesPerStream: overrides.maxNamesPerStream }),
    ...(overrides.maxStreams === undefined ? {} : { maxStreams: overrides.maxStreams }),
  });
  const server = new grpc.Server();
  server.addService(service.definition, service.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const clients: grpc.Client[] = [];
  const harness: Harness = {
    port,
    clock,
    cache,
    mints,
    authorized,
    refused,
    errors,
    service,
    deny,
    holdMints() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    releaseMints() {
      gate = undefined;
      open?.();
    },
    async stop() {
      harness.releaseMints();
      service.close();
      for (const c of clients) c.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
  openClients.set(harness, clients);
  harnesses.push(harness);
  return harness;
}

// ---- a client that opens streams the way Envoy does ---------------------------------------------

const SdsClient = grpc.makeGenericClientConstructor(
  secretDiscoveryServiceDefinition,
  'SecretDiscoveryService',
);
const openClients = new Map<Harness, grpc.Client[]>();

interface Stream<Req, Res> {
  send(request: Req): void;
  /** The next response not yet read; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Res>;
  /** Fails if a response arrives within `ms` (the server must stay silent). */
  quiet(ms?: number): Promise<void>;
  status(timeoutMs?: number): Promise<grpc.StatusObject>;
  end(): void;
}

function open<Req, Res>(
  h: Harness,
  method: 'DeltaSecrets' | 'StreamSecrets',
  gateway = 'agents',
): Stream<Req, Res> {
  const client = new SdsClient(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure());
  openClients.get(h)!.push(client);
  const metadata = new grpc.Metadata();
  metadata.set('x-portcullis-gateway', gateway);
  const call = (client[method] as (md: grpc.Metadata) => grpc.ClientDuplexStream<Req, Res>)(metadata);
  const responses: Res[] = [];
  let read = 0;
  let ended: grpc.StatusObject | undefined;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  call.on('data', (r: Res) => {
    responses.push(r);
    wake();
  });
  call.on('status', (s: grpc.StatusObject) => {
    ended = s;
    wake();
  });
  call.on('error', () => undefined);
  const until = <T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const value = ready();
        if (value === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    send: (request) => call.write(request),
    next: (timeoutMs = 3000) =>
      until(() => (read < responses.length ? responses[read++] : undefined), timeoutMs, 'response'),
    async quiet(ms = 150) {
      const before = responses.length;
      await new Promise((r) => setTimeout(r, ms));
      expect(responses.slice(before)).toEqual([]);
    },
    status: (timeoutMs = 3000) => until(() => ended, timeoutMs, 'status'),
    end: () => call.end(),
  };
}

type Delta = Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse<ReceivedAny>>;
type Sotw = Stream<DiscoveryRequest, DiscoveryResponse<ReceivedAny>>;

const delta = (h: Harness, gateway?: string): Delta => open(h, 'DeltaSecrets', gateway);
const sotw = (h: Harness): Sotw => open(h, 'StreamSecrets');

// ---- reading a secret as Envoy would -----------------------------------------------------------

interface DecodedSecret {
  readonly name: string;
  readonly chain: X509Certificate[];
  readonly key: string;
}

function decodeSecret(any: ReceivedAny | undefined): DecodedSecret {
  expect(any?.type_url).toBe(SECRET_TYPE_URL);
  const type = lookupMessage('envoy.extensions.transport_sockets.tls.v3.Secret')!;
  const secret = type.toObject(type.decode(any!.value!), { bytes: String }) as {
    name: string;
    tls_certificate: { certificate_chain: { inline_bytes: string }; private_key: { inline_bytes: string } };
  };
  const pem = Buffer.from(secret.tls_certificate.certificate_chain.inline_bytes, 'base64').toString('utf8');
  const chain = pem
    .split(/(?<=-----END CERTIFICATE-----\n)/)
    .filter((p) => p.includes('BEGIN'))
    .map((p) => new X509Certificate(p));
  const key = Buffer.from(secret.tls_certificate.private_key.inline_bytes, 'base64').toString('utf8');
  return { name: secret.name, chain, key };
}

function expectValidLeaf(secret: DecodedSecret, now: number): X509Certificate {
  const [leaf, issuer] = secret.chain;
  expect(issuer!.fingerprint256).toBe(caCert.fingerprint256);
  expect(leaf!.verify(caCert.publicKey)).toBe(true);
  expect(leaf!.checkPrivateKey(createPrivateKey(secret.key))).toBe(true);
  expect(Date.parse(leaf!.validFrom)).toBeLessThanOrEqual(now - 4 * 60_000);
  expect(Math.abs(Date.parse(leaf!.validTo) - (now + LIFETIME))).toBeLessThanOrEqual(1000);
  // The CA key is never served: the key in the secret is not the CA's.
  expect(caCert.checkPrivateKey(createPrivateKey(secret.key))).toBe(false);
  return leaf!;
}

const subscribe = (...names: string[]): DeltaDiscoveryRequest => ({
  type_url: SECRET_TYPE_URL,
  resource_names_subscribe: names,
});

// ---- DeltaSecrets -------------------------------------------------------------------------------

describe('DeltaSecrets', () => {
  it('answers a subscription with a certificate that verifies against the CA', async () => {
    const h = await start();
    const s = delta(h);
    s.send({ node: { id: 'envoy-1' }, ...subscribe('API.example.com') });
    const response = await s.next();
    expect(response.type_url).toBe(SECRET_TYPE_URL);
    expect(response.nonce).toMatch(/^\d+$/);
    expect(response.removed_resources ?? []).toEqual([]);
    expect(response.resources).toHaveLength(1);
    const resource = response.resources![0]!;
    // Envoy matches on the name as it asked, case included.
    expect(resource.name).toBe('API.example.com');
    const secret = decodeSecret(resource.resource);
    expect(secret.name).toBe('API.example.com');
    const leaf = expectValidLeaf(secret, START);
    expect(leaf.checkHost('api.example.com')).toBe('api.example.com');
    expect(resource.version?.toUpperCase()).toBe(leaf.serialNumber);
    // The TTL ends before the leaf does.
    const ttlMs = Number(resource.ttl!.seconds) * 1000;
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThan(Date.parse(leaf.validTo) - START);
  });

  it('gives an IP SNI an IP SAN', async () => {
    const h = await start();
    const s = delta(h);
    s.send(subscribe('192.0.2.10'));
    const leaf = expectValidLeaf(decodeSecret((await s.next()).resources![0]!.resource), START);
    expect(leaf.subjectAltName).toBe('IP Address:192.0.2.10');
    expect(leaf.checkIP('192.0.2.10')).toBe('192.0.2.10');
  });

  it('removes a refused name (so Envoy fails the waiting handshake) and reports the refusal', async () => {
    const h = await start();
    const s = delta(h, 'agents');
    s.send(subscribe('ok.example', 'denied.example', '*.wild.example'));
    const response = await s.next();
    expect(response.resources!.map((r) => r.name)).toEqual(['ok.example']);
    expect([...response.removed_resources!].sort()).toEqual(['*.wild.example', 'denied.example']);
    expect(h.refused).toEqual(
      expect.arrayContaining([
        { name: 'denied.example', reason: 'policy denies denied.example', gateway: 'agents' },
        { name: '*.wild.example', reason: expect.stringMatching(/wildcard/) as string, gateway: 'agents' },
      ]),
    );
    // A name that is not a name never reaches the policy, and nothing is minted for a refused one.
    expect(h.authorized.sort()).toEqual(['denied.example', 'ok.example']);
    expect(h.mints).toEqual(['ok.example']);
  });

  it('stays silent on an ACK, reports a NACK without resending, and keeps serving', async () => {
    const h = await start();
    const s = delta(h);
    s.send(subscribe('a.example'));
    const first = await s.next();
    s.send({ type_url: SECRET_TYPE_URL, response_nonce: first.nonce! });
    await s.quiet();
    s.send({
      type_url: SECRET_TYPE_URL,
      response_nonce: first.nonce!,
      error_detail: { code: 3, message: 'bad key' },
    });
    await s.quiet();
    expect(h.errors).toEqual([`Envoy rejected SDS response ${first.nonce!}: bad key`]);
    s.send(subscribe('b.example'));
    const next = await s.next();
    expect(next.resources!.map((r) => r.name)).toEqual(['b.example']);
    expect(next.nonce).not.toBe(first.nonce);
  });

  it('pushes a new certificate at two thirds of the lifetime, and none after an unsubscribe', async () => {
    const h = await start();
    const s = delta(h);
    s.send(subscribe('a.example', 'b.example'));
    const first = await s.next();
    const versions = new Map(first.resources!.map((r) => [r.name, r.version]));

    h.clock.advance((LIFETIME * 2) / 3 - 1000);
    await s.quiet();

    h.clock.advance(1000);
    const rotated = await s.next();
    // Both names fell due together: one response.
    expect(rotated.resources!.map((r) => r.name).sort()).toEqual(['a.example', 'b.example']);
    const now = h.clock.now();
    for (const resource of rotated.resources!) {
      expect(resource.version).not.toBe(versions.get(resource.name!));
      expectValidLeaf(decodeSecret(resource.resource), now);
    }

    s.send({
      type_url: SECRET_TYPE_URL,
      response_nonce: rotated.nonce!,
      resource_names_unsubscribe: ['a.example'],
    });
    await s.quiet();
    h.clock.advance((LIFETIME * 2) / 3);
    const again = await s.next();
    expect(again.resources!.map((r) => r.name)).toEqual(['b.example']);
  });

  it('removes a name at rotation when the policy no longer allows it', async () => {
    const h = await start();
    const s = delta(h);
    s.send(subscribe('a.example'));
    await s.next();
    h.deny.add('a.example');
    h.clock.advance((LIFETIME * 2) / 3);
    const response = await s.next();
    expect(response.resources ?? []).toEqual([]);
    expect(response.removed_resources).toEqual(['a.example']);
    expect(h.refused.map((r) => r.name)).toEqual(['a.example']);
    // And it is no longer rotated.
    expect(h.clock.pending()).toBe(0);
  });

  it('does not resend a secret Envoy already holds at that version (after a reconnect)', async () => {
    const h = await start();
    const first = delta(h);
    first.send(subscribe('a.example'));
    const version = (await first.next()).resources![0]!.version!;
    const second = delta(h);
    second.send({
      ...subscribe('a.example', 'b.example'),
      initial_resource_versions: { 'a.example': version },
    });
    const response = await second.next();
    expect(response.resources!.map((r) => r.name)).toEqual(['b.example']);
  });

  it('refuses names over the per-stream bound', async () => {
    const h = await start({ maxNamesPerStream: 2 });
    const s = delta(h);
    s.send(subscribe('a.example', 'b.example', 'c.example'));
    const response = await s.next();
    expect(response.resources!.map((r) => r.name)).toEqual(['a.example', 'b.example']);
    expect(response.removed_resources).toEqual(['c.example']);
    expect(h.refused[0]!.reason).toMatch(/already holds 2 names/);
    // An unsubscribe makes room.
    s.send({
      type_url: SECRET_TYPE_URL,
      resource_names_unsubscribe: ['a.example'],
      resource_names_subscribe: ['c.example'],
    });
    expect((await s.next()).resources!.map((r) => r.name)).toEqual(['c.example']);
  });

  it('ends a stream that asks for another resource type', async () => {
    const h = await start();
    const s = delta(h);
    s.send({
      type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      resource_names_subscribe: ['x'],
    });
    const status = await s.status();
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(
      /serves type\.googleapis\.com\/envoy\.extensions\.transport_sockets\.tls\.v3\.Secret/,
    );
  });
});

// ---- StreamSecrets ------------------------------------------------------------------------------

describe('StreamSecrets', () => {
  const request = (names: string[], nonce?: string, error?: string): DiscoveryRequest => ({
    type_url: SECRET_TYPE_URL,
    resource_names: names,
    ...(nonce === undefined ? {} : { response_nonce: nonce }),
    ...(error === undefined ? {} : { error_detail: { code: 13, message: error } }),
  });

  it('answers the names new to the stream, stays silent on an ACK, and leaves refused names out', async () => {
    const h = await start();
    const s = sotw(h);
    s.send(request(['a.example', 'denied.example']));
    const first = await s.next();
    expect(first.version_info).toBe('1');
    expect(first.nonce).toMatch(/^\d+$/);
    expect(first.resources!.map((r) => decodeSecret(r).name)).toEqual(['a.example']);
    expectValidLeaf(decodeSecret(first.resources![0]), START);
    expect(h.refused.map((r) => r.name)).toEqual(['denied.example']);

    s.send(request(['a.example', 'denied.example'], first.nonce));
    await s.quiet();
    // The refused name is not asked about again on every ACK.
    expect(h.refused).toHaveLength(1);

    s.send(request(['a.example', 'denied.example', 'b.example'], first.nonce));
    const second = await s.next();
    expect(second.version_info).toBe('2');
    expect(second.resources!.map((r) => decodeSecret(r).name)).toEqual(['b.example']);
  });

  it('reports a NACK without resending, and ignores a request with a stale nonce', async () => {
    const h = await start();
    const s = sotw(h);
    s.send(request(['a.example']));
    const first = await s.next();
    s.send(request(['a.example', 'b.example']));
    const second = await s.next();
    // Answers the first response, crossed with the second: ignored, even though it adds a name.
    s.send(request(['a.example', 'b.example', 'c.example'], first.nonce));
    await s.quiet();
    s.send(request(['a.example', 'b.example'], second.nonce, 'certificate rejected'));
    await s.quiet();
    expect(h.errors).toEqual([`Envoy rejected SDS response ${second.nonce!}: certificate rejected`]);
  });

  it('pushes rotated certificates', async () => {
    const h = await start();
    const s = sotw(h);
    s.send(request(['a.example']));
    const first = await s.next();
    h.clock.advance((LIFETIME * 2) / 3);
    const rotated = await s.next();
    expect(rotated.version_info).toBe('2');
    const before = decodeSecret(first.resources![0]).chain[0]!.serialNumber;
    const after = decodeSecret(rotated.resources![0]);
    expect(after.chain[0]!.serialNumber).not.toBe(before);
    expectValidLeaf(after, h.clock.now());
  });
});

// ---- FetchSecrets -------------------------------------------------------------------------------

describe('FetchSecrets', () => {
  it('answers once with the allowed secrets', async () => {
    const h = await start();
    const client = new SdsClient(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure());
    openClients.get(h)!.push(client);
    const response = await new Promise<DiscoveryResponse<ReceivedAny>>((resolve, reject) =>
      (
        client['FetchSecrets'] as (
          r: DiscoveryRequest,
          cb: (e: grpc.ServiceError | null, r: DiscoveryResponse<ReceivedAny>) => void,
        ) => void
      )({ type_url: SECRET_TYPE_URL, resource_names: ['a.example', 'denied.example'] }, (err, r) =>
        err ? reject(err) : resolve(r),
      ),
    );
    expect(response.resources!.map((r) => decodeSecret(r).name)).toEqual(['a.example']);
    expectValidLeaf(decodeSecret(response.resources![0]), START);
    expect(h.refused.map((r) => r.name)).toEqual(['denied.example']);
  });
});

// ---- the cache behind it, bounds and shutdown ---------------------------------------------------

describe('the service with its cache', () => {
  it('holds the cache bound: cap 3, five names minted, size 3, two evicted', async () => {
    const h = await start({ cacheEntries: 3 });
    const s = delta(h);
    s.send(subscribe('a.x', 'b.x', 'c.x', 'd.x', 'e.x'));
    expect((await s.next()).resources).toHaveLength(5);
    expect(h.cache.stats()).toMatchObject({ size: 3, minted: 5, evicted: 2 });
  });

  it('mints a name once for concurrent requests from several streams', async () => {
    const h = await start();
    h.holdMints();
    const streams = [delta(h), delta(h), delta(h)];
    for (const s of streams) s.send(subscribe('same.example'));
    // All three asked while the first mint is still running.
    for (let i = 0; i < 100 && h.authorized.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.authorized).toHaveLength(3);
    h.releaseMints();
    const responses = await Promise.all(streams.map((s) => s.next()));
    expect(h.mints).toEqual(['same.example']);
    expect(new Set(responses.map((r) => r.resources![0]!.version)).size).toBe(1);
    expect(h.cache.stats()).toMatchObject({ minted: 1, hits: 2 });
  });

  it('refuses streams over the bound', async () => {
    const h = await start({ maxStreams: 1 });
    const first = delta(h);
    first.send(subscribe('a.example'));
    await first.next();
    const second = sotw(h);
    second.send({ type_url: SECRET_TYPE_URL, resource_names: ['a.example'] });
    const status = await second.status();
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/1 SDS streams are open/);
  });

  it('close() ends every open stream, cancels rotations and refuses new streams', async () => {
    const h = await start();
    const a = delta(h);
    const b = sotw(h);
    a.send(subscribe('a.example'));
    b.send({ type_url: SECRET_TYPE_URL, resource_names: ['b.example'] });
    await Promise.all([a.next(), b.next()]);
    expect(h.service.openStreams()).toBe(2);
    expect(h.clock.pending()).toBe(2);
    h.service.close();
    expect((await a.status()).code).toBe(grpc.status.OK);
    expect((await b.status()).code).toBe(grpc.status.OK);
    expect(h.service.openStreams()).toBe(0);
    expect(h.clock.pending()).toBe(0);
    const late = delta(h);
    late.send(subscribe('c.example'));
    expect((await late.status()).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('forgets a stream Envoy closes', async () => {
    const h = await start();
    const s = delta(h);
    s.send(subscribe('a.example'));
    await s.next();
    s.end();
    expect((await s.status()).code).toBe(grpc.status.OK);
    expect(h.service.openStreams()).toBe(0);
    expect(h.clock.pending()).toBe(0);
  });
});
