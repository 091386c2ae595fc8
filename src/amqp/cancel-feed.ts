import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Publisher } from './publisher.js';

/** A cancel as the stream carries it. */
export interface StreamedCancel {
  messageId: string;
  timeSeconds: number;
  /** ms since the epoch. */
  at: number;
}

/** Credit of the stream consumer (streams refuse a consumer without a prefetch). */
const STREAM_PREFETCH = 100;
/** Longest wait, at each connect, for the stream to be read up to now before consuming commands anyway. */
const CATCH_UP_TIMEOUT_MS = 30_000;

type StreamRecord = { Type: 'cancel'; MessageId: string; Time: number; At: string } | { Type: 'sync'; Id: string };

/**
 * Follows the cancel stream: every cancel of the last `retentionMs`, then each new one, to `onCancel`. At each
 * connect it reads on from where it left off (at the first, from `retentionMs` back), and resolves once it has read
 * everything published before it connected, so no message is taken before the cancels that name it are known: it
 * publishes a sync record of its own and waits for it to come back.
 */
export class CancelFeed {
  /** The offset of the last record read (the broker's x-stream-offset), to read on from after a reconnect. */
  private lastOffset: number | undefined;

  constructor(
    private readonly options: {
      stream: string;
      retentionMs: number;
      log: Logger;
      onCancel: (cancel: StreamedCancel) => void;
    },
  ) {}

  /** Publishes a cancel (confirmed) for every worker to read. */
  publish(publisher: Publisher, cancel: StreamedCancel): Promise<void> {
    const record: StreamRecord = {
      Type: 'cancel',
      MessageId: cancel.messageId,
      Time: cancel.timeSeconds,
      At: new Date(cancel.at).toISOString(),
    };
    return publisher.publish(this.options.stream, Buffer.from(JSON.stringify(record)), {
      contentType: 'application/json',
    });
  }

  /**
   * Consumes the stream on a channel of its own, and resolves with that channel once caught up (or, with a warning,
   * after CATCH_UP_TIMEOUT_MS). `lost` is told when the broker cancels the consumer (the stream deleted, its member
   * gone): n.b. that leaves the channel open, so the connection must be given up for the stream to be read again.
   */
  async follow(connection: ChannelModel, publisher: Publisher, lost: (reason: string) => void): Promise<Channel> {
    const { stream, retentionMs, log } = this.options;
    const channel = await connection.createChannel();
    await channel.prefetch(STREAM_PREFETCH);
    const marker = randomUUID();
    let caughtUp!: () => void;
    const synced = new Promise<void>((resolve) => (caughtUp = resolve));
    // n.b. a stream is read from an offset: after a reconnect, the next record; at first, the retention's start.
    const offset =
      this.lastOffset === undefined
        ? { '!': 'timestamp', value: Math.floor((Date.now() - retentionMs) / 1000) }
        : this.lastOffset + 1;
    await channel.consume(
      stream,
      (message) => {
        if (!message) return lost(`the broker cancelled the consumer of ${stream}`);
        this.read(message, marker, caughtUp);
        channel.ack(message);
      },
      { noAck: false, arguments: { 'x-stream-offset': offset } },
    );
    const sync: StreamRecord = { Type: 'sync', Id: marker };
    await publisher.publish(stream, Buffer.from(JSON.stringify(sync)), { contentType: 'application/json' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      synced.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CATCH_UP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut)
      log.warn(
        { stream },
        `the cancel stream was not read up to now within ${CATCH_UP_TIMEOUT_MS / 1000} s: taking messages anyway ` +
          '(a message cancelled just before may still run; check the stream queue on the broker)',
      );
    return channel;
  }

  private read(message: ConsumeMessage, marker: string, caughtUp: () => void): void {
    const offset: unknown = message.properties.headers?.['x-stream-offset'];
    if (typeof offset === 'number') this.lastOffset = offset;
    let record: Partial<StreamRecord> & { [key: string]: unknown };
    try {
      record = JSON.parse(message.content.toString('utf8')) as typeof record;
    } catch {
      this.options.log.warn({ stream: this.options.stream }, 'ignoring a record of the cancel stream that is not JSON');
      return;
    }
    if (record.Type === 'sync') {
      if (record.Id === marker) caughtUp();
      return;
    }
    const at = typeof record.At === 'string' ? Date.parse(record.At) : NaN;
    if (record.Type !== 'cancel' || typeof record.MessageId !== 'string' || Number.isNaN(at)) {
      this.options.log.warn({ stream: this.options.stream }, 'ignoring a record of the cancel stream of unknown shape');
      return;
    }
    if (at < Date.now() - this.options.retentionMs) return;
    const time = record.Time;
    this.options.onCancel({
      messageId: record.MessageId,
      timeSeconds: typeof time === 'number' && Number.isSafeInteger(time) && time >= 0 ? time : 10,
      at,
    });
  }
}
