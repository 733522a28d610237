import {
  decisionChannel,
  publishDecision,
  subscribeDecisions,
  type DecisionMessage,
} from './decision-channel';
import { decisionFixture } from '../../test/support/telemetry';

const message: DecisionMessage = {
  decision: decisionFixture(),
  request: undefined,
  surface: 'check-http',
  durationMs: 1,
};

describe('the decision channel', () => {
  it('delivers to subscribers until they unsubscribe', () => {
    const seen: DecisionMessage[] = [];
    const off = subscribeDecisions((m) => seen.push(m));
    publishDecision(message);
    off();
    publishDecision(message);
    expect(seen).toEqual([message]);
    expect(decisionChannel.hasSubscribers).toBe(false);
  });

  it('hands a throwing subscriber to onError, and the others still run', () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const offA = subscribeDecisions(
      () => {
        throw new Error('sink down');
      },
      (err) => errors.push(err),
    );
    const offB = subscribeDecisions((m) => seen.push(m.decision.id));
    expect(() => publishDecision(message)).not.toThrow();
    offA();
    offB();
    expect([errors.length, seen]).toEqual([1, [message.decision.id]]);
  });
});
