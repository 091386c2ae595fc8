/**
 * The message-path baseline: the least any dispatcher must do per message, with none of the worker's logic. Run as a
 * process of its own (like the worker), it consumes `<queue>` with the given prefetch and, per message, optionally
 * asks every engine for the container a `stop` names (inspect), then publishes a reply to reply_to and a copy to
 * `<queue>.dead` (both persistent, mandatory, confirmed), then acks. No schema validation, no logging, no output.
 *
 *   node --import tsx bench/baseline/amqp-echo.ts <amqpUrl> <queue> <prefetch> [engineAddress…]
 */
import amqp, { type ConsumeMessage } from 'amqplib';
import { dockerClient } from '../services.js';

async function main(): Promise<void> {
  const [amqpUrl, queue, prefetchText, ...addresses] = process.argv.slice(2);
  if (!amqpUrl || !queue || !prefetchText) throw new Error('usage: amqp-echo <amqpUrl> <queue> <prefetch> [engine…]');
  const engines = addresses.map(dockerClient);
  // n.b. Nagle off, as the worker's connection: otherwise some replies wait ~40 ms for the broker's delayed TCP ack.
  const connection = await amqp.connect(amqpUrl, {
    clientProperties: { connection_name: 'docker-dispatch bench baseline' },
    noDelay: true,
  });
  const dead = `${queue}.dead`;
  const setup = await connection.createChannel();
  await setup.assertQueue(queue, { durable: true });
  await setup.assertQueue(dead, { durable: true });
  await setup.close();
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  await consumer.prefetch(Number(prefetchText));

  const publish = (to: string, content: Buffer, options: amqp.Options.Publish) =>
    new Promise<void>((resolve, reject) =>
      publisher.publish('', to, content, { ...options, persistent: true, mandatory: true }, (err) =>
        err ? reject(err as Error) : resolve(),
      ),
    );
  const inspectEverywhere = async (reference: string) =>
    Promise.all(
      engines.map((docker) =>
        docker
          .getContainer(reference)
          .inspect()
          .catch((err: { statusCode?: number }) => {
            if (err.statusCode !== 404) throw err;
          }),
      ),
    );

  const handle = async (msg: ConsumeMessage) => {
    if (engines.length > 0) {
      const { Container } = JSON.parse(msg.content.toString('utf8')) as { Container: string };
      await inspectEverywhere(Container);
    }
    const correlationId = msg.properties.correlationId as string;
    const reply = Buffer.from(
      JSON.stringify({ Status: 'error', MessageId: correlationId, Error: { Code: 'Baseline', Message: 'baseline' } }),
    );
    await Promise.all([
      publish(msg.properties.replyTo as string, reply, { correlationId, contentType: 'application/json' }),
      publish(dead, msg.content, { correlationId, headers: { 'x-dispatch-error-code': 'Baseline' } }),
    ]);
    consumer.ack(msg);
  };
  await consumer.consume(queue, (msg) => {
    if (msg) void handle(msg).catch((err: unknown) => process.stderr.write(`amqp-echo: ${(err as Error).message}\n`));
  });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void connection.close().finally(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`amqp-echo: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
