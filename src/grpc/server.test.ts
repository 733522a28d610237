/**
 * The Check handler over real gRPC on loopback. `decide` is a test double here: the engine has its
 * own tests; what matters is that every path (allow, deny, malformed, exception, cancellation)
 * ends in a normal CheckResponse and never a gRPC error (docs/envoy-contract.md §1 items 1–3).
 */
import * as grpc from '@grpc/grpc-js';
import type { Decision, EgressRequest } from '../engine/types';
import type { CheckSurface } from './authz/check-request';
import { MAX_CHECK_REQUEST_BYTES } from './authz/check-size';
import type { AuthzDeps } from './authz/service';
import { createAuthzHandler } from './authz/service';
import type { HealthService } from './health';
import { createHealthService } from './health';
import type { CheckRequest, CheckResponse, HealthCheckResponse, HealthListResponse } from './protos';
import {
  AUTHORIZATION_SERVICE,
  EXTERNAL_PROCESSOR_SERVICE,
  authorizationServiceDefinition,
  healthServiceDefinition,
} from './protos';
import type { GrpcServer } from './server';
import { createGrpcServer } from './server';

const AuthzClient = grpc.makeGenericClientConstructor(authorizationServiceDefinition, 'Authorization');
const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, 'Health');

function decision(verdict: 'allow' | 'deny', overrides: Partial<Decision> = {}): Decision {
  return {
    id: `dec-${verdict}`,
    verdict,
    enforced: true,
    layer: 'gateway',
    reasonCode: verdict === 'allow' ? 'route_allowed' : 'gateway_default_deny',
    reason: verdict === 'allow' ? 'allowed' : 'denied by default',
    response: { status: 403, body: 'denied\n', headers: {} },
    agent: { name: 'anonymous', namespace: '', identifiedBy: 'anonymous' },
    notes: [],
    trace: [],
    snapshotVersion: 1,
    nearMisses: [],
    stripHeaders: ['proxy-authorization'],
    ...overrides,
  };
}

/** The double's behaviour, switched per test. */
let behaviour: (request: EgressRequest) => Decision | Promise<Decision> = () => decision('allow');
let withDecideError = true;
const seen: { request?: EgressRequest; surface?: CheckSurface; decision: Decision }[] = [];
const errors: unknown[] = [];
let onDecisionThrows = false;

const deps: AuthzDeps = {
  decide: (request) => behaviour(request),
  decideInvalid: (message, _surface) =>
    decision('deny', { id: 'dec-invalid', layer: 'sanity', reasonCode: 'invalid_request', reason: message }),
  decideError(err, _surface) {
    if (!withDecideError) throw new Error('decideError broke too', { cause: err });
    return decision('deny', { id: 'dec-error', reasonCode: 'internal_error', reason: 'internal error' });
  },
  onDecision(d, request, surface) {
    seen.push({ decision: d, surface, ...(request === undefined ? {} : { request }) });
    if (onDecisionThrows) throw new Error('audit sink down');
  },
  onError: (err) => errors.push(err),
};

let health: HealthService;
let service: GrpcServer;
let client: InstanceType<typeof AuthzClient>;
let port: number;

beforeAll(async () => {
  health = createHealthService({ serving: true });
  service = createGrpcServer({ authz: createAuthzHandler(deps), health });
  port = await service.listen('127.0.0.1', 0);
  client = new AuthzClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await service.shutdown(500);
});

beforeEach(() => {
  behaviour = () => decision('allow');
  withDecideError = true;
  onDecisionThrows = false;
  seen.length = 0;
  errors.length = 0;
});

function callCheck(
  request: CheckRequest,
  metadata: Record<string, string> = {},
  deadlineMs = 5000,
): Promise<CheckResponse> {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve, reject) =>
    client['Check']!(
      request,
      md,
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, res: CheckResponse) => (err ? reject(err) : resolve(res)),
    ),
  );
}

