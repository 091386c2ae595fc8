import type { RecordedAttempt, RetriedAttempt } from './exit-retry.js';
import type { ReplyParts } from './reply.js';

/** What carrying out one message came to: what its reply is built from, and the error that decides its fate. */
export interface Outcome extends ReplyParts {
  /** How long the command took. */
  durationMs: number;
  /** The job was stopped at its delivery's ack deadline: no reply from here, the handed-over copy's taker answers. */
  handedOver?: boolean;
  /**
   * A run whose container exited with a code its Options.Retry lists, with retries left: no reply yet, a copy goes to
   * the retry queue with the attempts so far (`recorded`); `retried` are the attempts that ended now.
   */
  retryByExitCode?: { recorded: RecordedAttempt[]; retried: RetriedAttempt[] };
}

interface Running {
  promise: Promise<Outcome>;
  /** Later deliveries of the same message waiting for this outcome; they answer and ack in its place. */
  waiters: number;
}

/**
 * Outcomes by message identity, so a message is carried out once however often it is delivered to this worker:
 * - while it runs, a redelivery (after a reconnect) waits for the same outcome instead of running it again;
 * - once it has finished but could not be acked (its connection dropped), the outcome is kept until the redelivery
 *   comes to answer and ack it. Kept outcomes are bounded in number and age.
 */
export class OutcomeStore {
  private readonly running = new Map<string, Running>();
  private readonly finished = new Map<string, { outcome: Outcome; at: number }>();

  constructor(
    private readonly maxKept = 1000,
    private readonly keepMs = 60 * 60 * 1000,
  ) {}

  /**
   * Carries out `work` for `identity`, or joins the run already under way for it. The delivery that ran it learns how
   * many later deliveries joined (`waiters`): they answer and ack in its place.
   */
  async once(
    identity: string,
    work: () => Promise<Outcome>,
  ): Promise<{ outcome: Outcome; joined: boolean; waiters: number }> {
    const current = this.running.get(identity);
    if (current) {
      current.waiters += 1;
      return { outcome: await current.promise, joined: true, waiters: 0 };
    }
    const entry: Running = { promise: work(), waiters: 0 };
    this.running.set(identity, entry);
    try {
      const outcome = await entry.promise;
      return { outcome, joined: false, waiters: entry.waiters };
    } finally {
      this.running.delete(identity);
    }
  }

  /** Keeps the outcome of a message that finished but could not be acked. */
  keep(identity: string, outcome: Outcome): void {
    this.prune();
    this.finished.delete(identity);
    this.finished.set(identity, { outcome, at: Date.now() });
    while (this.finished.size > this.maxKept) this.finished.delete(this.finished.keys().next().value!);
  }

  /** Takes back a kept outcome (once). */
  take(identity: string): Outcome | undefined {
    this.prune();
    const kept = this.finished.get(identity);
    this.finished.delete(identity);
    return kept?.outcome;
  }

  get keptCount(): number {
    return this.finished.size;
  }

  private prune(): void {
    const oldest = Date.now() - this.keepMs;
    for (const [identity, { at }] of this.finished) {
      if (at >= oldest) break; // insertion order is age order
      this.finished.delete(identity);
    }
  }
}
