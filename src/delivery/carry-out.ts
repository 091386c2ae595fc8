import type { Logger } from 'pino';
import type { Delivery } from '../amqp/delivery.js';
import { execute } from '../commands/index.js';
import type { CommandContext } from '../commands/context.js';
import type { WorkerConfig } from '../config.js';
import type { Placement } from '../docker/placement.js';
import type { EnginePool } from '../docker/pool.js';
import { DispatchError } from '../errors.js';
import { crossFieldProblem } from '../messages/cross-field.js';
import type { ParseResult } from '../messages/parse.js';
import type { CommandMessage, CommandResult } from '../messages/types.js';
import type { MessageObserver } from '../observe/observer.js';
import type { Output } from '../output/output.js';
import type { Policy } from '../policy/policy.js';
import { traceEnv } from '../trace/trace-context.js';
import type { CallerMessages } from './caller-messages.js';
import { decideExitRetry, readAttempts, type ExitRetry } from './exit-retry.js';
import type { Lease } from './lease.js';
import type { Outcome } from './outcomes.js';

/** One delivery's message, read, on its way to an outcome. */
export interface Work {
  parsed: ParseResult;
  /** When the message was read (performance.now()). */
  startedAt: number;
  /** The id of its reply and its containers' labels: its identity, else one of its own. */
  messageId: string;
  /** Its message_id, else its correlation_id; undefined when it has neither. */
  identity: string | undefined;
  job: MessageObserver;
  log: Logger;
  /** The lease of a job without identity (those with one are in Worker.leases, shared by its deliveries). */
  lease?: Lease;
}

/** The commands whose job may be handed over at the ack deadline; the others finish where they started. */
const HANDED_OVER_COMMANDS = new Set(['run', 'create', 'wait', 'pull']);

/** What carrying out a message needs of the worker. */
export interface CarryOutContext {
  config: WorkerConfig;
  pool: EnginePool;
  placement: Placement;
  output: Output;
  policy: Policy;
  /** The run's caller, on its reply_to: live output and attempts. */
  caller: CallerMessages;
  publishCancel: CommandContext['publishCancel'];
}

