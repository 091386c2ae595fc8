import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { attemptOf } from '../amqp/publisher.js';
import { BrokerSession, type Delivery } from '../amqp/session.js';
import { execute } from '../commands/index.js';
import type { WorkerConfig } from '../config.js';
import type { Placement } from '../docker/placement.js';
import type { EnginePool } from '../docker/pool.js';
import { DispatchError } from '../errors.js';
import { parseMessage, type ParseResult } from '../messages/parse.js';
import type { Templates } from '../messages/templates.js';
import type { CommandMessage, CommandResult } from '../messages/types.js';
import { OutcomeStore, type Outcome } from './outcomes.js';
import { Policy } from '../policy/policy.js';
import { NO_OBSERVER, type FinishedMessage, type MessageObserver, type Settlement, type WorkerObserver } from '../observe/observer.js';
import type { Output } from '../output/output.js';
import { buildReply } from './reply.js';

export { BrokerUnreachableError } from '../amqp/session.js';

/** starting → running → draining → stopped. A worker never goes back. */
export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

export interface WorkerDeps {
  pool: EnginePool;
  placement: Placement;
  output: Output;
  log: Logger;
  /** Told about every message, for metrics and the status page. */
  observer?: WorkerObserver;
  /** --templates, merged into run messages that name one. */
  templates?: Templates;
}

/** The session hold while no engine is healthy. */
const NO_ENGINE = 'no healthy engine';

/** Pause before a message whose handling hit a bug goes back to its queue, so it cannot spin. */
const BUG_REQUEUE_DELAY_MS = 2000;

/**
 * Consumes commands, carries each out on the engine pool, replies, and only then acks. Up to `prefetch` messages are
 * worked on at once; each stays unacked until its reply (and, for a failure, its dead-lettered or retried copy) is
 * confirmed. The broker connection is recovered in place; runs keep going while it is away.
 */
export class Worker {
  state: WorkerState = 'starting';
  /** Resolves when the worker has stopped after close(). */
  readonly stopped: Promise<void>;

  private readonly session: BrokerSession;
  private readonly policy: Policy;
  private readonly outcomes = new OutcomeStore();
  private readonly printed = new WeakSet<Outcome>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private finish!: () => void;
  private drainStarted!: () => void;
  private readonly draining = new Promise<void>((resolve) => (this.drainStarted = resolve));

  private constructor(
    private readonly config: WorkerConfig,
    private readonly deps: WorkerDeps,
  ) {
    this.stopped = new Promise<void>((resolve) => (this.finish = resolve));
    this.policy = new Policy(config.policy);
    this.session = new BrokerSession({
      urls: config.amqpUrls,
      tls: config.amqpTls,
      topology: { names: config.queues, retryDelayMs: config.retryDelayMs },
      prefetch: config.prefetch,
      log: deps.log,
      onDelivery: (delivery) => this.onDelivery(delivery),
    });
  }

  /**
   * Connects (failing fast when no broker URL answers), declares the queues and starts consuming. While no engine is
   * healthy it does not consume, rather than cycling messages through errors; it resumes when one comes back.
   */
  static async start(config: WorkerConfig, deps: WorkerDeps): Promise<Worker> {
    const worker = new Worker(config, deps);
    const onHealthy = (healthy: number) => void worker.engineHold(healthy);
    deps.pool.on('healthy', onHealthy);
    if (deps.pool.healthyCount === 0) await worker.engineHold(0);
    await worker.session.start();
    worker.state = 'running';
    return worker;
  }

  private engineHold(healthy: number): Promise<void> {
    const { log } = this.deps;
    if (healthy === 0) {
      log.error('no Docker engine is healthy: not taking messages until one answers again (they wait in the queue)');
      return this.session.hold(NO_ENGINE);
    }
    if (this.session.isHeld(NO_ENGINE)) log.info({ healthy }, 'an engine is healthy again: taking messages');
    return this.session.resume(NO_ENGINE);
  }

  /** The broker session: `connected`, and its 'connected' and 'disconnected' events. */
  get broker(): BrokerSession {
    return this.session;
  }

