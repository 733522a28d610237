/** grpc.health.v1 over a real grpc-js server on loopback (docs/envoy-contract.md §7). */
import * as grpc from '@grpc/grpc-js';
import type { HealthService } from './health';
import { createHealthService } from './health';
import type { HealthCheckResponse, HealthListResponse } from './protos';
import { AUTHORIZATION_SERVICE, EXTERNAL_PROCESSOR_SERVICE, healthServiceDefinition } from './protos';

const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, 'Health');
type Client = InstanceType<typeof HealthClient>;

interface Served {
  readonly server: grpc.Server;
  readonly client: Client;
}

/** Serves `service` on a loopback port of its own, with a client connected to it. */
async function serve(service: HealthService): Promise<Served> {
  const own = new grpc.Server();
  own.addService(healthServiceDefinition, service.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    own.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { server: own, client: new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

let server: grpc.Server;
let client: Client;
let health: HealthService;

beforeAll(async () => {
  // As src/grpc/server.ts does for the one service it always serves.
  health = createHealthService();
  health.register(AUTHORIZATION_SERVICE);
  ({ server, client } = await serve(health));
});

afterAll(() => {
  health.endWatches();
  client.close();
  server.forceShutdown();
});

function check(service: string, via: Client = client): Promise<HealthCheckResponse> {
  return new Promise((resolve, reject) =>
    via['Check']!(
      { service },
      { deadline: Date.now() + 5000 },
      (err: grpc.ServiceError | null, res: HealthCheckResponse) => (err ? reject(err) : resolve(res)),
    ),
  );
}

function list(via: Client = client): Promise<HealthListResponse> {
  return new Promise((resolve, reject) =>
    via['List']!(
      {},
      { deadline: Date.now() + 5000 },
      (err: grpc.ServiceError | null, res: HealthListResponse) => (err ? reject(err) : resolve(res)),
    ),
  );
}

/** A Watch call whose messages can be awaited one at a time, each with a deadline. */
function watch(service: string, via: Client = client) {
  const call: grpc.ClientReadableStream<HealthCheckResponse> = via['Watch']!({ service });
  const received: HealthCheckResponse[] = [];
  const waiters: ((value: HealthCheckResponse) => void)[] = [];
  call.on('data', (message: HealthCheckResponse) => {
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else received.push(message);
  });
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => undefined);
  return {
    call,
    ended,
    next(): Promise<HealthCheckResponse> {
      const queued = received.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no Watch message within 5 s')), 5000);
        waiters.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
    },
    pending: () => received.length,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Check', () => {
  test('NOT_SERVING until told otherwise, then SERVING for "" and the registered service', async () => {
    health.setServing(false);
    expect(await check('')).toStrictEqual({ status: 'NOT_SERVING' });
    health.setServing(true);
    for (const name of ['', AUTHORIZATION_SERVICE]) {
      expect(await check(name)).toStrictEqual({ status: 'SERVING' });
    }
    health.setServing(false);
    expect(await check(AUTHORIZATION_SERVICE)).toStrictEqual({ status: 'NOT_SERVING' });
  });

  test('unknown service → NOT_FOUND', async () => {
    await expect(check('no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  test('a service nothing registered is unknown, even while serving: NOT_FOUND, never SERVING', async () => {
    health.setServing(true);
    await expect(check(EXTERNAL_PROCESSOR_SERVICE)).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: `unknown service "${EXTERNAL_PROCESSOR_SERVICE}"`,
    });
  });
});

test('List reports "" and the registered services only', async () => {
  health.setServing(true);
  expect(await list()).toStrictEqual({
    statuses: {
      '': { status: 'SERVING' },
      [AUTHORIZATION_SERVICE]: { status: 'SERVING' },
    },
  });
});

describe('register', () => {
  let own: HealthService;
  let served: Served;

  beforeEach(async () => {
    own = createHealthService({ serving: true });
    served = await serve(own);
  });

  afterEach(() => {
    own.endWatches();
    served.client.close();
    served.server.forceShutdown();
  });

  test('a fresh service knows only "" (the whole server)', async () => {
    expect(await list(served.client)).toStrictEqual({ statuses: { '': { status: 'SERVING' } } });
    await expect(check(AUTHORIZATION_SERVICE, served.client)).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  test('registering makes a service answer Check, List and an open Watch', async () => {
    const w = watch(EXTERNAL_PROCESSOR_SERVICE, served.client);
    expect(await w.next()).toStrictEqual({ status: 'SERVICE_UNKNOWN' });
    own.register(EXTERNAL_PROCESSOR_SERVICE);
    expect(await w.next()).toStrictEqual({ status: 'SERVING' });
    expect(await check(EXTERNAL_PROCESSOR_SERVICE, served.client)).toStrictEqual({ status: 'SERVING' });
    expect(await list(served.client)).toStrictEqual({
      statuses: { '': { status: 'SERVING' }, [EXTERNAL_PROCESSOR_SERVICE]: { status: 'SERVING' } },
    });
    // Registering twice changes nothing and writes nothing to the Watch.
    own.register(EXTERNAL_PROCESSOR_SERVICE);
    await pause(50);
    expect(w.pending()).toBe(0);
    w.call.cancel();
    await w.ended;
  });

  test('services given at creation are known from the start', async () => {
    const preset = createHealthService({ services: [AUTHORIZATION_SERVICE], serving: true });
    const presetServed = await serve(preset);
    try {
      expect(await check(AUTHORIZATION_SERVICE, presetServed.client)).toStrictEqual({ status: 'SERVING' });
    } finally {
      presetServed.client.close();
      presetServed.server.forceShutdown();
    }
  });
});

describe('Watch', () => {
  test('streams the current status, then each change, without repeats', async () => {
    health.setServing(true);
    const w = watch(AUTHORIZATION_SERVICE);
    expect(await w.next()).toStrictEqual({ status: 'SERVING' });
    health.setServing(true);
    health.setServing(false);
    expect(await w.next()).toStrictEqual({ status: 'NOT_SERVING' });
    health.setServing(true);
    expect(await w.next()).toStrictEqual({ status: 'SERVING' });
    w.call.cancel();
    expect((await w.ended).code).toBe(grpc.status.CANCELLED);
    // The server forgot the watcher: further changes do not throw or write.
    await pause(50);
    health.setServing(false);
    health.setServing(true);
    await pause(50);
    expect(w.pending()).toBe(0);
  });

  test('unknown service → SERVICE_UNKNOWN and the stream stays open', async () => {
    const w = watch('no.such.Service');
    expect(await w.next()).toStrictEqual({ status: 'SERVICE_UNKNOWN' });
    health.setServing(false);
    await pause(50);
    expect(w.pending()).toBe(0);
    w.call.cancel();
    await w.ended;
  });

  test('endWatches ends open streams cleanly (OK status)', async () => {
    const w = watch('');
    await w.next();
    health.endWatches();
    expect((await w.ended).code).toBe(grpc.status.OK);
  });
});
