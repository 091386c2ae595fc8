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
  /**
   * Copies of deliveries handed over before the broker's acknowledgement timeout (a long run): consumed by every
   * worker beside `queue`, with a prefetch of its own, so they never wait behind new work.
   */
  handoverQueue: string;
  /**
   * Cancels only, consumed by every worker beside `queue` with a prefetch of its own, so a cancel overtakes a backlog
   * and reaches a worker whose every slot is taken by long runs.
   */
  controlQueue: string;
  /**
   * The cancel stream: a RabbitMQ stream (a durable, replicated log every worker reads from a point in time) of the
   * cancels of the last 24 hours, so every worker on the queue learns of each cancel, one started later included.
   */
  cancelStream: string;
}

/** Classic queues live on one node; quorum queues are replicated over a cluster (Raft). */
export const QUEUE_TYPES = ['classic', 'quorum'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

export interface Topology {
  names: QueueNames;
  /** The retry queue's x-message-ttl. */
  retryDelayMs: number;
  /** @default 'classic' */
  queueType: QueueType;
  /**
   * Quorum queues: deliveries of one message before the broker dead-letters it (x-delivery-limit), on the command and
   * handover queues.
   */
  deliveryLimit: number;
  /** Classic queues: the command queue's x-max-priority; undefined for none. */
  maxPriority?: number;
}

/** The command queue when -q names none. */
export const DEFAULT_QUEUE = 'docker-dispatch';

export function queueNames(queue: string, replyQueue?: string, deadLetterQueue?: string): QueueNames {
  return {
    queue,
    replyQueue: replyQueue ?? `${queue}.replies`,
    deadLetterQueue: deadLetterQueue ?? `${queue}.dead`,
    retryQueue: `${queue}.retry`,
    handoverQueue: `${queue}.handover`,
    controlQueue: `${queue}.control`,
    cancelStream: `${queue}.cancels`,
  };
}

/**
 * The arguments of each queue. Quorum queues are replicated, and dead-letter at least once where they dead-letter
 * (RabbitMQ 3.10: `x-dead-letter-strategy: at-least-once`, which needs `x-overflow: reject-publish`), so an expired
 * retry copy or a message over the delivery limit is not lost with a node. The delivery limit of the command and
 * handover queues sends a message that no worker survives (each delivery ends with the worker's connection) to the
 * dead-letter queue: a handed-over copy is consumed as the command queue is, and may kill workers as well. With
 * `maxPriority` the command queue orders its backlog by the messages' priority; the retry queue stays first in, first
 * out (n.b. a TTL queue expires messages only at its head), and its copies keep their priority property.
 */
export function queueArguments({
  names,
  retryDelayMs,
  queueType,
  deliveryLimit,
  maxPriority,
}: Topology): Record<keyof QueueNames, Record<string, unknown>> {
  const quorum = queueType === 'quorum';
  const type = quorum ? { 'x-queue-type': 'quorum' } : {};
  const atLeastOnce = quorum ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {};
  const limited = quorum
    ? {
        ...type,
        'x-delivery-limit': deliveryLimit,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': names.deadLetterQueue,
        ...atLeastOnce,
      }
    : {};
  return {
    queue: quorum ? limited : maxPriority === undefined ? {} : { 'x-max-priority': maxPriority },
    replyQueue: type,
    deadLetterQueue: type,
    // n.b. expired messages are dead-lettered through the default exchange straight back to the command queue.
    retryQueue: {
      ...type,
      'x-message-ttl': retryDelayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': names.queue,
      ...atLeastOnce,
    },
    handoverQueue: limited,
    controlQueue: type,
    // n.b. retention is applied a segment at a time: small segments keep the stream close to its 24 hours.
    cancelStream: { 'x-queue-type': 'stream', 'x-max-age': '24h', 'x-stream-max-segment-size-bytes': 1_000_000 },
  };
}

/**
 * Declares the cancel stream (RabbitMQ 3.9 or newer). Returns false, with a warning, when the broker has no streams or
 * a queue of that name is not a stream: cancels then reach only the worker that takes them.
 */
export async function declareCancelStream(connection: ChannelModel, topology: Topology, log: Logger): Promise<boolean> {
  const name = topology.names.cancelStream;
  try {
    await onChannelOfItsOwn(connection, (channel) =>
      channel.assertQueue(name, { durable: true, arguments: queueArguments(topology).cancelStream }),
    );
    return true;
  } catch (err) {
    log.warn(
      { queue: name, err: (err as Error).message },
      `cannot declare the cancel stream ${name} (it needs RabbitMQ 3.9 or newer, and no other queue of that name): ` +
        'a cancel reaches only the worker that takes it, and runs on other workers are not cancelled',
    );
    return false;
  }
}

/**
 * Declares the queues durable, of the worker's type. A queue that already exists with other arguments (say a
 * non-durable command queue declared by an older producer, or a classic one where the worker declares quorum) is
 * used as it is, with a warning naming both types, rather than failing the start.
 */
export async function declareTopology(connection: ChannelModel, topology: Topology, log: Logger): Promise<void> {
  const args = queueArguments(topology);
  for (const key of [
    'queue',
    'replyQueue',
    'deadLetterQueue',
    'retryQueue',
    'handoverQueue',
    'controlQueue',
  ] as const) {
    const consequence =
      key === 'retryQueue'
        ? 'its x-message-ttl keeps the old retry delay; delete the queue to apply --retry-delay'
        : 'using it as it is';
    await ensureQueue(
      connection,
      topology.names[key],
      { durable: true, arguments: args[key] },
      topology.queueType,
      log,
      consequence,
    );
  }
}

async function ensureQueue(
  connection: ChannelModel,
  queue: string,
  options: Options.AssertQueue,
  wanted: QueueType,
  log: Logger,
  consequence: string,
): Promise<void> {
  try {
    await onChannelOfItsOwn(connection, (channel) => channel.assertQueue(queue, options));
  } catch (err) {
    if ((err as { code?: number }).code !== 406) throw err;
    await onChannelOfItsOwn(connection, (channel) => channel.checkQueue(queue));
    const { type: existing, differing } = await existingArguments(connection, queue, options);
    const types =
      existing === undefined || existing === wanted
        ? ''
        : ` (it is a ${existing} queue; the worker declares ${wanted} queues, --queue-type)`;
    const wantedPriority = (options.arguments as Record<string, unknown> | undefined)?.['x-max-priority'];
    const priority = priorityMeaning(differing, wantedPriority as number | undefined);
    log.warn(
      { queue, existing, wanted, reason: (err as Error).message },
      `queue ${queue} exists with other arguments than the worker's${types}; ${priority}${consequence}`,
    );
  }
}

/** n.b. a failed declare closes the channel it was made on, so each attempt gets a channel of its own. */
async function onChannelOfItsOwn<T>(connection: ChannelModel, operation: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // the rejected promise reports it
  try {
    return await operation(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/**
 * What a queue with other priorities than the worker's means for them, for the warning; '' when they agree.
 * `differing` maps each argument the queue has otherwise to its value there (undefined: it has none).
 */
function priorityMeaning(differing: Map<string, Argument | undefined>, wanted: number | undefined): string {
  if (!differing.has('x-max-priority')) return '';
  const current = differing.get('x-max-priority');
  if (current === undefined)
    return (
      `it has no x-max-priority, so message priorities are ignored on it (to apply --max-priority ${wanted}, ` +
      'delete the queue while it is empty and start the worker again); '
    );
  if (wanted === undefined)
    return `it has x-max-priority ${current}, so its backlog is ordered by priority without --max-priority; `;
  return `its x-max-priority is ${current}, not --max-priority ${wanted}: a priority above ${current} counts as ${current}; `;
}

/** An argument's value as the broker names it in an inequivalent-argument error. */
type Argument = string | number;

/** "received X but current is Y", Y being `none`, `the value 'v' of type 't'`, or `'v'`. */
const INEQUIVALENT = /inequivalent arg '([^']+)'.*?but current is (none|the value '(.*?)' of type '(\w+)'|'([^']*)')/;

/**
 * The type of an existing queue that refused the worker's declaration, and the arguments it has otherwise (each with
 * its value there, undefined when it has none). AMQP 0-9-1 does not say them, and the broker names one inequivalent
 * argument at a time, so the declaration is repeated with each named argument as the queue has it until it passes (or
 * names the type): a few declares, at start-up only, for the warning's sake.
 */
async function existingArguments(
  connection: ChannelModel,
  queue: string,
  options: Options.AssertQueue,
): Promise<{ type: string | undefined; differing: Map<string, Argument | undefined> }> {
  const args: Record<string, unknown> = { ...(options.arguments as Record<string, unknown>) };
  const differing = new Map<string, Argument | undefined>();
  let durable = options.durable;
  for (let tries = 0; tries < 12; tries++) {
    try {
      await onChannelOfItsOwn(connection, (channel) => channel.assertQueue(queue, { durable, arguments: args }));
      const type = typeof args['x-queue-type'] === 'string' ? args['x-queue-type'] : 'classic';
      return { type, differing };
    } catch (err) {
      const match = INEQUIVALENT.exec((err as Error).message);
      if (!match) break;
      const name = match[1]!;
      const raw = match[3] ?? match[5];
      const [none, kind] = [match[2] === 'none', match[4]];
      if (name === 'x-queue-type') return { type: none ? 'classic' : raw, differing };
      if (name === 'durable') {
        durable = !durable;
        continue;
      }
      // n.b. a number the broker quotes ('5', or '5' of type 'byte') is declared as a number again.
      const string = kind === 'longstr' || (kind === undefined && typeof args[name] === 'string');
      const current = none ? undefined : string ? raw! : Number(raw);
      if (current === undefined) delete args[name];
      else args[name] = current;
      differing.set(name, current);
    }
  }
  return { type: undefined, differing };
}
