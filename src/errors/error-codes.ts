/**
 * Every error code Portcullis reports, and the one table that says what each becomes on every
 * surface: the admin API's HTTP status, a gRPC status (for calls other than Check, whose denials
 * are answers, not errors), and the exit code of the `portcullis` command.
 *
 * Codes are part of the interface: the admin API sends them as `error` (clients match on them), so
 * a code is never renamed or reused; a new kind of failure gets a new code here. The exit codes
 * are the ones docs/cli.md documents: 1 a negative answer or a policy that does not validate, 2 a
 * mistake in how the command was called (or a bug), 3 something outside the command refused
 * (a port in use, a server that does not answer).
 */

/** gRPC status codes by name (the numbers are fixed by the gRPC protocol; a test checks them against @grpc/grpc-js). */
export const GRPC_STATUS = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusName = keyof typeof GRPC_STATUS;

export interface ErrorCodeRow {
  readonly http: number;
  readonly grpc: GrpcStatusName;
  readonly exit: 1 | 2 | 3;
  /** When it is raised, in one line. */
  readonly meaning: string;
}

export const ERROR_CODES = {
  // The caller's input: a request body or query, a flag, a setting.
  usage: { http: 400, grpc: 'INVALID_ARGUMENT', exit: 2, meaning: 'a command was called wrongly' },
  config_invalid: {
    http: 500,
    grpc: 'INVALID_ARGUMENT',
    exit: 2,
    meaning: 'a serve setting (flag, environment variable or config-file key) is not valid',
  },
  invalid_json: { http: 400, grpc: 'INVALID_ARGUMENT', exit: 2, meaning: 'the body is not JSON' },
  wrong_type: { http: 400, grpc: 'INVALID_ARGUMENT', exit: 2, meaning: 'a field has the wrong JSON type' },
  unknown_field: {
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    exit: 2,
    meaning: 'a field the schema does not have',
  },
  missing_field: { http: 400, grpc: 'INVALID_ARGUMENT', exit: 2, meaning: 'a required field is absent' },
  invalid_value: {
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    exit: 2,
    meaning: 'a value of the right type outside what it allows',
  },
  invalid_domain: {
    http: 400,
    grpc: 'INVALID_ARGUMENT',
    exit: 2,
    meaning: 'a domain or pattern that is not a host name',
  },
  payload_too_large: {
    http: 413,
    grpc: 'RESOURCE_EXHAUSTED',
    exit: 2,
    meaning: 'the body is over its bound',
  },
  unsupported_media_type: { http: 415, grpc: 'INVALID_ARGUMENT', exit: 2, meaning: 'the body is not JSON' },
  // Who is asking.
  unauthorized: { http: 401, grpc: 'UNAUTHENTICATED', exit: 2, meaning: 'no token, or an unknown one' },
  forbidden: { http: 403, grpc: 'PERMISSION_DENIED', exit: 2, meaning: "the token's role is too small" },
  // A negative answer, or a change that cannot be made as it is.
  not_found: { http: 404, grpc: 'NOT_FOUND', exit: 1, meaning: 'no such resource, entry, route or service' },
  already_exists: { http: 409, grpc: 'ALREADY_EXISTS', exit: 1, meaning: 'the name is taken' },
  defined_in_file: {
    http: 409,
    grpc: 'FAILED_PRECONDITION',
    exit: 1,
    meaning: 'the resource lives in a policy file, which only an edit of the file changes',
  },
  child_widens_parent: {
    http: 409,
    grpc: 'FAILED_PRECONDITION',
    exit: 1,
    meaning: 'a namespace would allow a domain an ancestor does not cover',
  },
  cascade_violations: {
    http: 409,
    grpc: 'FAILED_PRECONDITION',
    exit: 1,
    meaning: 'a change would leave a descendant namespace uncovered',
  },
  policy_in_use: {
    http: 409,
    grpc: 'FAILED_PRECONDITION',
    exit: 1,
    meaning: 'a firewall policy is still attached to a key',
  },
  policy_files_invalid: {
    http: 409,
    grpc: 'FAILED_PRECONDITION',
    exit: 1,
    meaning: 'the policy files have errors, so no change can be checked',
  },
  invalid_policy: {
    http: 422,
    grpc: 'INVALID_ARGUMENT',
    exit: 1,
    meaning: 'policy does not validate (a change, a draft, or the files serve starts with)',
  },
  // This process or one it depends on.
  startup_failed: {
    http: 503,
    grpc: 'UNAVAILABLE',
    exit: 1,
    meaning: 'serve did not start (the admin store, or a listener, failed)',
  },
  listen_failed: {
    http: 503,
    grpc: 'UNAVAILABLE',
    exit: 3,
    meaning: 'the system refused an address: in use, not permitted, or not on this host',
  },
  unavailable: {
    http: 503,
    grpc: 'UNAVAILABLE',
    exit: 3,
    meaning: 'a server did not answer, or answered with an error (check --server)',
  },
  not_ready: { http: 503, grpc: 'UNAVAILABLE', exit: 3, meaning: 'the service is not ready to answer' },
  internal_error: { http: 500, grpc: 'INTERNAL', exit: 2, meaning: 'a bug; the details are in the log' },
} as const satisfies Readonly<Record<string, ErrorCodeRow>>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}

export function grpcStatusOf(code: ErrorCode): number {
  return GRPC_STATUS[ERROR_CODES[code].grpc];
}

export function exitCodeOf(code: ErrorCode): number {
  return ERROR_CODES[code].exit;
}
