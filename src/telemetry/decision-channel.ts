/**
 * Decisions leave the composition root on one `node:diagnostics_channel`; telemetry (metrics, logs,
 * OpenTelemetry) subscribes to it. Publishing costs a branch when nobody listens, so the engine and
 * the adapters pay nothing for telemetry that is off.
 *
 * The channel is process-wide: one service per process, as `serve` runs it. Two services started
 * in one process (a test) would each count the other's decisions too.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Decision, EgressRequest } from '../engine/types';

export const DECISION_CHANNEL = 'portcullis:decision';

/** W3C trace context as the caller sent it (`traceparent`, `tracestate`), unparsed. */
export interface TraceCarrier {
  readonly traceparent: string;
  readonly tracestate?: string;
}

export interface DecisionMessage {
  readonly decision: Decision;
  /** Absent when the request could not be translated. */
  readonly request: EgressRequest | undefined;
  /** check-http, check-l4, ext_proc, dns, dry-run. */
  readonly surface: string;
  /** Wall time from receiving the call to having the decision, in milliseconds. */
  readonly durationMs: number;
  /** Present when Envoy traced the call: records continue its trace. */
  readonly traceContext?: TraceCarrier;
}

export const decisionChannel = diagnostics.channel(DECISION_CHANNEL);

export function publishDecision(message: DecisionMessage): void {
  if (decisionChannel.hasSubscribers) decisionChannel.publish(message);
}

/**
 * Subscribes `handler` and returns the unsubscribe function. A subscriber that throws would surface
 * as an uncaught exception (diagnostics_channel rethrows on the next tick), so failures go to
 * `onError` instead and the decision stands.
 */
export function subscribeDecisions(
  handler: (message: DecisionMessage) => void,
  onError: (err: unknown) => void = () => {},
): () => void {
  const listener = (message: unknown): void => {
    try {
      handler(message as DecisionMessage);
    } catch (err) {
      try {
        onError(err);
      } catch {
        // Reporting the failure failed too; the decision has been answered regardless.
      }
    }
  };
  diagnostics.subscribe(DECISION_CHANNEL, listener);
  return () => {
    diagnostics.unsubscribe(DECISION_CHANNEL, listener);
  };
}
