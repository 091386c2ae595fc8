import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel, type Options } from 'amqplib';
import type { Logger } from 'pino';
import { readTlsFiles, type TlsFiles } from '../tls.js';
import { redactUrl } from '../redact.js';
import { CancelFeed, type StreamedCancel } from './cancel-feed.js';
import { Delivery, type DeliveryLink } from './delivery.js';
import { Publisher } from './publisher.js';
import { declareCancelStream, declareTopology, type Topology } from './topology.js';

export interface SessionOptions {
  /** Broker URLs (the nodes of a cluster), tried in turn. */
  urls: readonly string[];
  /** Files for amqps://: the CA of the broker's certificate, and a client certificate and key. */
  tls?: TlsFiles;
  topology: Topology;
  prefetch: number;
  log: Logger;
  /** Called for every delivery; must not throw. */
  onDelivery: (delivery: Delivery) => void;
  /**
   * The cancel stream: every cancel of the last `retentionMs` and each new one go to `onCancel` (must not throw); at
   * each connect, commands are consumed only once the stream has been read up to then.
   */
  cancels?: { retentionMs: number; onCancel: (cancel: StreamedCancel) => void };
  /**
   * Reconnect back-off: first delay, cap, and ± jitter fraction.
   * @default { initialMs: 500, maxMs: 30000, jitter: 0.3 }
   */
  backoff?: { initialMs: number; maxMs: number; jitter: number };
}

/** Thrown when no broker URL can be reached at start-up. */
export class BrokerUnreachableError extends Error {
  override readonly name = 'BrokerUnreachableError';
}

interface Live {
  connection: ChannelModel;
  channel: Channel;
  publishChannel: Channel;
  /** The cancel stream's consumer; absent when the broker has no streams (cancels then stay with their taker). */
  cancelChannel: Channel | undefined;
  publisher: Publisher;
  /** The consumers of the command and handover queues; empty while held, ['pending'] while being set up. */
  consumerTags: string[];
  /** What its deliveries are settled and published through. */
  link: DeliveryLink;
}

/**
 * The worker's link to RabbitMQ. Connects to the first URL that answers, declares the topology, and consumes. When
 * the connection or a channel drops, or the broker cancels the consumer, it reconnects with jittered exponential
 * back-off (over every URL), declares again and resumes consuming, without exiting. Each delivery is bound to the
 * connection it came on (see Delivery): one from an older connection can no longer be acked (the broker has already
 * put it back).
 */
export class BrokerSession extends EventEmitter {
  private live: Live | undefined;
  /** Which of the URLs the current (or last) connection is to. */
  private urlIndex = 0;
  private closed = false;
  /** Reasons not to consume now (draining, no healthy engine); consuming resumes when none is left. */
  private readonly holds = new Set<string>();
  private reconnecting: Promise<void> | undefined;
  private ready: Promise<void> = Promise.resolve();
  private markReady: () => void = () => undefined;
  private readonly cancelFeed: CancelFeed | undefined;

  constructor(private readonly options: SessionOptions) {
    super();
    const { cancels, topology, log } = options;
    if (cancels) this.cancelFeed = new CancelFeed({ stream: topology.names.cancelStream, log, ...cancels });
  }

  /** Connects at start-up: one try per URL, so a wrong URL fails fast (BrokerUnreachableError). */
  async start(): Promise<void> {
    const failures: string[] = [];
    for (const [index, url] of this.options.urls.entries()) {
      try {
        await this.open(url);
        this.urlIndex = index;
        return;
      } catch (err) {
        if (!(err instanceof ConnectFailed)) throw err;
        failures.push(`${redactUrl(url)}: ${err.message}`);
      }
    }
    throw new BrokerUnreachableError(`cannot connect to RabbitMQ at ${failures.join('; ')}`);
  }

  get connected(): boolean {
    return this.live !== undefined;
  }

  /** Resolves once connected (at once if connected now). */
  whenConnected(): Promise<void> {
    return this.live ? Promise.resolve() : this.ready;
  }

