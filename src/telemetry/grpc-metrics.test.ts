import { EventEmitter } from 'node:events';
import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { instrumentUnary } from './grpc-metrics';

type Outcome = 'ok' | 'error' | 'cancel-then-silence' | 'cancel-after-answer';

function run(outcome: Outcome): number[] {
  const codes: number[] = [];
  const call = new EventEmitter() as unknown as ServerUnaryCall<object, object>;
  const handler = (c: ServerUnaryCall<object, object>, cb: sendUnaryData<object>) => {
    if (outcome === 'ok') cb(null, {});
    else if (outcome === 'error') cb({ code: status.RESOURCE_EXHAUSTED, name: 'Error', message: 'busy' });
    else if (outcome === 'cancel-then-silence') c.emit('cancelled', 'cancelled');
    else {
      cb(null, {});
      c.emit('cancelled', 'cancelled');
    }
  };
  const callback = jest.fn();
  instrumentUnary({ recordGrpc: (_method, code) => codes.push(code) }, 'Check', handler)(call, callback);
  expect(callback).toHaveBeenCalledTimes(outcome === 'cancel-then-silence' ? 0 : 1);
  return codes;
}

describe('instrumentUnary', () => {
  it.each<[Outcome, number[]]>([
    ['ok', [status.OK]],
    ['error', [status.RESOURCE_EXHAUSTED]],
    ['cancel-then-silence', [status.CANCELLED]],
    ['cancel-after-answer', [status.OK]],
  ])('%s counts exactly one call with its status', (outcome, codes) => {
    expect(run(outcome)).toEqual(codes);
  });
});
