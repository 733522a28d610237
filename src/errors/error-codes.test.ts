import { status } from '@grpc/grpc-js';
import { ERROR_CODES, GRPC_STATUS, exitCodeOf, grpcStatusOf, httpStatusOf, isErrorCode } from './error-codes';
import { PortcullisError, isPortcullisError, problemsError } from './portcullis-error';

/**
 * The one mapping, spelled out: a change to any surface's answer for a code is a change to this
 * test too. The admin API's statuses are the ones it has always answered (README, "Errors"); the
 * exit codes are docs/cli.md's table.
 */
const EXPECTED: Record<keyof typeof ERROR_CODES, [http: number, grpc: keyof typeof status, exit: number]> = {
  usage: [400, 'INVALID_ARGUMENT', 2],
  config_invalid: [500, 'INVALID_ARGUMENT', 2],
  invalid_json: [400, 'INVALID_ARGUMENT', 2],
  wrong_type: [400, 'INVALID_ARGUMENT', 2],
  unknown_field: [400, 'INVALID_ARGUMENT', 2],
  missing_field: [400, 'INVALID_ARGUMENT', 2],
  invalid_value: [400, 'INVALID_ARGUMENT', 2],
  invalid_domain: [400, 'INVALID_ARGUMENT', 2],
  payload_too_large: [413, 'RESOURCE_EXHAUSTED', 2],
  unsupported_media_type: [415, 'INVALID_ARGUMENT', 2],
  unauthorized: [401, 'UNAUTHENTICATED', 2],
  forbidden: [403, 'PERMISSION_DENIED', 2],
  not_found: [404, 'NOT_FOUND', 1],
  already_exists: [409, 'ALREADY_EXISTS', 1],
  defined_in_file: [409, 'FAILED_PRECONDITION', 1],
  child_widens_parent: [409, 'FAILED_PRECONDITION', 1],
  cascade_violations: [409, 'FAILED_PRECONDITION', 1],
  policy_in_use: [409, 'FAILED_PRECONDITION', 1],
  policy_files_invalid: [409, 'FAILED_PRECONDITION', 1],
  invalid_policy: [422, 'INVALID_ARGUMENT', 1],
  startup_failed: [503, 'UNAVAILABLE', 1],
  listen_failed: [503, 'UNAVAILABLE', 3],
  unavailable: [503, 'UNAVAILABLE', 3],
  not_ready: [503, 'UNAVAILABLE', 3],
  internal_error: [500, 'INTERNAL', 2],
};

describe('ERROR_CODES', () => {
  const rows = Object.entries(EXPECTED).map(
    ([code, [http, grpc, exit]]) => [code, http, grpc, exit] as const,
  );
  it.each(rows)('%s → HTTP %i, gRPC %s, exit %i', (code, http, grpc, exit) => {
    expect(isErrorCode(code)).toBe(true);
    if (!isErrorCode(code)) return;
    expect(httpStatusOf(code)).toBe(http);
    expect(grpcStatusOf(code)).toBe(status[grpc]);
    expect(exitCodeOf(code)).toBe(exit);
    const err = new PortcullisError(code, 'm');
    expect([err.httpStatus, err.grpcStatus, err.exitCode]).toEqual([http, status[grpc], exit]);
  });

  it('has a row for every code the test names and no other, each with a meaning', () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const row of Object.values(ERROR_CODES)) expect(row.meaning).toMatch(/\S/);
  });

  it("uses gRPC's own numbers", () => {
    for (const [name, value] of Object.entries(GRPC_STATUS)) {
      expect(status[name as keyof typeof status]).toBe(value);
    }
  });

  it('uses only the exit codes docs/cli.md documents, and error statuses only', () => {
    for (const row of Object.values(ERROR_CODES)) {
      expect([1, 2, 3]).toContain(row.exit);
      expect(row.http).toBeGreaterThanOrEqual(400);
      expect(row.http).toBeLessThan(600);
      expect(row.grpc).not.toBe('OK');
    }
  });

  it('knows its codes and nothing else', () => {
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('NOT_FOUND')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });
});

describe('PortcullisError', () => {
  it('carries a code, a message and details', () => {
    const err = new PortcullisError('child_widens_parent', 'wider', { namespace: 'a/b' });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.message, err.details]).toEqual([
      'PortcullisError',
      'child_widens_parent',
      'wider',
      { namespace: 'a/b' },
    ]);
    expect(err.problems).toEqual(['wider']);
    expect(isPortcullisError(err)).toBe(true);
    expect(isPortcullisError(err, 'child_widens_parent')).toBe(true);
    expect(isPortcullisError(err, 'not_found')).toBe(false);
    expect(isPortcullisError(new Error('x'))).toBe(false);
  });

  it('gathers several problems into one error, one line each', () => {
    const err = problemsError('config_invalid', ['--grpc-port: "x" is not a port', 'no policy']);
    expect(err.message).toBe('--grpc-port: "x" is not a port\nno policy');
    expect(err.problems).toEqual(['--grpc-port: "x" is not a port', 'no policy']);
    expect(err.exitCode).toBe(2);
  });
});
