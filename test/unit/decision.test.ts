import { describe, expect, it } from 'vitest';
import { decide, type Decision } from '../../src/delivery/decision.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';

const MAX_RETRIES = 5;

/** Every row: what came of the message, which attempt it was, whether its connection is still there → its fate. */
const TABLE: [outcome: 'ok' | ErrorCode, attempt: number, live: boolean, fate: Decision][] = [
  // A command carried out (a container exiting non-zero included): the reply, then the ack.
  ['ok', 1, true, { kind: 'reply' }],
  ['ok', 4, true, { kind: 'reply' }],
  // A permanent failure: the error reply and a dead-lettered copy, then the ack; never retried.
  ['InvalidMessage', 1, true, { kind: 'reply-and-dead-letter' }],
  ['ContainerNotFound', 1, true, { kind: 'reply-and-dead-letter' }],
  ['Timeout', 1, true, { kind: 'reply-and-dead-letter' }],
  // A cancelled message: the error reply, then the ack, and no dead-letter copy (it did what its sender asked for).
  ['Cancelled', 1, true, { kind: 'reply' }],
  ['Cancelled', 3, true, { kind: 'reply' }],
  // A transient failure: a copy to the retry queue as the next attempt, then the ack, while attempts remain…
  ['DockerUnavailable', 1, true, { kind: 'retry', nextAttempt: 2 }],
  ['DockerUnavailable', MAX_RETRIES, true, { kind: 'retry', nextAttempt: MAX_RETRIES + 1 }],
  // …then answered and dead-lettered like a permanent failure, the reply saying after how many attempts.
  ['DockerUnavailable', MAX_RETRIES + 1, true, { kind: 'reply-and-dead-letter', gaveUpAfter: MAX_RETRIES + 1 }],
  // The connection it came on is gone (it cannot be acked; the broker delivers it again): a final outcome is kept for
  // that redelivery, which is answered with it; a transient failure is tried afresh.
  ['ok', 1, false, { kind: 'keep' }],
  ['Conflict', 2, false, { kind: 'keep' }],
  ['Cancelled', 1, false, { kind: 'keep' }],
  ['DockerUnavailable', 1, false, { kind: 'redeliver' }],
  ['DockerUnavailable', MAX_RETRIES + 1, false, { kind: 'redeliver' }],
];

/** A job stopped at its delivery's ack deadline: handed over while its connection is there, else left to the broker. */
const HANDED_OVER: [attempt: number, live: boolean, fate: Decision][] = [
  [1, true, { kind: 'hand-over' }],
  [MAX_RETRIES + 1, true, { kind: 'hand-over' }],
  [1, false, { kind: 'redeliver' }],
];

describe('the fate of a delivery (decide)', () => {
  it.each(TABLE)('%s on attempt %i, connection there: %s → %j', (outcome, attempt, live, fate) => {
    const disposition = outcome === 'ok' ? 'ok' : ERROR_CODES[outcome].disposition;
    expect(decide({ outcome: disposition, attempt, maxRetries: MAX_RETRIES, live })).toEqual(fate);
  });

  it.each(Object.entries(ERROR_CODES))(
    '%s: its disposition in the code table decides, as the docs say',
    (_code, { disposition }) => {
      const fate = decide({ outcome: disposition, attempt: 1, maxRetries: MAX_RETRIES, live: true });
      const expected = { retry: 'retry', 'dead-letter': 'reply-and-dead-letter', reply: 'reply' } as const;
      expect(fate.kind).toBe(expected[disposition]);
    },
  );

  it.each(HANDED_OVER)('handed over on attempt %i, connection there: %s → %j', (attempt, live, fate) => {
    expect(decide({ outcome: 'handed-over', attempt, maxRetries: MAX_RETRIES, live })).toEqual(fate);
  });

  it('a run whose exit code Options.Retry lists goes to the retry queue; a redelivery without its connection decides again', () => {
    const input = { outcome: 'retry-by-exit-code', attempt: 2, maxRetries: MAX_RETRIES } as const;
    expect(decide({ ...input, live: true })).toEqual({ kind: 'retry-by-exit-code', nextAttempt: 3 });
    expect(decide({ ...input, live: false })).toEqual({ kind: 'redeliver' });
  });

  it('retries by exit code do not count against --max-retries', () => {
    const transient = { outcome: 'retry', maxRetries: 2, live: true } as const;
    expect(decide({ ...transient, attempt: 4, exitCodeRetries: 2 })).toEqual({ kind: 'retry', nextAttempt: 5 });
    expect(decide({ ...transient, attempt: 5, exitCodeRetries: 2 })).toEqual({
      kind: 'reply-and-dead-letter',
      gaveUpAfter: 5,
    });
  });

  it('with --max-retries 0 a transient failure is answered at once', () => {
    expect(decide({ outcome: 'retry', attempt: 1, maxRetries: 0, live: true })).toEqual({
      kind: 'reply-and-dead-letter',
      gaveUpAfter: 1,
    });
  });
});
