import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

/** The fields of a worker reply the bench looks at. */
export interface BenchReply {
  Status: 'ok' | 'error';
  Host?: string;
  Container?: { Id: string; Name?: string };
  ExitCode?: number;
  Error?: { Code: string; Message: string };
}

/** A reply and when it arrived (performance.now()). */
export interface Arrival {
  reply: BenchReply;
  at: number;
}

/**
 * The producer side of the bench: publishes commands with reply_to and a correlation id, as a real producer would,
 * and receives replies on a private queue, noting when each arrived.
 */
export class BenchClient {
  private readonly waiting = new Map<string, (arrival: Arrival) => void>();
  private readonly early = new Map<string, Arrival>();

  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
    readonly replyTo: string,
  ) {}

  static async connect(url: string): Promise<BenchClient> {
    // n.b. Nagle off: otherwise a publish may wait ~40 ms for the broker's delayed TCP ack, on either side alike.
    const connection = await amqp.connect(url, {
      clientProperties: { connection_name: 'docker-dispatch bench' },
      noDelay: true,
    });
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    const client = new BenchClient(connection, channel, queue);
    await channel.consume(queue, (msg) => msg && client.receive(msg), { noAck: true });
    return client;
  }

  /**
   * Publishes `body` to `queue` and returns a promise of its reply. Waits for the channel to drain when its buffer is
   * full, so a burst of thousands of messages is not held in the bench's memory. The reply's promise comes wrapped:
   * an async function returning it bare would wait for the reply itself.
   */
  async send(queue: string, body: string | object, timeoutMs = 120_000): Promise<{ reply: Promise<Arrival> }> {
    const correlationId = randomUUID();
    const reply = this.replyFor(correlationId, timeoutMs);
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const ok = this.channel.sendToQueue(queue, content, { persistent: true, replyTo: this.replyTo, correlationId });
    if (!ok) await once(this.channel, 'drain');
    return { reply };
  }

  /** Publishes and waits for the reply. */
  async request(queue: string, body: string | object, timeoutMs = 120_000): Promise<Arrival> {
    return (await this.send(queue, body, timeoutMs)).reply;
  }

  /** Ready messages on a queue. */
  async depth(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  async purge(queue: string): Promise<void> {
    await this.channel.purgeQueue(queue);
  }

  async deleteQueues(queues: readonly string[]): Promise<void> {
    for (const queue of queues) await this.channel.deleteQueue(queue).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }

  private replyFor(correlationId: string, timeoutMs: number): Promise<Arrival> {
    const early = this.early.get(correlationId);
    if (early) {
      this.early.delete(correlationId);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(correlationId, (arrival) => {
        clearTimeout(timer);
        this.waiting.delete(correlationId);
        resolve(arrival);
      });
    });
  }

  private receive(msg: ConsumeMessage): void {
    const arrival = { reply: JSON.parse(msg.content.toString('utf8')) as BenchReply, at: performance.now() };
    const id = msg.properties.correlationId as string;
    const waiter = this.waiting.get(id);
    if (waiter) waiter(arrival);
    else this.early.set(id, arrival);
  }
}
