/**
 * The baseline for the end-to-end Check benchmark (check-load.bench.ts): a grpc-js server that
 * answers every `Authorization/Check` with `{status: {code: 0}}` and does nothing else.
 *
 * It loads the same trimmed protos with the same loader options as Portcullis (it imports the very
 * service definition from src/grpc/protos.ts) and runs as its own Node process, like `serve`, so
 * the two differ only in what happens between decoding the request and encoding the answer.
 *
 * `node dist/bench/noop-check-server.js [--port N]` binds 127.0.0.1 only, prints `{"port":N}` on
 * one line once it is listening, and exits on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { authorizationServiceDefinition } from '../src/grpc/protos';
import type { CheckRequest, CheckResponse } from '../src/grpc/protos';

const ALLOW: CheckResponse = { status: { code: 0 } };

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  const server = new grpc.Server();
  const check: grpc.handleUnaryCall<CheckRequest, CheckResponse> = (_call, callback) => callback(null, ALLOW);
  server.addService(authorizationServiceDefinition, { Check: check });
  server.bindAsync(`127.0.0.1:${values.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      console.error(`noop-check-server: ${err.message}`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  const stop = () => {
    server.forceShutdown();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
