import type { ConsumeMessage } from 'amqplib';
import type { DispatchError } from '../errors.js';
import type { Reply } from '../messages/types.js';
import { traceHeaders, traceOf, withTraceHeaders, type MessageTrace } from '../trace/trace-context.js';
import {
  ATTEMPTS_HEADER,
  attemptOf,
  DELIVERY_COUNT_HEADER,
  EXIT_CODE_RETRIES_HEADER,
  HANDOVER_HEADER,
  type Publisher,
} from './publisher.js';

/** The connection a delivery came on, as the session keeps it. */
export interface DeliveryLink {
  /** Whether this connection is still the session's current one. */
  isCurrent(): boolean;
  readonly publisher: Publisher;
  ack(message: ConsumeMessage): void;
  nack(message: ConsumeMessage): void;
}

/** The connection a delivery came on is gone: the broker has put the message back, and will deliver it again. */
export class ConnectionGoneError extends Error {
  override readonly name = 'ConnectionGoneError';
}

/**
 * One message as the broker delivered it, with what can be done about it on the connection it came on: its reply,
 * dead-lettered and retry copies, its ack and nack. n.b. a delivery can only be settled on the channel it arrived
 * on: once that connection is gone (`live` false) every settle is refused and every publish fails with
 * ConnectionGoneError, since the broker has already put the message back.
 */
export class Delivery {
  /** Which attempt this is (1 for a message never retried), from the attempt header. */
  readonly attempt: number;
  /** How often a quorum queue delivered it before (x-delivery-count; 0 for a first delivery or a classic queue). */
  readonly deliveryCount: number;
  /** A copy handed over by a worker whose delivery reached its ack deadline. */
  readonly handedOver: boolean;
  /** Of the attempts before this one, how many were retries by exit code (Options.Retry); the rest were transient. */
  readonly exitCodeRetries: number;
  /** The attempts header of a run retried by exit code (raw: the delivery pipeline reads it). */
  readonly attemptsHeader: unknown;
  /** The trace it is worked on in: the worker's span for it, a child of its traceparent header (or a new trace). */
  readonly trace: MessageTrace;
  /** The message as its copies carry it on: its traceparent names the worker's span (dead-letter, retry, hand-over). */
  private readonly traced: ConsumeMessage;

  /** It came from the control queue, which takes cancels only. */
  readonly fromControlQueue: boolean;

  constructor(
    readonly message: ConsumeMessage,
    private readonly link: DeliveryLink,
    { control = false }: { control?: boolean } = {},
  ) {
    this.fromControlQueue = control;
    this.attempt = attemptOf(message);
    const headers = message.properties.headers ?? {};
    const count = Number(headers[DELIVERY_COUNT_HEADER] ?? 0);
    this.deliveryCount = Number.isSafeInteger(count) && count > 0 ? count : 0;
    this.handedOver = headers[HANDOVER_HEADER] !== undefined;
    const retries = Number(headers[EXIT_CODE_RETRIES_HEADER] ?? 0);
    this.exitCodeRetries = Number.isSafeInteger(retries) && retries > 0 && retries < this.attempt ? retries : 0;
    this.attemptsHeader = headers[ATTEMPTS_HEADER];
    this.trace = traceOf(headers);
    this.traced = {
      ...message,
      properties: { ...message.properties, headers: withTraceHeaders(message.properties.headers, this.trace.span) },
    };
  }

  /** Its connection is still the current one: it can be settled, and its copies published. */
  get live(): boolean {
    return this.link.isCurrent();
  }

  /** Delivered before (the broker says so), a retry or a handed-over copy: it may have been worked on before. */
  get seenBefore(): boolean {
    return this.message.fields.redelivered || this.attempt > 1 || this.handedOver;
  }

  /** Acks it; false when its connection is gone (the broker redelivers it). */
  ack(): boolean {
    return this.settle((m) => this.link.ack(m));
  }

  /** Puts it back in its queue; false when its connection is gone (the broker has already). */
  nack(): boolean {
    return this.settle((m) => this.link.nack(m));
  }

  /** Publishes the reply (confirmed) to its reply_to, else to the reply queue. */
  reply(reply: Reply): Promise<void> {
    return this.publishing((p) => p.reply(reply, this.message.properties, traceHeaders(this.trace.span)));
  }

  /** Publishes a confirmed copy to the dead-letter queue, with why it failed. */
  deadLetter(error: DispatchError): Promise<void> {
    return this.publishing((p) => p.deadLetter(this.traced, error));
  }

  /** Publishes a confirmed copy to the retry queue as attempt `attempt + 1`, after a transient failure. */
  retry(error: DispatchError): Promise<void> {
    return this.publishing((p) => p.retry(this.traced, this.attempt + 1, error));
  }

  /** Publishes a confirmed copy to the retry queue as attempt `attempt + 1`, for a run's listed exit code. */
  retryByExitCode(reason: { code: string; message: string }, attempts: unknown[]): Promise<void> {
    const byExitCode = { attempts, retries: this.exitCodeRetries + 1 };
    return this.publishing((p) => p.retry(this.traced, this.attempt + 1, reason, byExitCode));
  }

  /** Publishes a confirmed copy to the handover queue, with `messageId` if it has no identity (Publisher.handOver). */
  handOver(messageId: string): Promise<void> {
    return this.publishing((p) => p.handOver(this.traced, messageId));
  }

  private settle(how: (message: ConsumeMessage) => void): boolean {
    if (!this.link.isCurrent()) return false;
    try {
      how(this.message);
      return true;
    } catch {
      return false; // the channel closed in between
    }
  }

  private async publishing(publish: (publisher: Publisher) => Promise<void>): Promise<void> {
    if (!this.link.isCurrent()) throw new ConnectionGoneError('the connection this message came on is gone');
    try {
      await publish(this.link.publisher);
    } catch (err) {
      // n.b. a publish that failed because the connection went away is told apart from one the broker refused.
      if (!this.link.isCurrent())
        throw new ConnectionGoneError('the connection this message came on is gone', { cause: err });
      throw err;
    }
  }
}
