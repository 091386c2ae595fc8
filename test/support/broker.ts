import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type GetMessage, type Options } from 'amqplib';
import { loadSchemas } from '../../src/messages/schemas.js';
import type { Reply, RunAttempt, RunOutput } from '../../src/messages/types.js';

/** A live output message (Options.Stream) as received, with when it arrived (ms since the epoch). */
export interface ReceivedOutput {
  body: RunOutput;
  properties: ConsumeMessage['properties'];
  receivedAt: number;
}

/** A reply as received, with its AMQP properties. */
export interface ReceivedReply {
  body: Reply;
  properties: ConsumeMessage['properties'];
}

/**
 * A test's own AMQP client: publishes commands as a producer would, receives replies on a private reply_to queue, and
 * checks that every reply it receives validates against schemas/reply.schema.json.
 */
export class TestBroker {
  private readonly pending = new Map<string, (reply: ReceivedReply) => void>();
  private readonly early = new Map<string, ReceivedReply>();
  readonly invalidReplies: unknown[] = [];
  /** Output messages (AMQP type run.output) received, by correlation id, in arrival order. */
  readonly outputs = new Map<string, ReceivedOutput[]>();
  /** Output messages that do not validate against schemas/output.schema.json. */
  readonly invalidOutputs: unknown[] = [];
  /** Attempt messages (AMQP type run.attempt), by correlation id, in arrival order; invalid ones are kept apart. */
  readonly attempts = new Map<string, RunAttempt[]>();
  readonly invalidAttempts: unknown[] = [];

  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
    readonly replyTo: string,
  ) {}

  static async connect(url: string): Promise<TestBroker> {
    const connection = await amqp.connect(url);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    const broker = new TestBroker(connection, channel, queue);
    await channel.consume(queue, (msg) => msg && broker.receive(msg), { noAck: true });
    return broker;
  }

  /** Parses and validates a reply body against the reply schema (recording failures for the test to assert on). */
  static parseReply(content: Buffer, invalid: unknown[] = []): Reply {
    const body = JSON.parse(content.toString('utf8')) as Reply;
    const { validate } = loadSchemas().reply;
    if (!validate(body)) invalid.push({ body, errors: validate.errors });
    return body;
  }

  private receive(msg: ConsumeMessage): void {
    if (msg.properties.type === 'run.output') return this.receiveOutput(msg);
    if (msg.properties.type === 'run.attempt') return this.receiveAttempt(msg);
    const reply = { body: TestBroker.parseReply(msg.content, this.invalidReplies), properties: msg.properties };
    const id = msg.properties.correlationId as string;
    const waiter = this.pending.get(id);
    if (waiter) waiter(reply);
    else this.early.set(id, reply);
  }

  private receiveOutput(msg: ConsumeMessage): void {
    const body = JSON.parse(msg.content.toString('utf8')) as RunOutput;
    const { validate } = loadSchemas().output;
    if (!validate(body)) this.invalidOutputs.push({ body, errors: validate.errors });
    const id = msg.properties.correlationId as string;
    const list = this.outputs.get(id) ?? [];
    list.push({ body, properties: msg.properties, receivedAt: Date.now() });
    this.outputs.set(id, list);
  }

  private receiveAttempt(msg: ConsumeMessage): void {
    const body = JSON.parse(msg.content.toString('utf8')) as RunAttempt;
    const { validate } = loadSchemas().attempt;
    if (!validate(body)) this.invalidAttempts.push({ body, errors: validate.errors });
    const id = msg.properties.correlationId as string;
    this.attempts.set(id, [...(this.attempts.get(id) ?? []), body]);
  }

  /** Publishes a raw body (string or object) to `queue`. */
  publish(queue: string, body: unknown, options: Options.Publish = {}): void {
    const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    this.channel.sendToQueue(queue, content, { persistent: true, ...options });
  }

  /** Publishes with reply_to and a fresh correlation id, and resolves with the reply. */
  async request(
    queue: string,
    body: unknown,
    options: Options.Publish = {},
    timeoutMs = 45_000,
  ): Promise<ReceivedReply> {
    const correlationId = options.correlationId ?? randomUUID();
    const reply = this.replyFor(correlationId, timeoutMs);
    this.publish(queue, body, { replyTo: this.replyTo, correlationId, ...options });
    return reply;
  }

  /** Resolves with the reply that carries `correlationId`. */
  replyFor(correlationId: string, timeoutMs = 45_000): Promise<ReceivedReply> {
    const early = this.early.get(correlationId);
    if (early) {
      this.early.delete(correlationId);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`no reply for ${correlationId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, (reply) => {
        clearTimeout(timer);
        this.pending.delete(correlationId);
        resolve(reply);
      });
    });
  }

  /** Waits for one message on `queue` (polling basic.get), acks it and returns it. */
  async take(queue: string, timeoutMs = 20_000): Promise<GetMessage> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const msg = await this.channel.get(queue, { noAck: true });
      if (msg) return msg;
      await sleep(50);
    }
    throw new Error(`no message on ${queue} within ${timeoutMs} ms`);
  }

  /** Ready messages on a queue, from a passive declare. */
  async depth(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  /** Declares a queue, as the worker or an operator would. */
  async declareQueue(queue: string, options: Options.AssertQueue = { durable: true }): Promise<void> {
    await this.channel.assertQueue(queue, options);
  }

  async deleteQueues(...queues: string[]): Promise<void> {
    for (const queue of queues) await this.channel.deleteQueue(queue).catch(() => undefined);
  }

  /** Deletes the queues a worker on `queue` declares (and the named others): the test's own, when it is done. */
  async deleteWorkerQueues(queue: string, ...others: string[]): Promise<void> {
    const suffixes = ['', '.replies', '.dead', '.retry', '.handover', '.control', '.cancels'];
    await this.deleteQueues(...suffixes.map((suffix) => `${queue}${suffix}`), ...others);
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