const connect: CheckRequest = {
  attributes: {
    source: { address: { socket_address: { address: '10.1.2.3', port_value: 40000 } } },
    destination: { address: { socket_address: { address: '10.0.0.10', port_value: 3128 } } },
    request: {
      http: {
        id: '9',
        method: 'CONNECT',
        host: 'api.openai.com:443',
        path: '',
        headers: { ':authority': 'api.openai.com:443', 'proxy-authorization': 'Bearer k' },
      },
    },
  },
};
const l4: CheckRequest = {
  attributes: {
    destination: {
      address: { socket_address: { address: '104.18.33.45', port_value: 443 } },
      service: 'api.github.com',
    },
  },
};

describe('Check over gRPC', () => {
  test('bytes that are not a CheckRequest get a normal deny, not a gRPC error', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const response = await new Promise<CheckResponse>((resolve, reject) =>
        raw.makeUnaryRequest(
          '/envoy.service.auth.v3.Authorization/Check',
          (b: Buffer) => b,
          (b: Buffer) => authorizationServiceDefinition.Check!.responseDeserialize(b) as CheckResponse,
          Buffer.from([0x0a, 0xff, 0xff, 0xff]), // field 1, length far past the end
          (err: grpc.ServiceError | null, res?: CheckResponse) => (err ? reject(err) : resolve(res!)),
        ),
      );
      expect(response.status?.code).toBe(7);
      expect(seen[0]?.decision.reasonCode).toBe('invalid_request');
    } finally {
      raw.close();
    }
  });

  test('allow (HTTP): OK with ok_response and metadata; call metadata reaches the request', async () => {
    const response = await callCheck(connect, {
      'x-portcullis-gateway': 'egress',
      'x-portcullis-listener': 'proxy',
      'x-portcullis-agent': 'bot',
    });
    expect(response.status).toStrictEqual({ code: 0 });
    expect(response.http_response).toBe('ok_response');
    expect(response.ok_response?.headers_to_remove).toStrictEqual(['proxy-authorization']);
    expect(response.dynamic_metadata?.fields?.['decision_id']).toMatchObject({ stringValue: 'dec-allow' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.surface).toBe('check-http');
    expect(seen[0]?.request).toMatchObject({
      surface: 'check-http',
      requestId: '9',
      destination: { authority: 'api.openai.com:443', authoritySource: 'connect' },
      context: { gateway: 'egress', listener: 'proxy', agent: 'bot' },
      proxyAuthorization: 'Bearer k',
    });
  });

  test('x-portcullis-mode: transparent passes the original destination', async () => {
    const get: CheckRequest = {
      attributes: {
        destination: { address: { socket_address: { address: '93.184.216.34', port_value: 80 } } },
        request: { http: { method: 'GET', host: 'example.com', path: '/', scheme: 'http' } },
      },
    };
    await callCheck(get, { 'x-portcullis-mode': 'transparent' });
    expect(seen[0]?.request?.destination).toMatchObject({ address: '93.184.216.34', port: 80 });
  });

  test('deny (HTTP): PERMISSION_DENIED with denied_response', async () => {
    behaviour = () => decision('deny');
    const response = await callCheck(connect);
    expect(response.status).toStrictEqual({ code: 7, message: 'denied by default' });
    expect(response.denied_response).toMatchObject({ status: { code: 'Forbidden' }, body: 'denied\n' });
  });

  test('deny (L4): PERMISSION_DENIED only', async () => {
    behaviour = () => decision('deny');
    const response = await callCheck(l4);
    expect(response.status?.code).toBe(7);
    expect(response.denied_response).toBeUndefined();
    expect(seen[0]?.request).toMatchObject({ surface: 'check-l4', destination: { sni: 'api.github.com' } });
  });

  test.each<[string, CheckRequest, CheckSurface]>([
    ['empty CheckRequest', {}, 'check-l4'],
    ['HTTP without host', { attributes: { request: { http: { method: 'GET', path: '/' } } } }, 'check-http'],
    ['L4 pipe address', { attributes: { destination: { address: { pipe: { path: '/x' } } } } }, 'check-l4'],
  ])('malformed (%s): decideInvalid answered as a normal deny', async (_name, request, surface) => {
    const response = await callCheck(request);
    expect(response.status?.code).toBe(7);
    expect(response.status?.message).toMatch(/missing/);
    expect(response.dynamic_metadata?.fields?.['reason_code']).toMatchObject({
      stringValue: 'invalid_request',
    });
    expect(seen).toStrictEqual([{ decision: expect.objectContaining({ id: 'dec-invalid' }), surface }]);
    if (surface === 'check-http') expect(response.denied_response?.status?.code).toBe('Forbidden');
  });

  test('decide throws: decideError answers a normal deny', async () => {
    behaviour = () => {
      throw new Error('engine bug');
    };
    const response = await callCheck(connect);
    expect(response.status?.code).toBe(7);
    expect(response.dynamic_metadata?.fields?.['decision_id']).toMatchObject({ stringValue: 'dec-error' });
    expect(errors).toHaveLength(1);
    expect(seen).toEqual([
      expect.objectContaining({ decision: expect.objectContaining({ id: 'dec-error' }) }),
    ]);
  });

  test('a decision after a lookup answers too, and a failed one is an audited internal_error deny', async () => {
    behaviour = () => Promise.resolve(decision('allow', { id: 'dec-looked-up' }));
    const allowed = await callCheck(connect);
    expect(allowed.status).toStrictEqual({ code: 0 });
    expect(allowed.dynamic_metadata?.fields?.['decision_id']).toMatchObject({ stringValue: 'dec-looked-up' });
    behaviour = () => Promise.reject(new Error('resolver bug'));
    const denied = await callCheck(connect);
    expect(denied.status?.code).toBe(7);
    expect(denied.dynamic_metadata?.fields?.['decision_id']).toMatchObject({ stringValue: 'dec-error' });
    expect(seen.map((s) => s.decision.id)).toEqual(['dec-looked-up', 'dec-error']);
    expect(errors).toHaveLength(1);
  });

  test('decide and decideError both throw: the fixed deny still answers', async () => {
    behaviour = () => {
      throw new Error('engine bug');
    };
    withDecideError = false;
    const response = await callCheck(connect);
    expect(response.status).toStrictEqual({ code: 7, message: 'internal error' });
    expect(response.denied_response?.status?.code).toBe('Forbidden');
    expect(errors).toHaveLength(2);
  });

  test('an audit hook failure does not change the answer', async () => {
    onDecisionThrows = true;
    const response = await callCheck(connect);
    expect(response.status).toStrictEqual({ code: 0 });
    expect(errors).toHaveLength(1);
  });

  test('a call cancelled before the answer: no throw, decision still audited, server keeps answering', async () => {
    behaviour = () => {
      const until = Date.now() + 150;
      while (Date.now() < until) {
        // Holds the event loop past the client's deadline, as a slow decision would.
      }
      return decision('allow');
    };
    await expect(callCheck(connect, {}, 30)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(seen).toHaveLength(1);
    behaviour = () => decision('deny');
    expect((await callCheck(connect)).status?.code).toBe(7);
    expect(errors).toStrictEqual([]);
  });

  test('health is served on the same port', async () => {
    const healthClient = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const res = await new Promise<HealthCheckResponse>((resolve, reject) =>
        healthClient['Check']!({ service: '' }, (err: grpc.ServiceError | null, r: HealthCheckResponse) =>
          err ? reject(err) : resolve(r),
        ),
      );
      expect(res).toStrictEqual({ status: 'SERVING' });
    } finally {
      healthClient.close();
    }
  });
});

