import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { Publisher } from './amqp/publisher.js';
import { declareTopology } from './amqp/topology.js';
import type { CommandResult } from './commands/context.js';
import { execute } from './commands/index.js';
import type { WorkerConfig } from './config.js';
import type { EnginePool } from './docker/pool.js';
import { DispatchError } from './errors.js';
import { parseMessage } from './messages/parse.js';
import type { Output } from './output/output.js';
import { redactUrl } from './redact.js';
import { buildReply } from './reply.js';

/** starting → running → draining → stopped. A worker never goes back. */
export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

export interface WorkerDeps {
  pool: EnginePool;
  output: Output;
  log: Logger;
}

/** Thrown when the worker cannot reach the broker at start-up. */
export class BrokerUnreachableError extends Error {
  override readonly name = 'BrokerUnreachableError';
}

/**
 * Consumes commands, carries each out on the engine pool, replies, and only then acks. Up to `prefetch` messages are
 * worked on at once; each stays unacked until its reply (and, for a failure, its dead-lettered copy) is confirmed.
 */
export class Worker {
  state: WorkerState = 'starting';
  /** Settles when the worker has stopped: resolves after close(), rejects when the broker connection failed. */
  readonly stopped: Promise<void>;

  private readonly inFlight = new Set<Promise<void>>();
  private consumerTag: string | undefined;
  private closing: Promise<void> | undefined;
  private drainStarted!: () => void;
  private readonly draining = new Promise<void>((resolve) => (this.drainStarted = resolve));
  private fail!: (err: Error) => void;
  private finish!: () => void;

  private constructor(
    private readonly config: WorkerConfig,
    private readonly deps: WorkerDeps,
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly publisher: Publisher,
  ) {
    this.stopped = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.stopped.catch(() => undefined);
  }

  /** Connects, declares the queues and starts consuming. */
  static async start(config: WorkerConfig, deps: WorkerDeps): Promise<Worker> {
    const { log } = deps;
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(config.amqpUrl, {
        clientProperties: { connection_name: `docker-dispatch ${config.queues.queue} pid ${process.pid}` },
      });
    } catch (err) {
      throw new BrokerUnreachableError(`cannot connect to RabbitMQ at ${redactUrl(config.amqpUrl)}: ${(err as Error).message}`, { cause: err });
    }
    try {
      await declareTopology(connection, config.queues, log);
      const publishChannel = await connection.createConfirmChannel();
      const channel = await connection.createChannel();
      const publisher = new Publisher(publishChannel, config.queues.replyQueue, config.queues.deadLetterQueue, log);
      const worker = new Worker(config, deps, connection, channel, publisher);
      worker.watch(publishChannel);
      await channel.prefetch(config.prefetch);
      const { consumerTag } = await channel.consume(config.queues.queue, (msg) => worker.onDelivery(msg), { noAck: false });
      worker.consumerTag = consumerTag;
      worker.state = 'running';
      log.info(
        { queue: config.queues.queue, prefetch: config.prefetch, engines: deps.pool.engines.map((e) => e.id) },
        `consuming from ${config.queues.queue}`,
      );
      return worker;
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  }

