import type { ChannelModel } from 'amqplib';
import type { Logger } from 'pino';

/** The queues a worker uses. */
export interface QueueNames {
  /** Commands are consumed from here. */
  queue: string;
  /** Replies go here when a message has no reply_to. */
  replyQueue: string;
  /** Copies of messages that failed for good go here, with x-dispatch-error-* headers. */
  deadLetterQueue: string;
}

export function queueNames(queue: string, replyQueue?: string, deadLetterQueue?: string): QueueNames {
  return { queue, replyQueue: replyQueue ?? `${queue}.replies`, deadLetterQueue: deadLetterQueue ?? `${queue}.dead` };
}

/**
 * Declares the queues durable. A queue that already exists with other arguments (say a non-durable command queue
 * declared by an older producer) is used as it is, with a warning, rather than failing the start.
 */
export async function declareTopology(connection: ChannelModel, names: QueueNames, log: Logger): Promise<void> {
  for (const queue of [names.queue, names.replyQueue, names.deadLetterQueue]) {
    await ensureQueue(connection, queue, log);
  }
}

async function ensureQueue(connection: ChannelModel, queue: string, log: Logger): Promise<void> {
  // n.b. a failed declare closes the channel it was made on, so each attempt gets a channel of its own.
  const attempt = async <T>(operation: (ch: Awaited<ReturnType<ChannelModel['createChannel']>>) => Promise<T>) => {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // the rejected promise below reports it
    try {
      return await operation(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  };
  try {
    await attempt((ch) => ch.assertQueue(queue, { durable: true }));
  } catch (err) {
    if ((err as { code?: number }).code !== 406) throw err;
    await attempt((ch) => ch.checkQueue(queue));
    log.warn({ queue }, `queue ${queue} exists with other arguments than {durable: true}; using it as it is`);
  }
}
