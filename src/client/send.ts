import { randomUUID } from 'node:crypto';
import amqp, { type ConsumeMessage } from 'amqplib';
import { parseMessage } from '../messages/parse.js';
import type { Templates } from '../messages/templates.js';
import type { Reply } from '../messages/types.js';
import { createOutput, type OutputFormat } from '../output/output.js';
import { addSecret, redact, redactUrl } from '../redact.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { readMessage } from './read-message.js';

export interface SendOptions {
  amqpUrl: string;
  /** The message: a file, `-` (stdin) or the JSON itself; absent: stdin. */
  source: string | undefined;
  queue: string;
  /** An exchange to publish to, with the queue name as routing key; absent: the default exchange (straight to the queue). */
  exchange?: string;
  /** Seconds to wait for the reply; absent: as long as it takes. */
  timeoutSeconds: number | undefined;
  wait: boolean;
  /** Templates to check a message naming one against, as the worker will; absent: none. */
  templates?: Templates;
  output: OutputFormat;
  write: (text: string) => void;
  writeError: (text: string) => void;
}

/** Longest wait for the broker to accept the connection. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * `docker-dispatch send`: validates the message locally (nothing is published when it is invalid), publishes it with
 * a fresh message_id and correlation_id and an exclusive reply queue, waits for the reply, prints the output and the
 * result as the worker does, and returns the exit code (see EXIT).
 */
export async function send(options: SendOptions): Promise<number> {
  const fail = (code: number, text: string) => {
    options.writeError(`docker-dispatch: ${redact(text)}\n`);
    return code;
  };
  let read: { body: Buffer; from: string };
  try {
    read = await readMessage(options.source);
  } catch (err) {
    return fail(EXIT.invalid, `cannot read the message: ${(err as Error).message}`);
  }
  const parsed = parseMessage(read.body, { templates: options.templates });
  if (!parsed.ok)
    return fail(EXIT.invalid, `${read.from}: ${parsed.error.code}: ${parsed.error.message} (nothing was sent)`);

  try {
    const password = new URL(options.amqpUrl).password;
    if (password) addSecret(password);
  } catch {
    return fail(EXIT.errorReply, `invalid AMQP URL "${redact(options.amqpUrl)}"`);
  }
  let connection: amqp.ChannelModel;
  try {
    connection = await amqp.connect(options.amqpUrl, { timeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    return fail(EXIT.errorReply, `cannot connect to ${redactUrl(options.amqpUrl)}: ${(err as Error).message}`);
  }
  // n.b. the broker closing the channel or the connection is reported by exchange(), not thrown as an 'error' event.
  connection.on('error', () => undefined);
  try {
    return await exchange(connection, read.body, options, fail);
  } catch (err) {
    return fail(EXIT.errorReply, (err as Error).message);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function exchange(
  connection: amqp.ChannelModel,
  body: Buffer,
  options: SendOptions,
  fail: (code: number, text: string) => number,
): Promise<number> {
  const channel = await connection.createConfirmChannel();
  // Why the broker closed the channel (a refused publish: ACCESS_REFUSED, NOT_FOUND), or that the connection is gone.
  let closedBecause: Error | undefined;
  channel.on('error', (err: Error) => (closedBecause ??= err));
  const lost = new Promise<never>((_, reject) => {
    const closed = () => reject(closedBecause ?? new Error('the broker closed the connection'));
    channel.once('close', closed);
    connection.once('close', closed);
  });
  lost.catch(() => undefined); // n.b. only awaited while waiting for the reply
  const messageId = randomUUID();
  const correlationId = randomUUID();
  let replyTo: string | undefined;
  let reply: Promise<Reply> | undefined;
  if (options.wait) {
    // n.b. exclusive and auto-deleted: the reply queue lives as long as this client's connection.
    replyTo = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    reply = new Promise<Reply>((resolve) => {
      void channel.consume(
        replyTo!,
        (msg: ConsumeMessage | null) => {
          if (msg && msg.properties.correlationId === correlationId)
            resolve(JSON.parse(msg.content.toString('utf8')) as Reply);
        },
        { noAck: true },
      );
    });
  }
  let returned = false;
  channel.on('return', () => (returned = true));
  const sentAt = performance.now();
  channel.publish(options.exchange ?? '', options.queue, body, {
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    messageId,
    correlationId,
    ...(replyTo === undefined ? {} : { replyTo }),
  });
  try {
    await channel.waitForConfirms();
  } catch (err) {
    throw new Error(`${(closedBecause ?? (err as Error)).message} (nothing was sent)`);
  }
  // n.b. a mandatory message that no queue takes comes back (basic.return) before its confirm.
  if (returned) {
    const where =
      options.exchange === undefined
        ? `there is no queue "${options.queue}" (is a worker running with -q ${options.queue}?)`
        : `no queue is bound to exchange "${options.exchange}" with routing key "${options.queue}"`;
    return fail(EXIT.errorReply, `${where}: nothing was sent`);
  }
  if (!reply) {
    options.write(`${messageId}\n`);
    return EXIT.ok;
  }
  const timeoutMs = options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let answer: Reply | undefined;
  try {
    answer = await Promise.race([
      reply,
      lost,
      ...(timeoutMs === undefined
        ? []
        : [new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]),
    ]);
  } catch (err) {
    throw new Error(
      `lost the broker while waiting for the reply to message ${messageId} ` +
        `(${(err as Error).message}); it was sent and may still be carried out`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (!answer)
    return fail(
      EXIT.timeout,
      `no reply within ${options.timeoutSeconds} s (message ${messageId}); it may still be carried out`,
    );
  print(answer, performance.now() - sentAt, options);
  return exitCodeFor(answer);
}

/** The reply's output and result, in the worker's text or JSON forms. */
function print(reply: Reply, durationMs: number, options: SendOptions): void {
  const output = createOutput(options.output, options.write);
  // A run's output, or each instance's of an Instances run.
  const runs = [
    { ...reply, ref: reply.Container },
    ...(reply.Containers ?? []).map((instance) => ({ ...instance, ref: { Id: instance.Id, Name: instance.Name } })),
  ];
  for (const run of runs) {
    const source = {
      messageId: reply.MessageId,
      host: run.Host ?? '',
      container: run.ref?.Name ?? run.ref?.Id.slice(0, 12) ?? '',
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const text = stream === 'stdout' ? run.Stdout : run.Stderr;
      if (!text) continue;
      const sink = output.stream(source, stream);
      sink.write(Buffer.from(text));
      sink.end();
    }
  }
  output.result(reply, durationMs);
}