  /** Stops taking messages, lets commands in progress finish (up to the shutdown timeout), then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'draining';
      this.drainStarted();
      const { log } = this.deps;
      try {
        if (this.consumerTag) await this.channel.cancel(this.consumerTag);
      } catch (err) {
        log.debug({ err }, 'could not cancel the consumer (the channel is closed)');
      }
      if (this.inFlight.size > 0) {
        log.info({ inFlight: this.inFlight.size }, 'waiting for commands in progress to finish');
        const finished = await Promise.race([
          Promise.allSettled([...this.inFlight]).then(() => true),
          sleep(this.config.shutdownTimeoutMs, false, { ref: false }),
        ]);
        if (!finished) {
          log.warn({ inFlight: this.inFlight.size }, 'shutdown timeout passed: unfinished messages go back to the queue');
        }
      }
      await this.connection.close().catch(() => undefined);
      this.state = 'stopped';
      this.finish();
    })();
    return this.closing;
  }

  private watch(publishChannel: Channel): void {
    const lost = (what: string) => (err?: Error) => {
      if (this.state === 'draining' || this.state === 'stopped') return;
      this.state = 'stopped';
      const reason = err?.message ? `: ${err.message}` : '';
      this.fail(new Error(`${what} closed unexpectedly${reason}; unacked messages go back to the queue`));
      this.connection.close().catch(() => undefined);
    };
    this.connection.on('error', (err: Error) => this.deps.log.error({ err }, 'RabbitMQ connection error'));
    this.connection.on('close', lost('the RabbitMQ connection'));
    for (const channel of [this.channel, publishChannel]) {
      channel.on('error', (err: Error) => this.deps.log.error({ err }, 'AMQP channel error'));
      channel.on('close', lost('an AMQP channel'));
    }
  }

  private onDelivery(msg: ConsumeMessage | null): void {
    if (msg === null) {
      // n.b. the broker cancels a consumer when its queue is deleted.
      this.state = 'stopped';
      this.fail(new Error(`the broker cancelled the consumer of ${this.config.queues.queue} (was the queue deleted?)`));
      this.connection.close().catch(() => undefined);
      return;
    }
    const work = this.handle(msg).catch(async (err: unknown) => {
      this.deps.log.error({ err }, 'unexpected failure handling a message (a bug): it goes back to the queue');
      await Promise.race([sleep(this.config.requeueDelayMs), this.draining]);
      this.settle(msg, this.deps.log, 'nack');
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(msg: ConsumeMessage): Promise<void> {
    const startedAt = performance.now();
    const { properties } = msg;
    const messageId =
      (properties.messageId as string | undefined) ?? (properties.correlationId as string | undefined) ?? randomUUID();
    const log = this.deps.log.child({ messageId });
    const parsed = parseMessage(msg.content);
    const dockercmd = parsed.ok ? parsed.message.Dockercmd : parsed.dockercmd;

    let result: CommandResult = {};
    let error = parsed.ok ? undefined : parsed.error;
    if (parsed.ok) {
      log.debug({ dockercmd, redelivered: msg.fields.redelivered }, 'carrying out');
      try {
        result = await execute(parsed.message, {
          pool: this.deps.pool,
          messageId,
          queue: this.config.queues.queue,
          networkMode: this.config.networkMode,
          output: this.deps.output,
          log,
        });
      } catch (err) {
        error = err instanceof DispatchError ? err : unexpected(err, log);
      }
    }

    if (error?.disposition === 'requeue') {
      log.warn({ dockercmd, code: error.code, err: error.message }, 'transient failure: the message goes back to the queue');
      await Promise.race([sleep(this.config.requeueDelayMs), this.draining]);
      this.settle(msg, log, 'nack');
      return;
    }

    const reply = buildReply(messageId, dockercmd, result, error);
    this.deps.output.result(reply, performance.now() - startedAt);
    try {
      await Promise.all([
        this.publisher.reply(reply, properties),
        error ? this.publisher.deadLetter(msg, this.config.queues.queue, error) : undefined,
      ]);
    } catch (err) {
      log.error({ err }, 'could not publish the reply; the message goes back to the queue');
      await Promise.race([sleep(this.config.requeueDelayMs), this.draining]);
      this.settle(msg, log, 'nack');
      return;
    }
    if (error) log.warn({ dockercmd, code: error.code, err: error.message }, 'failed: replied and dead-lettered');
    else log.info({ dockercmd, host: reply.Host, container: reply.Container?.Name, exitCode: reply.ExitCode }, 'done');
    this.settle(msg, log, 'ack');
  }

  /** n.b. a delivery can only be acked on the channel it arrived on; if that is gone, the broker requeues it. */
  private settle(msg: ConsumeMessage, log: Logger, how: 'ack' | 'nack'): void {
    try {
      if (how === 'ack') this.channel.ack(msg);
      else this.channel.nack(msg, false, true);
    } catch (err) {
      log.warn({ err }, `could not ${how} the message: its channel is closed, the broker will redeliver it`);
    }
  }
}

function unexpected(err: unknown, log: Logger): DispatchError {
  log.error({ err }, 'unexpected error (a bug): dead-lettering the message');
  return new DispatchError('DockerError', `unexpected error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
