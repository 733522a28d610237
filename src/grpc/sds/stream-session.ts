/**
 * What every SDS stream (state of the world or delta) has in common: who is asking, the ordered
 * work queue, the rotation schedule, nonces, writes that never throw, and the ways it ends (Envoy
 * cancels or half-closes it, a protocol error, or the service closing).
 */
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';

import { createOrderedQueue, type OrderedQueue } from './ordered-queue';
import { createRotationSchedule, type RotationSchedule } from './rotation';
import type { SdsClock } from './sds-clock';
import { SECRET_TYPE_URL, type Node } from './sds-protos';
import type { SdsCallContext, SecretDiscoveryOptions } from './service-types';

export interface StreamEnv {
  readonly authorize: SecretDiscoveryOptions['authorize'];
  readonly mint: SecretDiscoveryOptions['mint'];
  readonly onRefused: (name: string, reason: string, context: SdsCallContext) => void;
  readonly onError: (err: unknown) => void;
  readonly clock: SdsClock;
  readonly maxNamesPerStream: number;
  /** Registers an open stream so the service can end it on close; returns the unregister. */
  readonly register: (end: () => void) => () => void;
}

/**
 * Requests waiting behind the one being answered. Envoy sends the next request only after it has
 * an answer to ACK, so a handful is plenty; more is a client that does not wait.
 */
const MAX_QUEUED = 64;

export interface StreamSession<Res> {
  readonly context: SdsCallContext;
  readonly queue: OrderedQueue;
  readonly rotation: RotationSchedule;
  /** Writes unless the stream has ended; returns the nonce it carries. */
  send(build: (nonce: string) => Res): void;
  /** The nonce of the last response sent ('' before the first). */
  lastNonce(): string;
  fail(code: GrpcStatus, details: string): void;
  isOpen(): boolean;
  /** The node of the stream's first request that carried one. */
  noteNode(node: Node | undefined): void;
  /** A type_url other than Secret's (an empty one means Secret) ends the stream. */
  checkTypeUrl(typeUrl: string | undefined): boolean;
}

export function openStreamSession<Req, Res>(
  call: ServerDuplexStream<Req, Res>,
  env: StreamEnv,
  handlers: {
    readonly onRequest: (request: Req) => Promise<void>;
    readonly onDue: (names: readonly string[]) => Promise<void>;
  },
): StreamSession<Res> {
  let open = true;
  let nonce = 0;
  const context: { metadata: SdsCallContext['metadata']; node: Node | undefined } = {
    metadata: call.metadata,
    node: undefined,
  };

  const queue = createOrderedQueue(MAX_QUEUED, env.onError);
  const rotation = createRotationSchedule(env.clock, (names) => {
    if (open) queue.push(() => handlers.onDue(names));
  });

  const finish = (): void => {
    if (!open) return;
    open = false;
    rotation.clear();
    unregister();
  };
  const unregister = env.register(() => {
    // The service is closing: end the stream cleanly, so Envoy reconnects (to another replica).
    if (!open) return;
    finish();
    try {
      call.end();
    } catch (err) {
      env.onError(err);
    }
  });

  const session: StreamSession<Res> = {
    context,
    queue,
    rotation,
    send(build) {
      if (!open || call.cancelled) return;
      nonce += 1;
      try {
        call.write(build(String(nonce)));
      } catch (err) {
        env.onError(err);
      }
    },
    lastNonce: () => (nonce === 0 ? '' : String(nonce)),
    fail(code, details) {
      if (!open) return;
      finish();
      call.emit('error', { code, details });
    },
    isOpen: () => open,
    noteNode(next) {
      if (context.node === undefined && next !== undefined) context.node = next;
    },
    checkTypeUrl(typeUrl) {
      if (typeUrl === undefined || typeUrl === '' || typeUrl === SECRET_TYPE_URL) return true;
      session.fail(
        GrpcStatus.INVALID_ARGUMENT,
        `this is the secret discovery service: it serves ${SECRET_TYPE_URL}, not ${typeUrl.slice(0, 200)}`,
      );
      return false;
    },
  };

  call.on('data', (request: Req) => {
    if (!open) return;
    if (!queue.push(() => (open ? handlers.onRequest(request) : Promise.resolve()))) {
      session.fail(
        GrpcStatus.RESOURCE_EXHAUSTED,
        `more than ${MAX_QUEUED} SDS requests wait for an answer on this stream; wait for each response before the next request`,
      );
    }
  });
  call.on('end', () => {
    // Envoy half-closed: answer what is queued, then end.
    void queue.idle().then(() => {
      if (!open) return;
      finish();
      call.end();
    });
  });
  call.on('cancelled', finish);
  call.on('close', finish);
  call.on('error', finish);
  return session;
}
