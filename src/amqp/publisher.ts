import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import type { Logger } from 'pino';
import type { DispatchError } from '../errors.js';
import type { Reply } from '../messages/types.js';

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
    private readonly defaultReplyQueue: string,
    private readonly deadLetterQueue: string,
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
   * Sends the reply to the message's reply_to with its correlation id, else to the reply queue. When reply_to names a
   * queue that no longer exists, the reply goes to the reply queue instead, so it is not lost.
   */
  async reply(reply: Reply, request: Message['properties']): Promise<void> {
    const content = Buffer.from(JSON.stringify(reply));
    const options: Options.Publish = {
      contentType: 'application/json',
      correlationId: (request.correlationId as string | undefined) ?? (request.messageId as string | undefined),
      timestamp: Math.floor(Date.now() / 1000),
      messageId: randomUUID(),
      appId: 'docker-dispatch',
      type: reply.Dockercmd ? `${reply.Dockercmd}.reply` : 'reply',
    };
    const replyTo = request.replyTo as string | undefined;
    if (!replyTo) return this.publish(this.defaultReplyQueue, content, options);
    try {
      await this.publish(replyTo, content, options);
    } catch (err) {
      if (!(err instanceof UnroutableError)) throw err;
      this.log.warn({ replyTo, replyQueue: this.defaultReplyQueue }, 'reply_to queue does not exist; replying to the reply queue');
      await this.publish(this.defaultReplyQueue, content, options);
    }
  }

  /** Puts a copy of a failed message on the dead-letter queue, body and properties kept, with why it failed. */
  deadLetter(message: Message, sourceQueue: string, error: DispatchError): Promise<void> {
    // n.b. the broker refuses a user_id that is not the publishing connection's own user.
    const { userId: _userId, headers, ...properties } = message.properties as unknown as Record<string, unknown>;
    return this.publish(this.deadLetterQueue, message.content, {
      ...stripUndefined(properties),
      headers: {
        ...(headers as Record<string, unknown> | undefined),
        'x-dispatch-error-code': error.code,
        'x-dispatch-error-message': error.message.slice(0, MAX_HEADER_CHARS),
        'x-dispatch-queue': sourceQueue,
        'x-dispatch-failed-at': new Date().toISOString(),
      },
    });
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
