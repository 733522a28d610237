/**
 * Counts gRPC calls by status around a unary handler, without the handler knowing: the status is
 * whatever reaches the callback, or CANCELLED when the caller gave up first (Envoy's timeout).
 */
import { status, type handleUnaryCall } from '@grpc/grpc-js';
import type { GrpcMethod, Metrics } from './metrics';

export function instrumentUnary<Req, Res>(
  metrics: Pick<Metrics, 'recordGrpc'>,
  method: GrpcMethod,
  handler: handleUnaryCall<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let counted = false;
    const count = (code: number): void => {
      if (counted) return;
      counted = true;
      metrics.recordGrpc(method, code);
    };
    call.once('cancelled', () => count(status.CANCELLED));
    handler(call, (err, value, trailer, flags) => {
      count(err ? (err.code ?? status.UNKNOWN) : status.OK);
      callback(err, value, trailer, flags);
    });
  };
}
