/**
 * A PortcullisError as a gRPC error: the status comes from the one table of error codes
 * (src/errors/error-codes.ts), the details are its message. Anything else is INTERNAL with no
 * detail, as a bug's text is for the log, not the caller. Check never answers with an error: its
 * failures are denials with a reason code (src/grpc/authz/service.ts).
 */
import type * as grpc from '@grpc/grpc-js';
import { grpcStatusOf } from '../errors/error-codes';
import { PortcullisError } from '../errors/portcullis-error';

export function toGrpcError(err: unknown): Partial<grpc.StatusObject> {
  const failure =
    err instanceof PortcullisError ? err : new PortcullisError('internal_error', 'internal error');
  return { code: grpcStatusOf(failure.code), details: failure.message };
}