describe('health reports only the services this server registered', () => {
  type HealthClientType = InstanceType<typeof HealthClient>;

  const healthCheck = (via: HealthClientType, service: string) =>
    new Promise<HealthCheckResponse>((resolve, reject) =>
      via['Check']!(
        { service },
        { deadline: Date.now() + 5000 },
        (err: grpc.ServiceError | null, r: HealthCheckResponse) => (err ? reject(err) : resolve(r)),
      ),
    );
  const healthList = (via: HealthClientType) =>
    new Promise<HealthListResponse>((resolve, reject) =>
      via['List']!(
        {},
        { deadline: Date.now() + 5000 },
        (err: grpc.ServiceError | null, r: HealthListResponse) => (err ? reject(err) : resolve(r)),
      ),
    );

  test('without ext_proc: Authorization is SERVING, ExternalProcessor is NOT_FOUND and not listed', async () => {
    const healthClient = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      expect(await healthCheck(healthClient, AUTHORIZATION_SERVICE)).toStrictEqual({ status: 'SERVING' });
      await expect(healthCheck(healthClient, EXTERNAL_PROCESSOR_SERVICE)).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      });
      expect(await healthList(healthClient)).toStrictEqual({
        statuses: { '': { status: 'SERVING' }, [AUTHORIZATION_SERVICE]: { status: 'SERVING' } },
      });
    } finally {
      healthClient.close();
    }
  });

  test('with ext_proc: ExternalProcessor is registered and follows the serving switch', async () => {
    const ownHealth = createHealthService({ serving: true });
    const own = createGrpcServer({
      authz: createAuthzHandler(deps),
      health: ownHealth,
      extproc: (call) => call.end(),
    });
    const ownPort = await own.listen('127.0.0.1', 0);
    const healthClient = new HealthClient(`127.0.0.1:${ownPort}`, grpc.credentials.createInsecure());
    try {
      expect(await healthCheck(healthClient, EXTERNAL_PROCESSOR_SERVICE)).toStrictEqual({
        status: 'SERVING',
      });
      expect(await healthList(healthClient)).toStrictEqual({
        statuses: {
          '': { status: 'SERVING' },
          [AUTHORIZATION_SERVICE]: { status: 'SERVING' },
          [EXTERNAL_PROCESSOR_SERVICE]: { status: 'SERVING' },
        },
      });
      ownHealth.setServing(false);
      expect(await healthCheck(healthClient, EXTERNAL_PROCESSOR_SERVICE)).toStrictEqual({
        status: 'NOT_SERVING',
      });
    } finally {
      healthClient.close();
      await own.shutdown(500);
    }
  });
});

