import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Delivery } from '../amqp/delivery.js';
import { BrokerSession } from '../amqp/session.js';
import type { WorkerConfig } from '../config.js';
import type { Placement } from '../docker/placement.js';
import type { EnginePool } from '../docker/pool.js';
import { parseMessage } from '../messages/parse.js';
import type { Templates } from '../messages/templates.js';
import type { Reply } from '../messages/types.js';
import { NO_OBSERVER, type FinishedMessage, type WorkerObserver } from '../observe/observer.js';
import type { Output } from '../output/output.js';
import { Policy } from '../policy/policy.js';
import { setLongTimeout } from '../long-timer.js';
import { logBindings } from '../trace/trace-context.js';
import { CANCEL_RETENTION_MS, CancelRegistry, type CancelRecord } from './cancels.js';
import { CallerMessages } from './caller-messages.js';
import { carryOut, type Work } from './carry-out.js';
import { decide } from './decision.js';
import { Lease, type CancelRequest } from './lease.js';
import { OutcomeStore, type Outcome } from './outcomes.js';
import { buildReply } from './reply.js';
import { REQUEUE_DELAY_MS, settle, type SettleContext } from './settle.js';

export { BrokerUnreachableError } from '../amqp/session.js';

/** starting → running → draining → stopped, or starting → failed (a start-up that failed half-way). Never back. */
export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

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

/**
 * Consumes commands, carries each out on the engine pool, replies, and only then acks. Up to `prefetch` messages are
 * worked on at once; each stays unacked until its reply (and, for a failure, its dead-lettered or retried copy) is
 * confirmed. What becomes of a message is decided in one place (decision.ts) and carried out in another (settle.ts).
 * The broker connection is recovered in place; runs keep going while it is away.
 */
export class Worker {
  /** Resolves when the worker has stopped after close(). */
  readonly stopped: Promise<void>;

  private lifecycle: WorkerState = 'starting';
  private readonly session: BrokerSession;
  private readonly policy: Policy;
  private readonly outcomes = new OutcomeStore();
  /** The cancels of the last 24 hours (from the cancel stream): a message named there is answered Cancelled. */
  private readonly cancels = new CancelRegistry();
  /** The lease of each job in progress here, by message identity. */
  private readonly leases = new Map<string, Lease>();
  private readonly printed = new WeakSet<Outcome>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private finish!: () => void;
  private drainStarted!: () => void;
  private readonly draining = new Promise<void>((resolve) => (this.drainStarted = resolve));
  private readonly onHealthy = (healthy: number) => void this.engineHold(healthy);

  private constructor(
    private readonly config: WorkerConfig,
    private readonly deps: WorkerDeps,
  ) {
    this.stopped = new Promise<void>((resolve) => (this.finish = resolve));
    this.policy = new Policy(config.policy);
    this.session = new BrokerSession({
      urls: config.amqpUrls,
      tls: config.amqpTls,
      topology: {
        names: config.queues,
        retryDelayMs: config.retryDelayMs,
        queueType: config.queueType,
        deliveryLimit: config.deliveryLimit,
        maxPriority: config.maxPriority,
      },
      prefetch: config.prefetch,
      log: deps.log,
      onDelivery: (delivery) => this.onDelivery(delivery),
      cancels: { retentionMs: CANCEL_RETENTION_MS, onCancel: (cancel) => this.cancelled(cancel) },
    });
  }

  /**
   * Connects (failing fast when no broker URL answers), declares the queues and starts consuming. While no engine is
   * healthy it does not consume, rather than cycling messages through errors; it resumes when one comes back.
   */
  static async start(config: WorkerConfig, deps: WorkerDeps): Promise<Worker> {
    const worker = new Worker(config, deps);
    deps.pool.on('healthy', worker.onHealthy);
    try {
      if (deps.pool.healthyCount === 0) await worker.engineHold(0);
      await worker.session.start();
    } catch (err) {
      worker.lifecycle = 'failed';
      deps.pool.off('healthy', worker.onHealthy);
      await worker.session.close();
      throw err;
    }
    worker.lifecycle = 'running';
    return worker;
  }

  get state(): WorkerState {
    return this.lifecycle;
  }

  /** The broker session: `connected`, and its 'connected' and 'disconnected' events. */
  get broker(): BrokerSession {
    return this.session;
  }