  /**
   * Stops taking new messages for `reason` (cancels the consumer) until `resume(reason)`; deliveries in flight can
   * still be settled. Holds survive reconnects.
   */
  async hold(reason: string): Promise<void> {
    this.holds.add(reason);
    const live = this.live;
    if (live && live.consumerTags.length > 0) {
      const tags = live.consumerTags;
      live.consumerTags = [];
      await Promise.all(tags.map((tag) => live.channel.cancel(tag).catch(() => undefined)));
    }
  }

  isHeld(reason: string): boolean {
    return this.holds.has(reason);
  }

  /** Lifts a hold; consuming resumes when no hold is left. */
  async resume(reason: string): Promise<void> {
    this.holds.delete(reason);
    const live = this.live;
    if (this.holds.size === 0 && live && live.consumerTags.length === 0)
      await this.consume(live).catch((err: unknown) => this.lost(live, (err as Error).message));
  }

  /**
   * Consumes the command queue, the handover queue and the control queue, each with the channel's prefetch: n.b. the
   * prefetch is per consumer (quorum queues refuse a global one), so handed-over runs and cancels never wait behind
   * new work.
   */
  private async consume(live: Live): Promise<void> {
    live.consumerTags = ['pending']; // n.b. one set of consumers per channel, even when resume is called twice at once
    const { queue, handoverQueue, controlQueue } = this.options.topology.names;
    const tags: string[] = [];
    for (const name of [queue, handoverQueue, controlQueue]) {
      const control = name === controlQueue;
      const { consumerTag } = await live.channel.consume(
        name,
        (message) =>
          message
            ? this.options.onDelivery(new Delivery(message, live.link, { control }))
            : this.lost(live, `the broker cancelled the consumer of ${name}`),
        { noAck: false },
      );
      tags.push(consumerTag);
    }
    live.consumerTags = tags;
  }

  /**
   * Publishes a cancel on the cancel stream (confirmed), for every worker on the queue; false when there is no stream
   * (a broker older than 3.9). Throws when there is no connection now, or it drops meanwhile (see whenConnected).
   */
  async publishCancel(cancel: StreamedCancel): Promise<boolean> {
    const live = this.live;
    if (!live) throw new Error('not connected to RabbitMQ');
    if (!live.cancelChannel || !this.cancelFeed) return false;
    await this.cancelFeed.publish(live.publisher, cancel);
    return true;
  }

  /** Publishes a transient message (a run's live output) without waiting for the broker; dropped while disconnected. */
  publishTransient(queue: string, content: Buffer, options: Options.Publish): void {
    this.live?.publisher.publishTransient(queue, content, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.markReady();
    const live = this.live;
    this.live = undefined;
    if (!live) return;
    // n.b. close the channels first: their close-ok comes after the acks sent on them, which a bare connection.close
    // can overtake (the broker would then requeue messages the worker had acked).
    await Promise.all([live.channel.close(), live.publishChannel.close(), live.cancelChannel?.close()]).catch(
      () => undefined,
    );
    await live.connection.close().catch(() => undefined);
  }

  private async open(url: string): Promise<void> {
    const { log, topology, prefetch } = this.options;
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(withHeartbeat(url), socketOptions(topology.names.queue, this.options.tls));
    } catch (err) {
      throw new ConnectFailed((err as Error).message, { cause: err });
    }
    try {
      await declareTopology(connection, topology, log);
      const streamDeclared = this.cancelFeed !== undefined && (await declareCancelStream(connection, topology, log));
      const publishChannel = await connection.createConfirmChannel();
      const channel = await connection.createChannel();
      const publisher = new Publisher(publishChannel, topology.names, log);
      await channel.prefetch(prefetch);
      // n.b. cancels first: a message taken before the cancels that name it are read would run.
      const made: { live?: Live } = {};
      const cancelChannel = streamDeclared
        ? await this.cancelFeed.follow(connection, publisher, (reason) => {
            if (made.live) this.lost(made.live, reason);
            else void connection.close().catch(() => undefined); // n.b. open() fails, and the reconnect starts over
          })
        : undefined;
      const live: Live = {
        connection,
        channel,
        publishChannel,
        cancelChannel,
        publisher,
        consumerTags: [],
        link: {
          // n.b. a delivery must be acked on the channel it arrived on: only while this connection is the current one.
          isCurrent: () => this.live === live,
          publisher,
          ack: (message) => channel.ack(message),
          nack: (message) => channel.nack(message, false, true),
        },
      };
      made.live = live;
      this.watch(live, cancelChannel ? [publishChannel, channel, cancelChannel] : [publishChannel, channel]);
      // n.b. live before consuming: a redelivery can arrive before consume() resolves, and must be ackable.
      this.live = live;
      if (this.holds.size === 0) await this.consume(live);
      this.markReady();
      log.info(
        { broker: redactUrl(url), queue: topology.names.queue, prefetch },
        `consuming from ${topology.names.queue}`,
      );
      this.emit('connected');
    } catch (err) {
      if (this.live?.connection === connection) this.live = undefined;
      await connection.close().catch(() => undefined);
      throw err;
    }
  }