  /** Stops taking messages, lets commands in progress finish (up to the shutdown timeout), then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'draining';
      this.drainStarted();
      const { log } = this.deps;
      await this.session.hold('draining');
      if (this.inFlight.size > 0) {
        log.info({ inFlight: this.inFlight.size }, 'waiting for commands in progress to finish');
        const finished = await Promise.race([
          Promise.allSettled([...this.inFlight]).then(() => true),
          sleep(this.config.shutdownTimeoutMs, false, { ref: false }),
        ]);
        if (!finished) log.warn({ inFlight: this.inFlight.size }, 'shutdown timeout passed: unfinished messages go back to the queue, and the next worker adopts their containers (raise --shutdown-timeout to let long runs finish)');
      }
      await this.session.close();
      this.state = 'stopped';
      this.finish();
    })();
    return this.closing;
  }

  private onDelivery(delivery: Delivery): void {
    const work = this.handle(delivery).catch(async (err: unknown) => {
      this.deps.log.error({ err }, 'unexpected failure handling a message (a bug: please report it with this line): the message goes back to the queue');
      await Promise.race([sleep(BUG_REQUEUE_DELAY_MS), this.draining]);
      this.session.settle(delivery, 'nack');
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(delivery: Delivery): Promise<void> {
    const { message } = delivery;
    const { properties } = message;
    // A message's identity: its message_id, else its correlation_id. Without either it gets an id of its own.
    const identity = (properties.messageId as string | undefined) ?? (properties.correlationId as string | undefined);
    const messageId = identity ?? randomUUID();
    const startedAt = performance.now();
    const parsed = parseMessage(message.content, { maxBytes: this.config.maxMessageBytes, templates: this.deps.templates });
    const dockercmd = parsed.ok ? parsed.message.Dockercmd : parsed.dockercmd;
    const log = this.deps.log.child({ messageId, dockercmd });
    const job = (this.deps.observer ?? NO_OBSERVER).received({
      messageId,
      dockercmd,
      image: parsed.ok && parsed.message.Dockercmd === 'run' ? parsed.message.Image : undefined,
      seenBefore: message.fields.redelivered || attemptOf(message) > 1,
    });
    let finished: FinishedMessage = { settlement: 'error', reply: undefined, durationMs: undefined };
    try {
      finished = await this.dispatch(delivery, { parsed, startedAt, messageId, identity, job }, log);
    } finally {
      job.finished(finished);
    }
  }

  /** Carries out a message once, however often it is delivered here, and settles this delivery. */
  private async dispatch(delivery: Delivery, work: Work, log: Logger): Promise<FinishedMessage> {
    const { identity } = work;
    if (identity === undefined) return this.settle(delivery, await this.carryOut(delivery, work, log), undefined, log, work.job);
    const kept = this.outcomes.take(identity);
    if (kept) {
      log.info('redelivered: answering with the result kept for it, not carrying it out again');
      return this.settle(delivery, kept, identity, log, work.job);
    }
    const { outcome, joined, waiters } = await this.outcomes.once(identity, () => this.carryOut(delivery, work, log));
    if (joined) log.info('redelivered while in progress here: answering with the same result');
    // A later delivery of this message waits for this outcome; if this one's connection is gone, that one answers.
    if (waiters > 0 && this.session.currentGeneration !== delivery.generation) return finishedAs('error', outcome);
    return this.settle(delivery, outcome, identity, log, work.job);
  }

  /** Carries out a parsed message; never throws for a failure of the command itself. */
  private async carryOut(delivery: Delivery, work: Work, log: Logger): Promise<Outcome> {
    const { message } = delivery;
    const { parsed, messageId, identity, startedAt, job } = work;
    const dockercmd = parsed.ok ? parsed.message.Dockercmd : parsed.dockercmd;
    let result: CommandResult = {};
    let error = parsed.ok ? undefined : parsed.error;
    if (parsed.ok) {
      const attempt = attemptOf(message);
      log.debug({ attempt, redelivered: message.fields.redelivered }, 'carrying out');
      try {
        result = await execute(parsed.message, {
          pool: this.deps.pool,
          placement: this.deps.placement,
          messageId,
          identity,
          seenBefore: message.fields.redelivered || attempt > 1,
          lastAttempt: attempt > this.config.maxRetries,
          queue: this.config.queues.queue,
          policy: this.policy,
          maxOutputBytes: this.config.maxOutputBytes,
          requestTimeoutMs: this.config.requestTimeoutMs,
          output: this.deps.output,
          log,
          onContainer: (host, container) => job.started({ host, container }),
        });
      } catch (err) {
        error = withoutEnvValues(err instanceof DispatchError ? err : unexpected(err, log), parsed.message);
      }
    }
    const reply = buildReply(messageId, dockercmd, result, error);
    return { reply, error, durationMs: performance.now() - startedAt };
  }

