import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '../telemetry/logger';
import { routeGrpcLogs } from './grpc-log';

afterEach(() => grpc.setLogger(console));

test("grpc-js's own diagnostics become JSON log lines, not stderr", async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const stderr = jest.spyOn(console, 'error');
  routeGrpcLogs(createLogger('info', sink));

  // A bind that fails is something grpc-js logs at its ERROR level.
  const holder = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    holder.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const second = new grpc.Server();
  try {
    await new Promise<void>((resolve) =>
      second.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), () => resolve()),
    );
  } finally {
    second.forceShutdown();
    holder.forceShutdown();
  }
  await new Promise((r) => setImmediate(r));
  expect(stderr).not.toHaveBeenCalled();
  stderr.mockRestore();
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'error',
      component: 'grpc-js',
      msg: expect.stringContaining('No address added'),
    }),
  );
});
