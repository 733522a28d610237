/**
 * Decisions leave the composition root on one `node:diagnostics_channel`; telemetry (metrics, logs,
 * OpenTelemetry) subscribes to it. Publishing costs a branch when nobody listens, so the engine and
 * the adapters pay nothing for telemetry that is off.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Decision, EgressRequest } from '../engine/types';

export const DECISION_CHANNEL = 'portcullis:decision';

export interface DecisionMessage {
  readonly decision: Decision;
  /** Absent when the request could not be translated. */
  readonly request: EgressRequest | undefined;
  /** check-http, check-l4, ext_proc, dns, dry-run. */
  readonly surface: string;
  /** Wall time from receiving the call to having the decision, in milliseconds. */
  readonly durationMs: number;
}

export const decisionChannel = diagnostics.channel(DECISION_CHANNEL);

export function publishDecision(message: DecisionMessage): void {
  if (decisionChannel.hasSubscribers) decisionChannel.publish(message);
}