  /** Stops taking messages, lets commands in progress finish (up to the shutdown timeout), then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.lifecycle = 'draining';
      this.drainStarted();
      const { log } = this.deps;
      this.deps.pool.off('healthy', this.onHealthy);
      await this.session.hold('draining');
      if (this.inFlight.size > 0) {
        log.info({ inFlight: this.inFlight.size }, 'waiting for commands in progress to finish');
        const finished = await Promise.race([
          Promise.allSettled([...this.inFlight]).then(() => true),
          sleep(this.config.shutdownTimeoutMs, false, { ref: false }),
        ]);
        if (!finished) {
          log.warn(
            { inFlight: this.inFlight.size },
            'shutdown timeout passed: unfinished messages go back to the queue, and the next worker adopts their containers ' +
              '(raise --shutdown-timeout to let long runs finish)',
          );
        }
      }
      await this.session.close();
      this.lifecycle = 'stopped';
      this.finish();
    })();
    return this.closing;
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

  private onDelivery(delivery: Delivery): void {
    const work = this.handle(delivery).catch(async (err: unknown) => {
      this.deps.log.error(
        { err },
        'unexpected failure handling a message (a bug: please report it with this line): the message goes back to the queue',
      );
      await Promise.race([sleep(REQUEUE_DELAY_MS), this.draining]);
      delivery.nack();
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(delivery: Delivery): Promise<void> {
    const { properties } = delivery.message;
    // A message's identity: its message_id, else its correlation_id. Without either it gets an id of its own.
    const identity = (properties.messageId as string | undefined) ?? (properties.correlationId as string | undefined);
    const messageId = identity ?? randomUUID();
    const startedAt = performance.now();
    const parsed = parseMessage(delivery.message.content, {
      maxBytes: this.config.maxMessageBytes,
      templates: this.deps.templates,
    });
    const dockercmd = parsed.ok ? parsed.message.Dockercmd : parsed.dockercmd;
    const log = this.deps.log.child({ messageId, dockercmd, ...logBindings(delivery.trace.span) });
    if (delivery.trace.invalid) log.debug(`traceparent header ignored (${delivery.trace.invalid}): a new trace`);
    const job = (this.deps.observer ?? NO_OBSERVER).received({
      messageId,
      dockercmd,
      image: parsed.ok && parsed.message.Dockercmd === 'run' ? parsed.message.Image : undefined,
      seenBefore: delivery.seenBefore,
    });
    let finished: FinishedMessage = { settlement: 'error', reply: undefined, durationMs: undefined };
    const work: Work = { parsed, startedAt, messageId, identity, job, log };
    // n.b. before the broker's consumer_timeout closes the channel under a long job: hand it over.
    const deadline = setLongTimeout(() => this.deadlinePassed(delivery, work), this.config.ackDeadlineMs);
    try {
      finished = await this.dispatch(delivery, work);
    } finally {
      deadline.clear();
      job.finished(finished);
    }
  }

  /** A delivery is as old as --ack-deadline and still in progress: its job is handed over, unless it has committed. */
  private deadlinePassed(delivery: Delivery, work: Work): void {
    const lease = work.identity === undefined ? work.lease : this.leases.get(work.identity);
    if (!lease || !delivery.live) return;
    if (lease.handOver()) work.log.info('the ack deadline passed: stopping here to hand the message over');
    else work.log.debug('the ack deadline passed, but this command finishes where it started');
  }

  /** A cancel, from the cancel stream (or made here): noted, and the job it names, if it is here, is cancelled. */
  private cancelled(cancel: CancelRecord): void {
    if (this.cancels.add(cancel))
      this.deps.log.info({ cancelled: cancel.messageId, timeSeconds: cancel.timeSeconds }, 'a message was cancelled');
    const lease = this.leases.get(cancel.messageId);
    if (lease?.cancel({ timeSeconds: cancel.timeSeconds }))
      this.deps.log.info({ messageId: cancel.messageId }, 'cancelled while in progress here: stopping it');
  }

