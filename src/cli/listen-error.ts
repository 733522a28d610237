/**
 * A listener that could not start, said in one line an operator can act on:
 * `cannot listen on 127.0.0.1:8443 (admin HTTP): address already in use (held by pid 4242, nginx)`.
 */
import { findPortHolder, type PortHolder, type Transport } from './port-holder';
import { exitCodeOf, type ErrorCode } from '../errors/error-codes';

/** `serve`'s exit code when the system refused an address: in use, not permitted, not on this host. */
export const EXIT_LISTEN_FAILED = exitCodeOf('listen_failed');
/** `serve`'s exit code for any other failure to start (docs/operations.md). */
export const EXIT_NOT_STARTED = exitCodeOf('startup_failed');

export interface ListenTarget {
  /** What listens there, for the message: `gRPC`, `admin HTTP`, `DNS`. */
  readonly what: string;
  readonly address: string;
  readonly port: number;
  /** Binds UDP as well as TCP (DNS): the message then says which of the two failed. */
  readonly udp?: boolean;
}

export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    message: string,
    readonly target: ListenTarget,
    /** The system's error code (`EADDRINUSE`, `EACCES`, …); undefined for any other failure. */
    readonly code: string | undefined,
    readonly holder: PortHolder | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /**
   * Its code in the error table (src/errors/error-codes.ts). `code` stays the system's error code,
   * which is what callers of a listener expect to read there.
   */
  get errorCode(): ErrorCode {
    return this.code === undefined ? 'startup_failed' : 'listen_failed';
  }

  get exitCode(): number {
    return exitCodeOf(this.errorCode);
  }
}

const EXPLAINED: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EPERM: 'operation not permitted',
  EADDRNOTAVAIL: 'address not available (it is not an address of this host)',
  EAFNOSUPPORT: 'address family not supported (is IPv6 off?)',
};

export interface ListenErrorOptions {
  /** Looks up who holds the port on EADDRINUSE; injected by tests. */
  readonly findHolder?: typeof findPortHolder;
}

export function listenError(
  target: ListenTarget,
  err: unknown,
  options: ListenErrorOptions = {},
): ListenError {
  const errno = err as Partial<NodeJS.ErrnoException> | undefined;
  const code = typeof errno?.code === 'string' && /^E[A-Z]+$/.test(errno.code) ? errno.code : undefined;
  const detail = err instanceof Error ? err.message : String(err);
  const where = hostPort(target.address, target.port);
  if (code === undefined) {
    return new ListenError(
      `cannot start ${target.what} on ${where}: ${oneLine(detail)}`,
      target,
      undefined,
      undefined,
      {
        cause: err,
      },
    );
  }
  // Node reports a UDP bind failure with syscall `bind`, a TCP one with syscall `listen`.
  const transport: Transport = target.udp === true && errno?.syscall === 'bind' ? 'udp' : 'tcp';
  const what = target.udp === true ? `${target.what} ${transport.toUpperCase()}` : target.what;
  let holder: PortHolder | undefined;
  if (code === 'EADDRINUSE') {
    try {
      holder = (options.findHolder ?? findPortHolder)(transport, target.address, target.port);
    } catch {
      holder = undefined;
    }
  }
  const held = holder === undefined ? '' : ` (held by pid ${holder.pid}, ${holder.command})`;
  const reason = EXPLAINED[code] ?? `${code}: ${oneLine(detail)}`;
  return new ListenError(`cannot listen on ${where} (${what}): ${reason}${held}`, target, code, holder, {
    cause: err,
  });
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ');
}
