import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ConnectionGoneError, type Delivery } from '../amqp/delivery.js';
import type { Reply } from '../messages/types.js';
import type { FinishedMessage, MessageObserver, Settlement } from '../observe/observer.js';
import type { Decision } from './decision.js';
import type { RetriedAttempt } from './exit-retry.js';
import type { Outcome } from './outcomes.js';
import { buildReply } from './reply.js';

/** Pause before a message whose reply could not be published goes back to its queue, so it cannot spin. */
export const REQUEUE_DELAY_MS = 2000;

export interface SettleContext {
  log: Logger;
  job: MessageObserver;
  /**
   * Keeps a final outcome for the redelivery of a message that could not be acked, saying `why` (nothing is kept for a
   * message without identity, or a transient failure, which the redelivery tries afresh).
   */
  keep(outcome: Outcome, why: string): void;
  /** Prints the result line, once per outcome however often it is answered. */
  print(reply: Reply, outcome: Outcome): void;
  /** Tells the caller (a run.attempt message on its reply_to) of attempts retried by their exit code. */
  attemptRetried(attempts: RetriedAttempt[]): void;
  /** --retry-delay: a message whose retry copy could not be queued goes back to its queue after it. */
  retryDelayMs: number;
  /** The retry queue's name, for the operator's hint. */
  retryQueue: string;
  /** Resolves when the worker begins to shut down: pauses before a requeue are cut short. */
  draining: Promise<void>;
}

/**
 * Carries a decision out on the broker, on the connection the delivery came on: the reply, the dead-lettered or retry
 * copy (each confirmed), then the ack. When a publish fails, nothing is lost: the outcome is kept and the message
 * goes back to its queue after a pause (never a hot loop, never stuck holding a prefetch slot).
 */
export async function settle(
  delivery: Delivery,
  outcome: Outcome,
  decision: Decision,
  ctx: SettleContext,
): Promise<FinishedMessage> {
  const { log } = ctx;
  const finished = (settlement: Settlement, reply: Reply = buildReply(outcome)): FinishedMessage => ({
    settlement,
    reply,
    durationMs: outcome.durationMs,
  });
  const keep = (why: string) => ctx.keep(outcome, why);
  const requeueLater = async (delayMs: number) => {
    await Promise.race([sleep(delayMs), ctx.draining]);
    delivery.nack();
  };
  const error = outcome.error;
  /** Publishes the retry copy, then acks; a copy the broker will not take sends the message back after a pause. */
  const queueRetry = async (publish: () => Promise<void>): Promise<FinishedMessage> => {
    try {
      await publish();
    } catch (err) {
      if (err instanceof ConnectionGoneError) return finished('error');
      log.warn(
        { err },
        `could not queue the retry: the message goes back to the queue in ${ctx.retryDelayMs / 1000} ` +
          `s (check that the retry queue ${ctx.retryQueue} exists and RabbitMQ is healthy)`,
      );
      await requeueLater(ctx.retryDelayMs);
      return finished('error');
    }
    return finished(delivery.ack() ? 'retried' : 'error');
  };

  switch (decision.kind) {
    case 'keep':
      keep('the connection this message came on is gone');
      return finished('error');
    case 'redeliver':
      return finished('error');
    case 'hand-over': {
      try {
        await delivery.handOver(outcome.messageId);
      } catch (err) {
        if (err instanceof ConnectionGoneError) return finished('error');
        // n.b. the job has stopped already: the message goes back to its queue, and its next taker adopts what it left.
        log.warn({ err }, 'could not hand the message over: it goes back to its queue instead');
        delivery.nack();
        return finished('error');
      }
      log.info(
        'the ack deadline passed: handed over (a copy in the handover queue, whose taker adopts the run and answers)',
      );
      return finished(delivery.ack() ? 'handed-over' : 'error');
    }
    case 'retry': {
      log.warn(
        { code: error?.code, err: error?.message, attempt: delivery.attempt },
        `transient failure: retrying in ${ctx.retryDelayMs / 1000} s`,
      );
      return queueRetry(() => delivery.retry(error!));
    }
    case 'retry-by-exit-code': {
      const { recorded, retried } = outcome.retryByExitCode!;
      const codes = retried.map((a) => a.ExitCode).join(', ');
      const reason = { code: 'ExitCode', message: `exited with ${codes}, listed in Options.Retry.ExitCodes` };
      log.warn(
        { attempt: delivery.attempt, exitCodes: codes, instances: retried.map((a) => a.Instance).filter(Boolean) },
        `the container exited with a code Options.Retry lists: retrying in ${ctx.retryDelayMs / 1000} s`,
      );
      return queueRetry(async () => {
        await delivery.retryByExitCode(reason, recorded);
        ctx.attemptRetried(retried);
      });
    }
    case 'reply':
    case 'reply-and-dead-letter': {
      const reply = buildReply(outcome, {
        gaveUpAfter: decision.kind === 'reply-and-dead-letter' ? decision.gaveUpAfter : undefined,
      });
      ctx.print(reply, outcome);
      try {
        await Promise.all([
          delivery.reply(reply),
          decision.kind === 'reply-and-dead-letter' ? delivery.deadLetter(error!) : undefined,
        ]);
      } catch (err) {
        if (err instanceof ConnectionGoneError) {
          keep('the connection this message came on is gone');
          return finished('error', reply);
        }
        log.error(
          { err },
          'could not publish the reply; the message goes back to the queue (check ' +
            'the broker: are the reply and dead-letter queues there and not full?)',
        );
        keep('its reply could not be published');
        await requeueLater(REQUEUE_DELAY_MS);
        return finished('error', reply);
      }
      ctx.job.replied(reply);
      if (!delivery.ack()) {
        keep('the connection this message came on is gone');
        return finished('error', reply);
      }
      const where = { host: reply.Host, container: reply.Container?.Name };
      if (!error) log.info({ ...where, exitCode: reply.ExitCode }, 'done');
      else if (decision.kind === 'reply') log.info({ ...where, code: error.code, err: error.message }, 'replied');
      else log.warn({ ...where, code: error.code, err: error.message }, 'failed: replied and dead-lettered');
      return finished(!error ? 'ok' : decision.kind === 'reply' ? 'cancelled' : 'dead-lettered', reply);
    }
  }
}
