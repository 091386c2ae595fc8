import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import type { Logger } from 'pino';
import type { DispatchError } from '../errors.js';
import type { Reply } from '../messages/types.js';
import type { QueueNames } from './topology.js';

/** The broker could not route a mandatory message to any queue (for example a reply_to queue that is gone). */
export class UnroutableError extends Error {
  override readonly name = 'UnroutableError';
}

/** Header that identifies one publish, to match a basic.return with its confirm. */
const PUBLISH_ID = 'x-dispatch-publish-id';

/** Longest x-dispatch-error-message header; the full text is in the reply. */
const MAX_HEADER_CHARS = 1000;

/**
 * Publishes replies and dead-lettered copies on a confirm channel: each publish resolves only once the broker has
 * taken responsibility for the message. Messages are mandatory, so one that reaches no queue is an error, not a
 * silent drop.
 */
export class Publisher {
  private readonly returned = new Set<string>();

  constructor(
    private readonly channel: ConfirmChannel,
    private readonly names: QueueNames,
    private readonly log: Logger,
  ) {
    // n.b. the broker sends basic.return before the basic.ack of the same message.
    channel.on('return', (message: Message) => {
      const headers: unknown = message.properties.headers;
      const id = headers && typeof headers === 'object' ? (headers as Record<string, unknown>)[PUBLISH_ID] : undefined;
      if (typeof id === 'string') this.returned.add(id);
    });
  }

  /** Publishes to a queue through the default exchange and waits for the broker's confirm. */
  publish(queue: string, content: Buffer, options: Options.Publish = {}): Promise<void> {
    // Tells a returned message apart without touching its own message_id.
    const publishId = randomUUID();
    const headers = { ...(options.headers as Record<string, unknown> | undefined), [PUBLISH_ID]: publishId };
    return new Promise((resolve, reject) => {
      try {
        this.channel.publish('', queue, content, { ...options, headers, mandatory: true, persistent: true }, (err) => {
          const returned = this.returned.delete(publishId);
          if (err) reject(err instanceof Error ? err : new Error(`the broker refused the publish to ${queue}`));
          else if (returned) reject(new UnroutableError(`no queue named "${queue}" took the message`));
          else resolve();
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err))); // the channel is closed
      }
    });
  }

  /**
   * Publishes a transient message without waiting for the broker's confirm, and without asking for it back when no
   * queue takes it: for a run's live output, where the final reply (persistent, confirmed) is what counts.
   */
  publishTransient(queue: string, content: Buffer, options: Options.Publish): void {
    try {
      this.channel.publish('', queue, content, { ...options, persistent: false, mandatory: false });
    } catch {
      // n.b. the channel is closed: output published while the broker is away is lost, and Seq shows the gap.
    }
  }

  /**
   * Sends the reply to the message's reply_to with its correlation id (and `headers`: its trace), else to the reply
   * queue. When reply_to names a queue that no longer exists, the reply goes to the reply queue instead, so it is not
   * lost.
   */
  async reply(reply: Reply, request: Message['properties'], headers?: Record<string, unknown>): Promise<void> {
    const content = Buffer.from(JSON.stringify(reply));
    const options: Options.Publish = {
      headers,
      contentType: 'application/json',
      correlationId: (request.correlationId as string | undefined) ?? (request.messageId as string | undefined),
      timestamp: Math.floor(Date.now() / 1000),
      messageId: randomUUID(),
      appId: 'docker-dispatch',
      type: reply.Dockercmd ? `${reply.Dockercmd}.reply` : 'reply',
    };
    const replyTo = request.replyTo as string | undefined;
    if (!replyTo) return this.publish(this.names.replyQueue, content, options);
    try {
      await this.publish(replyTo, content, options);
    } catch (err) {
      if (!(err instanceof UnroutableError)) throw err;
      this.log.warn(
        { replyTo, replyQueue: this.names.replyQueue },
        'reply_to queue does not exist; replying to the reply queue',
      );
      await this.publish(this.names.replyQueue, content, options);
    }
  }

  /** Puts a copy of a failed message on the dead-letter queue, body and properties kept, with why it failed. */
  deadLetter(message: Message, error: DispatchError): Promise<void> {
    return this.publish(
      this.names.deadLetterQueue,
      message.content,
      copyOf(message, {
        'x-dispatch-error-code': error.code,
        'x-dispatch-error-message': error.message.slice(0, MAX_HEADER_CHARS),
        'x-dispatch-queue': this.names.queue,
        'x-dispatch-failed-at': new Date().toISOString(),
      }),
    );
  }

  /**
   * Hands a delivery over: a copy (same identity, reply_to and headers, `x-dispatch-handovers` one more) on the
   * handover queue, whose taker adopts what the message's job left and answers it.
   */
  handOver(message: Message, messageId: string): Promise<void> {
    const handovers = Number(message.properties.headers?.[HANDOVER_HEADER] ?? 0);
    const options = copyOf(message, {
      [HANDOVER_HEADER]: (Number.isSafeInteger(handovers) ? handovers : 0) + 1,
      'x-dispatch-handed-over-at': new Date().toISOString(),
    });
    // n.b. a message without identity gets the one its containers are labelled with, so the copy's taker finds them.
    if (options.messageId === undefined && options.correlationId === undefined) options.messageId = messageId;
    return this.publish(this.names.handoverQueue, message.content, options);
  }

  /**
   * Puts a copy of a message on the retry queue, where it waits out the queue's TTL and is dead-lettered back to the
   * command queue as attempt `attempt`: after a transient failure (`reason` its error), or a run's exit code that
   * Options.Retry lists (`byExitCode`: the attempts so far, and the count of such retries, in their headers).
   */
  retry(
    message: Message,
    attempt: number,
    reason: { code: string; message: string },
    byExitCode?: { attempts: unknown[]; retries: number },
  ): Promise<void> {
    return this.publish(
      this.names.retryQueue,
      message.content,
      copyOf(message, {
        [ATTEMPT_HEADER]: attempt,
        'x-dispatch-last-error-code': reason.code,
        'x-dispatch-last-error-message': reason.message.slice(0, MAX_HEADER_CHARS),
        ...(byExitCode
          ? { [ATTEMPTS_HEADER]: JSON.stringify(byExitCode.attempts), [EXIT_CODE_RETRIES_HEADER]: byExitCode.retries }
          : {}),
      }),
    );
  }
}

