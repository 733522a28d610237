/** grpc.health.v1 over a real grpc-js server on loopback (envoy-contract.md §7). */
import * as grpc from '@grpc/grpc-js';
import type { HealthService } from './health';
import { createHealthService } from './health';
import type { HealthCheckResponse, HealthListResponse } from './protos';
import { AUTHORIZATION_SERVICE, EXTERNAL_PROCESSOR_SERVICE, healthServiceDefinition } from './protos';

const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, 'Health');
type Client = InstanceType<typeof HealthClient>;

let server: grpc.Server;
let client: Client;
let health: HealthService;

beforeAll(async () => {
  health = createHealthService();
  server = new grpc.Server();
  server.addService(healthServiceDefinition, health.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  health.endWatches();
  client.close();
  server.forceShutdown();
});

function check(service: string): Promise<HealthCheckResponse> {
  return new Promise((resolve, reject) =>
    client['Check']!(
      { service },
      { deadline: Date.now() + 5000 },
      (err: grpc.ServiceError | null, res: HealthCheckResponse) => (err ? reject(err) : resolve(res)),
    ),
  );
}

/** A Watch call whose messages can be awaited one at a time, each with a deadline. */
function watch(service: string) {
  const call: grpc.ClientReadableStream<HealthCheckResponse> = client['Watch']!({ service });
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
  test('NOT_SERVING until told otherwise, then SERVING for "" and both named services', async () => {
    health.setServing(false);
    expect(await check('')).toStrictEqual({ status: 'NOT_SERVING' });
    health.setServing(true);
    for (const name of ['', AUTHORIZATION_SERVICE, EXTERNAL_PROCESSOR_SERVICE]) {
      expect(await check(name)).toStrictEqual({ status: 'SERVING' });
    }
    health.setServing(false);
    expect(await check(AUTHORIZATION_SERVICE)).toStrictEqual({ status: 'NOT_SERVING' });
  });

  test('unknown service → NOT_FOUND', async () => {
    await expect(check('no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });
});

test('List reports every known service', async () => {
  health.setServing(true);
  const list = await new Promise<HealthListResponse>((resolve, reject) =>
    client['List']!({}, (err: grpc.ServiceError | null, res: HealthListResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
  expect(list).toStrictEqual({
    statuses: {
      '': { status: 'SERVING' },
      [AUTHORIZATION_SERVICE]: { status: 'SERVING' },
      [EXTERNAL_PROCESSOR_SERVICE]: { status: 'SERVING' },
    },
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