  /** Tells every worker of a cancel (the cancel stream), this one first; false when only this one could be told. */
  private async publishCancel({ messageId, timeSeconds }: { messageId: string; timeSeconds: number }) {
    const cancel: CancelRecord = { messageId, timeSeconds, at: Date.now() };
    this.cancelled(cancel);
    // n.b. while the broker is away the cancel waits for it (the other workers must learn of it), a few times at most.
    for (let tries = 0; tries < 3; tries++) {
      await Promise.race([this.session.whenConnected(), this.draining]);
      try {
        return await this.session.publishCancel(cancel);
      } catch (err) {
        if (this.session.connected || this.lifecycle === 'draining') {
          this.deps.log.warn(
            { err },
            'could not publish the cancel on the cancel stream: only this worker knows of it',
          );
          return false;
        }
      }
    }
    return false;
  }

  /** The cancel a message comes with: one made before this delivery (a cancel is not itself cancelled). */
  private cancelOf({ identity, parsed }: Work): CancelRequest | undefined {
    if (identity === undefined || (parsed.ok && parsed.message.Dockercmd === 'cancel')) return undefined;
    const cancel = this.cancels.get(identity);
    return cancel && { timeSeconds: cancel.timeSeconds };
  }

  /** Carries out a message (carry-out.ts) with what it needs of the worker. */
  private carryOut(delivery: Delivery, work: Work, lease: Lease): Promise<Outcome> {
    const { pool, placement, output } = this.deps;
    return carryOut(delivery, work, lease, {
      config: this.config,
      pool,
      placement,
      output,
      policy: this.policy,
      caller: this.callerOf(delivery, work.messageId),
      publishCancel: (cancel) => this.publishCancel(cancel),
    });
  }

  /** What a message's caller hears on its reply_to besides the reply (live output, attempts). */
  private callerOf(delivery: Delivery, messageId: string): CallerMessages {
    return new CallerMessages(delivery, messageId, (queue, content, options) =>
      this.session.publishTransient(queue, content, options),
    );
  }

  /** Carries out a message once, however often it is delivered here, and settles this delivery. */
  private async dispatch(delivery: Delivery, work: Work): Promise<FinishedMessage> {
    const { identity, log } = work;
    if (identity === undefined) {
      work.lease = new Lease();
      return this.settle(delivery, await this.carryOut(delivery, work, work.lease), work);
    }
    const kept = this.outcomes.take(identity);
    if (kept) {
      log.info('redelivered: answering with the result kept for it, not carrying it out again');
      return this.settle(delivery, kept, work);
    }
    const { outcome, joined, waiters } = await this.outcomes.once(identity, () => {
      const lease = new Lease(this.cancelOf(work));
      this.leases.set(identity, lease);
      return this.carryOut(delivery, work, lease).finally(() => this.leases.delete(identity));
    });
    if (joined) log.info('redelivered while in progress here: answering with the same result');
    // A later delivery of this message waits for this outcome; if this one's connection is gone, that one answers.
    if (waiters > 0 && !delivery.live)
      return { settlement: 'error', reply: buildReply(outcome), durationMs: outcome.durationMs };
    return this.settle(delivery, outcome, work);
  }

  /** Decides the message's fate from its outcome (decision.ts), then carries it out on the broker (settle.ts). */
  private settle(delivery: Delivery, outcome: Outcome, { identity, job, log }: Work): Promise<FinishedMessage> {
    const decision = decide({
      outcome: outcome.handedOver
        ? 'handed-over'
        : outcome.retryByExitCode
          ? 'retry-by-exit-code'
          : (outcome.error?.disposition ?? 'ok'),
      attempt: delivery.attempt,
      exitCodeRetries: delivery.exitCodeRetries,
      maxRetries: this.config.maxRetries,
      live: delivery.live,
    });
    const ctx: SettleContext = {
      log,
      job,
      keep: (kept, why) => {
        // Only a final outcome is worth keeping: a transient failure is tried afresh when the message comes back.
        if (identity === undefined || kept.handedOver || kept.error?.disposition === 'retry') return;
        this.outcomes.keep(identity, kept);
        log.info(`${why}: keeping its result for the redelivery, which is answered with it and not carried out again`);
      },
      print: (reply: Reply, printedOutcome: Outcome) => {
        if (this.printed.has(printedOutcome)) return;
        this.printed.add(printedOutcome);
        this.deps.output.result(reply, printedOutcome.durationMs);
      },
      attemptRetried: (attempts) => this.callerOf(delivery, outcome.messageId).attemptsRetried(attempts),
      retryDelayMs: this.config.retryDelayMs,
      retryQueue: this.config.queues.retryQueue,
      draining: this.draining,
    };
    return settle(delivery, outcome, decision, ctx);
  }
}