/** Carries out a parsed message; never throws for a failure of the command itself. */
export async function carryOut(
  delivery: Delivery,
  { parsed, messageId, identity, startedAt, job, log }: Work,
  lease: Lease,
  { config, pool, placement, output, policy, caller, publishCancel }: CarryOutContext,
): Promise<Outcome> {
  const dockercmd = parsed.ok ? parsed.message.Dockercmd : parsed.dockercmd;
  let result: CommandResult = {};
  let error = parsed.ok ? undefined : parsed.error;
  if (parsed.ok && !HANDED_OVER_COMMANDS.has(parsed.message.Dockercmd)) lease.commit();
  if (parsed.ok && lastDelivery(delivery, config)) {
    error = new DispatchError(
      'DeliveryLimit',
      `the message was delivered ${delivery.deliveryCount + 1} times and no worker settled it (each that took it ` +
        `died or lost its connection): not carried out again (--delivery-limit ${config.deliveryLimit})`,
    );
    log.warn(
      { deliveries: delivery.deliveryCount + 1 },
      'at its delivery limit: answered and dead-lettered, not carried out',
    );
  } else if (parsed.ok && delivery.fromControlQueue && parsed.message.Dockercmd !== 'cancel') {
    error = new DispatchError(
      'InvalidMessage',
      `only cancel messages may be published to ${config.queues.controlQueue}, not ${parsed.message.Dockercmd} ` +
        `(publish it to ${config.queues.queue})`,
    );
  } else if (parsed.ok && lease.cancelled && parsed.message.Dockercmd !== 'run') {
    // n.b. a run goes on: it may find an earlier attempt's container to stop; it creates nothing.
    error = new DispatchError('Cancelled', 'cancelled before it was carried out: a cancel message named it');
    log.info('cancelled before it came: answered Cancelled, not carried out');
  } else if (
    parsed.ok &&
    (error = crossFieldProblem(parsed.message, delivery.message.properties.replyTo as string | undefined))
  ) {
    log.debug({ err: error.message }, 'refused: fields that do not go together');
  } else if (parsed.ok) {
    log.debug({ attempt: delivery.attempt, redelivered: delivery.message.fields.redelivered }, 'carrying out');
    try {
      result = await execute(parsed.message, {
        pool: pool,
        placement: placement,
        messageId,
        identity,
        seenBefore: delivery.seenBefore,
        lastAttempt: delivery.attempt - delivery.exitCodeRetries > config.maxRetries,
        earlierAttempts: readAttempts(delivery.attemptsHeader),
        queue: config.queues.queue,
        policy: policy,
        maxOutputBytes: config.maxOutputBytes,
        requestTimeoutMs: config.requestTimeoutMs,
        output: output,
        log,
        onContainer: (host, container) => job.started({ host, container }),
        lease,
        extraEnv: config.traceEnv ? traceEnv(delivery.trace.span) : undefined,
        liveOutput: caller.liveOutput(parsed.message),
        publishCancel,
      });
    } catch (err) {
      if (lease.cancelled && !(err instanceof DispatchError && err.code === 'Cancelled'))
        error = new DispatchError('Cancelled', 'cancelled before it ran: a cancel message named it', {
          partial: err instanceof DispatchError ? err.partial : undefined,
        });
      else if (!lease.handedOver)
        error = scrubEnvValues(err instanceof DispatchError ? err : unexpected(err, log), parsed.message);
    }
    if (lease.handedOver)
      return {
        messageId,
        dockercmd,
        result: {},
        error: undefined,
        durationMs: performance.now() - startedAt,
        handedOver: true,
      };
    if (parsed.message.Dockercmd === 'run' && parsed.message.Options?.Retry) {
      // Options.Retry: the attempts go in the reply; a listed exit code with retries left is retried, not answered.
      const exitRetry = decideExitRetry(
        parsed.message,
        error?.partial ?? result,
        readAttempts(delivery.attemptsHeader),
      );
      withAttempts(error?.partial ?? result, exitRetry);
      // n.b. a cancelled run has an error (Cancelled): it is never retried.
      if (exitRetry.retry && !error) {
        const retryByExitCode = { recorded: exitRetry.recorded, retried: exitRetry.retried };
        return { messageId, dockercmd, result, error, durationMs: performance.now() - startedAt, retryByExitCode };
      }
    }
  }
  return { messageId, dockercmd, result, error, durationMs: performance.now() - startedAt };
}

/**
 * The last delivery a quorum queue makes of a message (x-delivery-count at --delivery-limit): the broker dead-letters
 * it at its next return, so it is answered now rather than risked once more.
 */
function lastDelivery(delivery: Delivery, config: WorkerConfig): boolean {
  return config.queueType === 'quorum' && delivery.deliveryCount >= config.deliveryLimit;
}

/** Puts the attempts of a run with Options.Retry in its result: the run's, or each instance's. */
function withAttempts(result: CommandResult, exitRetry: ExitRetry): void {
  if (result.Containers) result.Containers.forEach((c, i) => (c.Attempts = exitRetry.instanceAttempts[i] ?? []));
  else result.Attempts = exitRetry.attempts;
}

/**
 * The error with the message's Env values replaced by ***: an engine may quote the request in its error, and Env
 * values must not reach logs, stdout or replies.
 */
function scrubEnvValues(error: DispatchError, message: CommandMessage): DispatchError {
  const env = message.Dockercmd === 'run' || message.Dockercmd === 'create' ? (message.Options?.Env ?? []) : [];
  const values = env.map((entry) => entry.slice(entry.indexOf('=') + 1)).filter((value) => value.length >= 3);
  const scrubbed = values.reduce((text, value) => text.split(value).join('***'), error.message);
  if (scrubbed === error.message) return error;
  return new DispatchError(error.code, scrubbed, { context: error.context, partial: error.partial });
}

function unexpected(err: unknown, log: Logger): DispatchError {
  log.error({ err }, 'unexpected error (a bug: please report it with this line): dead-lettering the message');
  return new DispatchError('DockerError', `unexpected error: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
