/**
 * The `envoy.service.auth.v3.Authorization/Check` handler. Whatever happens, the caller gets a
 * normal `CheckResponse`: a gRPC error status or an empty response would let Envoy decide by its
 * own failure mode, and an empty response even means allow (docs/envoy-contract.md §1 items 1–2).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Decision, EgressRequest } from '../../engine/types';
import type { CheckRequest, CheckResponse } from '../protos';
import type { CheckCallMeta, CheckSurface } from './check-request';
import { checkSurface, toEgressRequest } from './check-request';
import { oversizeMessage, oversizeOf } from './check-size';
import { fallbackCheckResponse, toCheckResponse } from './check-response';

export interface AuthzDeps {
  /** May return a promise when the decision needs a name looked up first (firewall lists). */
  decide(request: EgressRequest): Decision | Promise<Decision>;
  /** A deny with reason code `invalid_request` for a CheckRequest that cannot be translated. */
  decideInvalid(message: string, surface: CheckSurface): Decision;
  /** A deny with reason code `internal_error`; without it (or if it throws) a fixed deny is sent. */
  decideError?(err: unknown, surface: CheckSurface): Decision;
  /**
   * Audit hook; it sees every decision, including those for calls cancelled meanwhile. `request` is
   * absent when the CheckRequest could not be translated.
   */
  /**
   * Called once per answered call; `durationMs` covers translation, identity, lookups and the
   * decision. `traceContext` is the W3C trace context Envoy sent, when it traced the call.
   */
  onDecision?(
    decision: Decision,
    request: EgressRequest | undefined,
    surface: CheckSurface,
    durationMs: number,
    traceContext: TraceContext | undefined,
  ): void;
  /** Failures that did not change the answer (audit hook errors) or forced the fixed deny. */
  onError?(err: unknown): void;
}

/** Call metadata Envoy sets per listener, `grpc_service.initial_metadata` (docs/envoy-contract.md §3.3). */
export const CALL_METADATA = {
  gateway: 'x-portcullis-gateway',
  listener: 'x-portcullis-listener',
  agent: 'x-portcullis-agent',
  mode: 'x-portcullis-mode',
} as const;

export function readCallMeta(metadata: grpc.Metadata): CheckCallMeta {
  const meta: { -readonly [K in keyof CheckCallMeta]: CheckCallMeta[K] } = {};
  for (const key of Object.keys(CALL_METADATA) as (keyof typeof CALL_METADATA)[]) {
    const value = metadata.get(CALL_METADATA[key])[0];
    if (typeof value === 'string' && value !== '') meta[key] = value;
  }
  return meta;
}

/** W3C trace context headers, unparsed: telemetry continues the trace, nothing here reads them. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** Envoy's gRPC client puts its ext_authz span's context in the call metadata when tracing is on. */
export function readTraceContext(metadata: grpc.Metadata): TraceContext | undefined {
  const traceparent = metadata.get('traceparent')[0];
  if (typeof traceparent !== 'string' || traceparent === '') return undefined;
  const tracestate = metadata.get('tracestate')[0];
  return typeof tracestate === 'string' && tracestate !== '' ? { traceparent, tracestate } : { traceparent };
}

export function createAuthzHandler(deps: AuthzDeps): grpc.handleUnaryCall<CheckRequest, CheckResponse> {
  return (call, callback) => {
    const send = (response: CheckResponse): void => {
      // Envoy has given up on a cancelled call (its timeout already applied); nothing to send.
      if (call.cancelled) return;
      try {
        callback(null, response);
      } catch (err) {
        deps.onError?.(err);
      }
    };
    const pending = answer(deps, call.request, call);
    // Most decisions need no lookup: answer them in this turn rather than a promise's later one.
    if (isPromise(pending)) void pending.then(send);
    else send(pending);
  };
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/** Never throws or rejects: every failure becomes a deny (docs/envoy-contract.md §1 item 2). */
function answer(
  deps: AuthzDeps,
  check: CheckRequest,
  call: { readonly metadata: grpc.Metadata },
): CheckResponse | Promise<CheckResponse> {
  const started = process.hrtime.bigint();
  let surface: CheckSurface = 'check-http';
  let request: EgressRequest | undefined;
  try {
    const oversized = oversizeOf(check);
    if (oversized !== undefined) {
      surface = oversized.surface;
      const invalid = deps.decideInvalid(oversizeMessage(oversized), surface);
      return respond(deps, invalid, undefined, surface, started, call);
    }
    surface = checkSurface(check);
    const translated = toEgressRequest(check, readCallMeta(call.metadata));
    if (!translated.ok) {
      const invalid = deps.decideInvalid(translated.message, surface);
      return respond(deps, invalid, undefined, surface, started, call);
    }
    request = translated.request;
    const decided = deps.decide(request);
    if (!isPromise(decided)) return respond(deps, decided, request, surface, started, call);
    const asked = request;
    const lookedUp = surface;
    return decided.then(
      (decision) => respond(deps, decision, asked, lookedUp, started, call),
      (err: unknown) => failed(deps, err, asked, lookedUp, started, call),
    );
  } catch (err) {
    return failed(deps, err, request, surface, started, call);
  }
}

/**
 * A deny for an error while translating or deciding: the `internal_error` decision, recorded like
 * any other, or the fixed deny when even that fails.
 */
function failed(
  deps: AuthzDeps,
  err: unknown,
  request: EgressRequest | undefined,
  surface: CheckSurface,
  started: bigint,
  call: { readonly metadata: grpc.Metadata },
): CheckResponse {
  deps.onError?.(err);
  let decision: Decision;
  try {
    if (deps.decideError === undefined) return fallbackCheckResponse(surface, 'internal error');
    decision = deps.decideError(err, surface);
  } catch (again) {
    deps.onError?.(again);
    return fallbackCheckResponse(surface, 'internal error');
  }
  return respond(deps, decision, request, surface, started, call);
}

function respond(
  deps: AuthzDeps,
  decision: Decision,
  request: EgressRequest | undefined,
  surface: CheckSurface,
  started: bigint,
  call: { readonly metadata: grpc.Metadata },
): CheckResponse {
  try {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    deps.onDecision?.(decision, request, surface, durationMs, readTraceContext(call.metadata));
  } catch (err) {
    deps.onError?.(err);
  }
  try {
    return toCheckResponse(decision, surface);
  } catch (err) {
    deps.onError?.(err);
    return fallbackCheckResponse(surface, 'internal error');
  }
}