/** Sends encoded bytes as they are, so a test controls the exact size on the wire. */
function callCheckRaw(bytes: Buffer): Promise<CheckResponse> {
  const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<CheckResponse>((resolve, reject) =>
    raw.makeUnaryRequest(
      '/envoy.service.auth.v3.Authorization/Check',
      (b: Buffer) => b,
      (b: Buffer) => authorizationServiceDefinition.Check!.responseDeserialize(b) as CheckResponse,
      bytes,
      { deadline: Date.now() + 60_000 },
      (err: grpc.ServiceError | null, res?: CheckResponse) => (err ? reject(err) : resolve(res!)),
    ),
  ).finally(() => raw.close());
}

const encodeCheck = (request: CheckRequest): Buffer =>
  authorizationServiceDefinition.Check!.requestSerialize(request);

/**
 * `request` followed by an unknown length-delimited field (number 15) that pads it to exactly
 * `size` bytes: decoders skip it, and building it costs a buffer fill rather than a string encode.
 */
function encodedOfSize(size: number, request: CheckRequest): Buffer {
  const base = encodeCheck(request);
  const varint = (n: number): number[] => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
    out.push(n);
    return out;
  };
  let fill = size - base.length - 1;
  while (base.length + 1 + varint(fill).length + fill > size) fill--;
  const bytes = Buffer.concat([
    base,
    Buffer.from([(15 << 3) | 2, ...varint(fill)]),
    Buffer.alloc(fill, 0x61),
  ]);
  if (bytes.length !== size) throw new Error(`padded to ${bytes.length} bytes, not ${size}`);
  return bytes;
}

const MiB = 1024 * 1024;

