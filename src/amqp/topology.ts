import type { Channel, ChannelModel, Options } from 'amqplib';
import type { Logger } from 'pino';

/** The queues a worker uses. */
export interface QueueNames {
  /** Commands are consumed from here. */
  queue: string;
  /** Replies go here when a message has no reply_to. */
  replyQueue: string;
  /** Copies of messages that failed for good go here, with x-dispatch-error-* headers. */
  deadLetterQueue: string;
  /** Messages that failed transiently wait here (per-queue TTL), then are dead-lettered back to `queue`. */
  retryQueue: string;
}

export interface Topology {
  names: QueueNames;
  /** The retry queue's x-message-ttl. */
  retryDelayMs: number;
}

/** The command queue when -q names none. */
export const DEFAULT_QUEUE = 'docker-dispatch';

export function queueNames(queue: string, replyQueue?: string, deadLetterQueue?: string): QueueNames {
  return {
    queue,
    replyQueue: replyQueue ?? `${queue}.replies`,
    deadLetterQueue: deadLetterQueue ?? `${queue}.dead`,
    retryQueue: `${queue}.retry`,
  };
}

/**
 * Declares the queues durable. A queue that already exists with other arguments (say a non-durable command queue
 * declared by an older producer) is used as it is, with a warning, rather than failing the start.
 */
export async function declareTopology(
  connection: ChannelModel,
  { names, retryDelayMs }: Topology,
  log: Logger,
): Promise<void> {
  await ensureQueue(connection, names.queue, { durable: true }, log);
  await ensureQueue(connection, names.replyQueue, { durable: true }, log);
  await ensureQueue(connection, names.deadLetterQueue, { durable: true }, log);
  await ensureQueue(
    connection,
    names.retryQueue,
    {
      durable: true,
      // n.b. expired messages are dead-lettered through the default exchange straight back to the command queue.
      arguments: {
        'x-message-ttl': retryDelayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': names.queue,
      },
    },
    log,
    'its x-message-ttl keeps the old retry delay; delete the queue to apply --retry-delay',
  );
}

async function ensureQueue(
  connection: ChannelModel,
  queue: string,
  options: Options.AssertQueue,
  log: Logger,
  consequence = 'using it as it is',
): Promise<void> {
  // n.b. a failed declare closes the channel it was made on, so each attempt gets a channel of its own.
  const attempt = async <T>(operation: (channel: Channel) => Promise<T>) => {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // the rejected promise below reports it
    try {
      return await operation(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  };
  try {
    await attempt((channel) => channel.assertQueue(queue, options));
  } catch (err) {
    if ((err as { code?: number }).code !== 406) throw err;
    await attempt((channel) => channel.checkQueue(queue));
    log.warn({ queue }, `queue ${queue} exists with other arguments than the worker's; ${consequence}`);
  }
}
