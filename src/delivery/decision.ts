import type { Disposition } from '../errors.js';

/**
 * What becomes of a delivery, once its outcome is known:
 * - `reply`: the reply is published (confirmed), then the message is acked;
 * - `reply-and-dead-letter`: the error reply and a copy in the dead-letter queue are published, then it is acked;
 *   `gaveUpAfter` is set when a transient failure has run out of retries (the reply says after how many attempts);
 * - `retry`: a copy goes to the retry queue as the next attempt, then it is acked (no reply yet);
 * - `retry-by-exit-code`: the same, for a run whose container exited with a code its Options.Retry lists (with the
 *   attempts so far in the copy's headers);
 * - `keep`: its connection is gone, so it cannot be acked; the outcome is kept, and the redelivery that follows is
 *   answered with it instead of being carried out again;
 * - `redeliver`: its connection is gone and the outcome was a transient failure, or its job was handed over: nothing
 *   is kept, the redelivery is carried out afresh;
 * - `hand-over`: its job was handed over (the delivery reached the ack deadline): a confirmed copy goes to the
 *   handover queue, then it is acked; whoever takes the copy adopts what the job left and answers.
 */
export type Decision =
  | { kind: 'reply' }
  | { kind: 'reply-and-dead-letter'; gaveUpAfter?: number }
  | { kind: 'retry'; nextAttempt: number }
  | { kind: 'retry-by-exit-code'; nextAttempt: number }
  | { kind: 'keep' }
  | { kind: 'redeliver' }
  | { kind: 'hand-over' };

export interface DecisionInput {
  /**
   * The outcome: `ok`, the disposition of its error's code (errors.ts decides it per code), or `handed-over` for a
   * job stopped at its ack deadline.
   */
  outcome: 'ok' | Disposition | 'handed-over' | 'retry-by-exit-code';
  /** Which attempt this delivery is (1 for a message never retried). */
  attempt: number;
  /**
   * How many of the attempts before this one were retries by exit code (Options.Retry, which has its own Max): they
   * do not count against --max-retries.
   * @default 0
   */
  exitCodeRetries?: number;
  /** --max-retries: retries a transient failure gets before it is answered. */
  maxRetries: number;
  /** The delivery's connection is still there, so it can be settled. */
  live: boolean;
}

/**
 * The product's most important rule, in one place: outcome × attempt × --max-retries × connection → what becomes of
 * the message. Pure; the worker carries the decision out (see settle.ts), and test/unit/decision.test.ts holds it as
 * a table beside the error codes' table in the docs.
 */
export function decide({ outcome, attempt, maxRetries, live, exitCodeRetries = 0 }: DecisionInput): Decision {
  if (outcome === 'handed-over') return live ? { kind: 'hand-over' } : { kind: 'redeliver' };
  // n.b. its container exited: a redelivery adopts it and comes to the same decision.
  if (outcome === 'retry-by-exit-code')
    return live ? { kind: 'retry-by-exit-code', nextAttempt: attempt + 1 } : { kind: 'redeliver' };
  if (!live) return outcome === 'retry' ? { kind: 'redeliver' } : { kind: 'keep' };
  // n.b. a cancelled message is answered and acked like a success: it did what its sender asked for.
  if (outcome === 'ok' || outcome === 'reply') return { kind: 'reply' };
  if (outcome === 'dead-letter') return { kind: 'reply-and-dead-letter' };
  return attempt - exitCodeRetries <= maxRetries
    ? { kind: 'retry', nextAttempt: attempt + 1 }
    : { kind: 'reply-and-dead-letter', gaveUpAfter: attempt };
}