describe('CheckRequest size: never a gRPC error', () => {
  // Tens of MiB through a real HTTP/2 connection: generous guards, not speed assertions.
  jest.setTimeout(120_000);

  test('5 MiB (over the 4 MiB grpc-js default) is decided normally', async () => {
    behaviour = () => decision('deny');
    const headers = { ...connect.attributes!.request!.http!.headers, 'x-big': 'a'.repeat(5 * MiB) };
    const big: CheckRequest = {
      attributes: {
        ...connect.attributes,
        request: { http: { ...connect.attributes!.request!.http, headers } },
      },
    };
    const response = await callCheck(big);
    expect(response.status).toStrictEqual({ code: 7, message: 'denied by default' });
    expect(response.denied_response?.status?.code).toBe('Forbidden');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.request).toMatchObject({
      surface: 'check-http',
      destination: { authority: 'api.openai.com:443' },
    });
  });

  test('exactly the bound is decided normally', async () => {
    const response = await callCheckRaw(encodedOfSize(MAX_CHECK_REQUEST_BYTES, connect));
    expect(response.status).toStrictEqual({ code: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.decision.id).toBe('dec-allow');
    expect(seen[0]?.request?.surface).toBe('check-http');
  });

  test('one byte over the bound (HTTP): an invalid_request deny naming the size, with a 403', async () => {
    const size = MAX_CHECK_REQUEST_BYTES + 1;
    const response = await callCheckRaw(encodedOfSize(size, connect));
    const reason = `CheckRequest of ${size} bytes exceeds the 64 MiB bound`;
    expect(response.status).toStrictEqual({ code: 7, message: reason });
    expect(response.denied_response?.status?.code).toBe('Forbidden');
    expect(response.dynamic_metadata?.fields?.['reason_code']).toMatchObject({
      stringValue: 'invalid_request',
    });
    // Recorded like any other deny; no request, as for any CheckRequest that was not translated.
    expect(seen).toStrictEqual([
      { decision: expect.objectContaining({ id: 'dec-invalid', reason }), surface: 'check-http' },
    ]);
    expect(errors).toStrictEqual([]);
  });

  test('over the bound (L4): a deny without an HTTP response', async () => {
    const size = MAX_CHECK_REQUEST_BYTES + 1000;
    const response = await callCheckRaw(encodedOfSize(size, l4));
    expect(response.status).toStrictEqual({
      code: 7,
      message: `CheckRequest of ${size} bytes exceeds the 64 MiB bound`,
    });
    expect(response.denied_response).toBeUndefined();
    expect(seen).toStrictEqual([
      { decision: expect.objectContaining({ id: 'dec-invalid' }), surface: 'check-l4' },
    ]);
  });

  test('the server keeps answering afterwards', async () => {
    expect((await callCheck(connect)).status).toStrictEqual({ code: 0 });
  });
});

describe('listen', () => {
  test('a port already taken rejects with the system error code, as Node listeners do', async () => {
    // grpc-js also reports the failure through its own logger (console.error by default).
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const other = createGrpcServer({ authz: createAuthzHandler(deps), health: createHealthService() });
    try {
      await expect(other.listen('127.0.0.1', port)).rejects.toMatchObject({
        code: 'EADDRINUSE',
        syscall: 'listen',
        address: '127.0.0.1',
        port,
        message: expect.stringContaining('EADDRINUSE'),
      });
    } finally {
      await other.shutdown(0);
      quiet.mockRestore();
    }
  });
});

describe('shutdown', () => {
  test('an open Watch stream does not hold shutdown for the whole grace period', async () => {
    const ownHealth = createHealthService({ serving: true });
    const own = createGrpcServer({ authz: createAuthzHandler(deps), health: ownHealth });
    const ownPort = await own.listen('127.0.0.1', 0);
    const healthClient = new HealthClient(`127.0.0.1:${ownPort}`, grpc.credentials.createInsecure());
    try {
      const watch: grpc.ClientReadableStream<HealthCheckResponse> = healthClient['Watch']!({ service: '' });
      const statuses: string[] = [];
      watch.on('data', (m: HealthCheckResponse) => statuses.push(m.status ?? ''));
      watch.on('error', () => undefined);
      const ended = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
      await new Promise<void>((resolve) => watch.once('data', () => resolve()));

      const started = Date.now();
      await own.shutdown(10_000);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await ended).code).toBe(grpc.status.OK);
      expect(statuses).toStrictEqual(['SERVING', 'NOT_SERVING']);
      expect(ownHealth.isServing()).toBe(false);
    } finally {
      healthClient.close();
    }
  });

  test('accepts a bare health implementation; shutdown is idempotent', async () => {
    const bare = createGrpcServer({
      authz: createAuthzHandler(deps),
      health: createHealthService({ serving: true }).implementation,
    });
    expect(await bare.listen('127.0.0.1', 0)).toBeGreaterThan(0);
    const first = bare.shutdown(1000);
    expect(bare.shutdown(1000)).toBe(first);
    await first;
  });
});