  /**
   * Decides the message's fate from its outcome and carries it out: a retry (a copy in the retry queue), or a reply
   * (plus a dead-lettered copy for a failure), then the ack. An outcome whose delivery can no longer be acked is kept
   * for the redelivery.
   */
  private async settle(
    delivery: Delivery,
    outcome: Outcome,
    identity: string | undefined,
    log: Logger,
    job: MessageObserver,
  ): Promise<FinishedMessage> {
    const { message, generation } = delivery;
    const { error } = outcome;
    const attempt = attemptOf(message);
    const publisher = this.session.publisherFor(generation);
    const keep = (why: string) => {
      // Only a final outcome is worth keeping: a transient failure is tried afresh when the message comes back.
      if (identity !== undefined && error?.disposition !== 'retry') {
        this.outcomes.keep(identity, outcome);
        log.info(`${why}: keeping its result for the redelivery, which is answered with it and not carried out again`);
      }
      return finishedAs('error', outcome);
    };
    const gone = 'the connection this message came on is gone';
    // The message goes back to the queue after a pause: never a hot loop, and never stuck holding a prefetch slot.
    const requeueLater = async (delayMs: number) => {
      await Promise.race([sleep(delayMs), this.draining]);
      this.session.settle(delivery, 'nack');
    };
    if (!publisher) return keep(gone);

    if (error?.disposition === 'retry' && attempt <= this.config.maxRetries) {
      log.warn(
        { code: error.code, err: error.message, attempt, maxRetries: this.config.maxRetries },
        `transient failure: retrying in ${this.config.retryDelayMs / 1000} s`,
      );
      try {
        await publisher.retry(message, attempt + 1, error);
      } catch (err) {
        if (this.session.currentGeneration !== generation) return finishedAs('error', outcome);
        log.warn(
          { err },
          `could not queue the retry: the message goes back to the queue in ${this.config.retryDelayMs / 1000} s (check that the retry queue ${this.config.queues.retryQueue} exists and RabbitMQ is healthy)`,
        );
        await requeueLater(this.config.retryDelayMs);
        return finishedAs('error', outcome);
      }
      return finishedAs(this.session.settle(delivery, 'ack') ? 'retried' : 'error', outcome);
    }

    const reply =
      error?.disposition === 'retry'
        ? { ...outcome.reply, Error: { Code: error.code, Message: `${error.message} (gave up after ${attempt} attempts)` } }
        : outcome.reply;
    if (!this.printed.has(outcome)) {
      this.printed.add(outcome);
      this.deps.output.result(reply, outcome.durationMs);
    }
    try {
      await Promise.all([publisher.reply(reply, message.properties), error ? publisher.deadLetter(message, error) : undefined]);
    } catch (err) {
      if (this.session.currentGeneration !== generation) return keep(gone);
      log.error({ err }, 'could not publish the reply; the message goes back to the queue (check the broker: are the reply and dead-letter queues there and not full?)');
      keep('its reply could not be published');
      await requeueLater(BUG_REQUEUE_DELAY_MS);
      return finishedAs('error', outcome, reply);
    }
    job.replied(reply);
    if (!this.session.settle(delivery, 'ack')) return { ...keep(gone), reply };
    if (error) log.warn({ host: reply.Host, container: reply.Container?.Name, code: error.code, err: error.message }, 'failed: replied and dead-lettered');
    else log.info({ host: reply.Host, container: reply.Container?.Name, exitCode: reply.ExitCode }, 'done');
    return finishedAs(error ? 'dead-lettered' : 'ok', outcome, reply);
  }
}

/** One delivery's message, read, on its way to an outcome. */
interface Work {
  parsed: ParseResult;
  /** When the message was read (performance.now()). */
  startedAt: number;
  messageId: string;
  identity: string | undefined;
  job: MessageObserver;
}

function finishedAs(settlement: Settlement, outcome: Outcome, reply = outcome.reply): FinishedMessage {
  return { settlement, reply, durationMs: outcome.durationMs };
}

/**
 * The error with the message's Env values replaced by ***: an engine may quote the request in its error, and Env
 * values must not reach logs, stdout or replies.
 */
function withoutEnvValues(error: DispatchError, message: CommandMessage): DispatchError {
  const env = message.Dockercmd === 'run' || message.Dockercmd === 'create' ? (message.Options?.Env ?? []) : [];
  const values = env.map((entry) => entry.slice(entry.indexOf('=') + 1)).filter((value) => value.length >= 3);
  const scrubbed = values.reduce((text, value) => text.split(value).join('***'), error.message);
  if (scrubbed === error.message) return error;
  return new DispatchError(error.code, scrubbed, { context: error.context, partial: error.partial });
}

function unexpected(err: unknown, log: Logger): DispatchError {
  log.error({ err }, 'unexpected error (a bug: please report it with this line): dead-lettering the message');
  return new DispatchError('DockerError', `unexpected error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
