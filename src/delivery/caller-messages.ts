import type { Options } from 'amqplib';
import type { Delivery } from '../amqp/delivery.js';
import type { CommandMessage } from '../messages/types.js';
import { traceHeaders } from '../trace/trace-context.js';
import type { RetriedAttempt } from './exit-retry.js';
import { LiveOutput } from './live-output.js';

/** Publishes a transient message to a queue, through whatever broker connection the worker has (none: dropped). */
export type PublishTransient = (queue: string, content: Buffer, options: Options.Publish) => void;

/**
 * What a run's caller hears on its reply_to besides the reply: its live output (run.output, Options.Stream) and its
 * attempts retried by exit code (run.attempt, Options.Retry). Transient and unconfirmed (the final reply, persistent
 * and confirmed, is what counts), with the message's correlation id and the worker's trace.
 */
export class CallerMessages {
  private readonly replyTo: string | undefined;
  private readonly correlationId: string;

  constructor(
    private readonly delivery: Delivery,
    private readonly messageId: string,
    private readonly publish: PublishTransient,
  ) {
    const { replyTo, correlationId } = delivery.message.properties as { replyTo?: string; correlationId?: string };
    this.replyTo = replyTo;
    this.correlationId = correlationId ?? messageId;
  }

  /** The live output of a run with Options.Stream (which needs a reply_to: see crossFieldProblem). */
  liveOutput(message: CommandMessage): LiveOutput | undefined {
    if (message.Dockercmd !== 'run' || message.Options?.Stream !== true || !this.replyTo) return undefined;
    return new LiveOutput(this.messageId, (output) => this.send('run.output', output));
  }

  /** Tells the caller of each attempt retried by its exit code, which `send` prints. */
  attemptsRetried(attempts: RetriedAttempt[]): void {
    for (const attempt of attempts) this.send('run.attempt', { MessageId: this.messageId, ...attempt });
  }

  private send(type: string, body: object): void {
    if (!this.replyTo) return;
    this.publish(this.replyTo, Buffer.from(JSON.stringify(body)), {
      contentType: 'application/json',
      correlationId: this.correlationId,
      type,
      appId: 'docker-dispatch',
      timestamp: Math.floor(Date.now() / 1000),
      headers: traceHeaders(this.delivery.trace.span),
    });
  }
}
