import { status } from '@grpc/grpc-js';
import { PortcullisError } from '../errors/portcullis-error';
import { toGrpcError } from './grpc-error';

describe('toGrpcError()', () => {
  it("takes the status from the error code's row and the details from the message", () => {
    expect(toGrpcError(new PortcullisError('not_found', 'unknown service "x"'))).toEqual({
      code: status.NOT_FOUND,
      details: 'unknown service "x"',
    });
    expect(toGrpcError(new PortcullisError('invalid_value', 'bad'))).toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it('answers anything else as INTERNAL without its text', () => {
    expect(toGrpcError(new TypeError('secret detail'))).toEqual({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