  private watch(live: Live, channels: Channel[]): void {
    const { log } = this.options;
    live.connection.on('error', (err: Error) =>
      log.warn(
        { err },
        "RabbitMQ connection error: the worker reconnects by itself; if it keeps happening, see the broker's log",
      ),
    );
    live.connection.on('close', (err?: Error) => this.lost(live, err?.message ?? 'the connection closed'));
    for (const channel of channels) {
      channel.on('error', (err: Error) =>
        log.warn(
          { err },
          'AMQP channel closed by the broker: the worker reconnects by itself; the ' +
            'error says why (often a permission, or a queue declared with other arguments)',
        ),
      );
      channel.on('close', () => this.lost(live, 'a channel closed'));
    }
  }

  /** Drops a connection that failed in any way and reconnects (once per generation). */
  private lost(live: Live, reason: string): void {
    if (this.closed || this.live !== live) return;
    this.live = undefined;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.options.log.warn({ reason }, `lost RabbitMQ (${reason}): reconnecting; unacked messages go back to the queue`);
    this.emit('disconnected');
    live.connection.close().catch(() => undefined);
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
  }

  private async reconnect(): Promise<void> {
    const { urls, log } = this.options;
    const { initialMs, maxMs, jitter } = this.options.backoff ?? { initialMs: 500, maxMs: 30_000, jitter: 0.3 };
    for (let attempt = 0; !this.closed; attempt++) {
      const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20));
      await sleep(base * (1 - jitter + Math.random() * 2 * jitter));
      if (this.closed) return;
      // n.b. the next node first, not always the first URL: the one just lost is likely down.
      const index = (this.urlIndex + 1 + attempt) % urls.length;
      const url = urls[index]!;
      try {
        await this.open(url);
        this.urlIndex = index;
        log.info({ attempt: attempt + 1 }, 'reconnected to RabbitMQ');
        return;
      } catch (err) {
        log.warn(
          { broker: redactUrl(url), err: (err as Error).message },
          'reconnect failed; trying again with back-off (is RabbitMQ up and reachable at that URL?)',
        );
      }
    }
  }
}

/**
 * The broker connection's socket options: its name in the management UI, TLS files, and Nagle's algorithm off.
 * n.b. with Nagle on, a small write that follows another not yet acknowledged by the broker's TCP waits for that
 * acknowledgement, which the broker delays (40 ms on Linux) when it has nothing to send back: measured in the bench,
 * about one reply in four then came 40–50 ms late.
 */
export function socketOptions(queue: string, tls: TlsFiles | undefined) {
  return {
    clientProperties: { connection_name: `docker-dispatch ${queue} pid ${process.pid}` },
    noDelay: true,
    ...tlsOptions(tls),
  };
}

/** Socket options for amqps:// from the files given (read at each connect, so renewed certificates are picked up). */
function tlsOptions(tls: TlsFiles | undefined): { ca?: Buffer[]; cert?: Buffer; key?: Buffer } {
  const { ca, ...rest } = readTlsFiles(tls, 'the broker connection');
  return { ...(ca ? { ca: [ca] } : {}), ...rest };
}

/** Heartbeats on: 30 s unless the URL sets its own. */
function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '30');
  return parsed.toString();
}

/** Reaching or logging in to a broker failed (as opposed to, say, declaring a queue). */
class ConnectFailed extends Error {
  override readonly name = 'ConnectFailed';
}
