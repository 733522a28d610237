/**
 * Portcullis's one error type: a stable code from ERROR_CODES (src/errors/error-codes.ts), a message
 * a person can act on, and details for machines (the admin API adds them to its JSON body, as
 * `field`, `issues`, `namespace`…). What a code becomes on each surface (HTTP status, gRPC status,
 * exit code) is read from that one table, never chosen where the error is raised.
 */
import { exitCodeOf, grpcStatusOf, httpStatusOf, type ErrorCode } from './error-codes';

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class PortcullisError extends Error {
  override readonly name = 'PortcullisError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }

  get grpcStatus(): number {
    return grpcStatusOf(this.code);
  }

  get exitCode(): number {
    return exitCodeOf(this.code);
  }

  /**
   * The problems it lists, one line each: `details.problems` when the error gathers several (a
   * configuration with three bad settings), else the message.
   */
  get problems(): readonly string[] {
    const listed = this.details['problems'];
    return Array.isArray(listed) && listed.every((p) => typeof p === 'string') ? listed : [this.message];
  }
}

/** One error for several problems found at once, so the caller can fix them all in one go. */
export function problemsError(code: ErrorCode, problems: readonly string[]): PortcullisError {
  return new PortcullisError(code, problems.join('\n'), { problems: Object.freeze([...problems]) });
}

/** True when `err` is a PortcullisError, with the given code if one is named. */
export function isPortcullisError(err: unknown, code?: ErrorCode): err is PortcullisError {
  return err instanceof PortcullisError && (code === undefined || err.code === code);
}