/** Header listing the attempts of a run retried by its exit code (Options.Retry), as JSON, oldest first. */
export const ATTEMPTS_HEADER = 'x-dispatch-attempts';

/** Header counting the retries by exit code among the attempts (the rest were transient failures). */
export const EXIT_CODE_RETRIES_HEADER = 'x-dispatch-exit-code-retries';

/** Header counting the hand-overs of a message (absent on one never handed over). */
export const HANDOVER_HEADER = 'x-dispatch-handovers';

/** Header of quorum queues: how many times the broker has delivered the message before. */
export const DELIVERY_COUNT_HEADER = 'x-delivery-count';

/** Header counting the attempts at a message: absent on the first, 2 on the first retry, and so on. */
export const ATTEMPT_HEADER = 'x-dispatch-attempt';

/** The attempt a delivery is (1 for a message never retried). */
export function attemptOf(message: Message): number {
  const headers = message.properties.headers;
  const attempt = Number(headers?.[ATTEMPT_HEADER] ?? 1);
  return Number.isSafeInteger(attempt) && attempt >= 1 ? attempt : 1;
}

/** Publish options that copy a message's properties, with headers added. */
function copyOf(message: Message, extraHeaders: Record<string, unknown>): Options.Publish {
  // n.b. the broker refuses a user_id that is not the publishing connection's own user, and an expiration would let
  // the copy vanish.
  const {
    userId: _userId,
    expiration: _expiration,
    headers,
    ...properties
  } = message.properties as unknown as Record<string, unknown>;
  const kept = Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));
  // x-death is the broker's own record of the retry queue's dead-lettering; it would only grow. x-delivery-count is
  // the quorum queue's count of this delivery, not the copy's.
  const {
    'x-death': _death,
    [DELIVERY_COUNT_HEADER]: _count,
    ...ownHeaders
  } = (headers as Record<string, unknown> | undefined) ?? {};
  return { ...kept, headers: { ...ownHeaders, ...extraHeaders } };
}
