import { randomUUID } from 'node:crypto';
import amqp, { type ConsumeMessage } from 'amqplib';
import { queueNames } from '../amqp/topology.js';
import { setLongTimeout } from '../long-timer.js';
import { parseMessage } from '../messages/parse.js';
import type { Templates } from '../messages/templates.js';
import type { CommandMessage, Reply, RunAttempt, RunOutput } from '../messages/types.js';
import { createOutput, type Output, type OutputFormat } from '../output/output.js';
import { addSecret, redact, redactUrl } from '../redact.js';
import { startTrace, traceHeaders } from '../trace/trace-context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { LivePrinter } from './live-printer.js';
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
  /**
   * Ask for the live output of an attached run (Options.Stream) and print it as it comes.
   * @default true
   */
  stream?: boolean;
  /**
   * Subscribes to the user's interrupts (Ctrl-C) while waiting for the reply: the first cancels the message and waits
   * for its reply (exit 130), the second gives up waiting at once (exit 130). Returns the unsubscribe.
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** The message's AMQP priority (0 to 10; it orders the backlog of a queue with x-max-priority); absent: none. */
  priority?: number;
  /** Print the message's trace id on stderr once it is sent. */
  verbose?: boolean;
  /** Templates to check a message naming one against, as the worker will; absent: none. */
  templates?: Templates;
  output: OutputFormat;
  write: (text: string) => void;
  writeError: (text: string) => void;
}

/** Longest wait for the broker to accept the connection. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The exit code after an interrupt (Ctrl-C), as a shell reports SIGINT. */
export const EXIT_INTERRUPTED = 130;

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
  const body = options.wait && options.stream !== false ? withStream(read.body, parsed.message) : read.body;

  try {
    const password = new URL(options.amqpUrl).password;
    if (password) addSecret(password);
  } catch {
    return fail(EXIT.errorReply, `invalid AMQP URL "${redact(options.amqpUrl)}"`);
  }
  let connection: amqp.ChannelModel;
  try {
    // n.b. Nagle off, as the worker's: a publish must not wait for the broker's delayed acknowledgement.
    connection = await amqp.connect(options.amqpUrl, { timeout: CONNECT_TIMEOUT_MS, noDelay: true });
  } catch (err) {
    return fail(EXIT.errorReply, `cannot connect to ${redactUrl(options.amqpUrl)}: ${(err as Error).message}`);
  }
  // n.b. the broker closing the channel or the connection is reported by exchange(), not thrown as an 'error' event.
  connection.on('error', () => undefined);
  try {
    return await exchange(connection, body, options, fail);
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
  // n.b. the root of the message's trace: the worker's span for it is a child of this one.
  const trace = startTrace();
  const output = createOutput(options.output, options.write);
  const live = new LivePrinter(output, (text) => options.writeError(`docker-dispatch: ${text}\n`));
  let replyTo: string | undefined;
  let reply: Promise<Reply> | undefined;
  if (options.wait) {
    // n.b. exclusive and auto-deleted: the reply queue lives as long as this client's connection.
    replyTo = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    let answered!: (reply: Reply) => void;
    reply = new Promise<Reply>((resolve) => (answered = resolve));
    // n.b. awaited before the publish: a consume still pending when the broker closes the channel (a refused publish)
    // would reject with no one to hear it.
    await channel.consume(
      replyTo,
      (msg: ConsumeMessage | null) => {
        if (!msg || msg.properties.correlationId !== correlationId) return;
        const content = JSON.parse(msg.content.toString('utf8')) as unknown;
        if (msg.properties.type === 'run.output') live.print(content as RunOutput);
        else if (msg.properties.type === 'run.attempt') {
          live.nextAttempt();
          options.write(attemptLine(content as RunAttempt, options.output));
        } else answered(content as Reply);
      },
      { noAck: true },
    );
  }
  let returned = false;
  channel.on('return', () => (returned = true));
  const sentAt = performance.now();
  const publish = (content: Buffer, properties: { messageId: string; correlationId: string }, queue = options.queue) =>
    channel.publish(options.exchange ?? '', queue, content, {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      headers: traceHeaders(trace),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...properties,
      ...(replyTo === undefined ? {} : { replyTo }),
    });
  publish(body, { messageId, correlationId });
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
  if (options.verbose) options.writeError(`docker-dispatch: message ${messageId}, trace ${trace.traceId}\n`);
  if (!reply) {
    options.write(`${messageId}\n`);
    return EXIT.ok;
  }
  const timeoutMs = options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000;
  let timer: { clear(): void } | undefined;
  // Ctrl-C: the first cancels the message (and waits for its reply), the second gives up waiting.
  let interrupted = false;
  let giveUp!: () => void;
  const gaveUp = new Promise<'interrupted'>((resolve) => (giveUp = () => resolve('interrupted')));
  const stopListening = options.onInterrupt?.(() => {
    if (interrupted) return giveUp();
    interrupted = true;
    options.writeError(`docker-dispatch: cancelling message ${messageId} (Ctrl-C again to stop waiting)\n`);
    const cancel = { Dockercmd: 'cancel', MessageId: messageId };
    // n.b. to the control queue, which every worker consumes beside its commands: it overtakes a backlog.
    const ids = { messageId: randomUUID(), correlationId: randomUUID() };
    publish(Buffer.from(JSON.stringify(cancel)), ids, controlQueueOf(options.queue));
  });
  let answer: Reply | 'interrupted' | undefined;
  try {
    answer = await Promise.race([
      reply,
      lost,
      gaveUp,
      ...(timeoutMs === undefined
        ? []
        : [new Promise<undefined>((resolve) => (timer = setLongTimeout(() => resolve(undefined), timeoutMs)))]),
    ]);
  } catch (err) {
    throw new Error(
      `lost the broker while waiting for the reply to message ${messageId} ` +
        `(${(err as Error).message}); it was sent and may still be carried out`,
    );
  } finally {
    timer?.clear();
    stopListening?.();
    live.end();
  }
  if (answer === 'interrupted') return fail(EXIT_INTERRUPTED, `stopped waiting for message ${messageId}`);
  if (!answer)
    return fail(
      EXIT.timeout,
      `no reply within ${options.timeoutSeconds} s (message ${messageId}); it may still be carried out`,
    );
  print(answer, performance.now() - sentAt, output, live.received);
  return interrupted ? EXIT_INTERRUPTED : exitCodeFor(answer);
}

/** The queue a worker on `queue` takes cancels from, ahead of its commands. */
export function controlQueueOf(queue: string): string {
  return queueNames(queue).controlQueue;
}

/** An attempt of a run retried by its exit code, as `send` prints it: `retry run job on a: attempt 1 exited with …`. */
function attemptLine(attempt: RunAttempt, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify({ Type: 'Attempt', ...attempt })}\n`;
  const name = attempt.Container.Name ?? attempt.Container.Id.slice(0, 12);
  const instance = attempt.Instance === undefined ? '' : ` (instance ${attempt.Instance})`;
  return `retry run ${name} on ${attempt.Host}${instance}: attempt ${attempt.Attempt} exited with code ${attempt.ExitCode}, retrying\n`;
}

/**
 * The message with Options.Stream added, for a run whose stdout or stderr is attached and that does not say itself:
 * its output is then printed as it comes.
 */
function withStream(body: Buffer, message: CommandMessage): Buffer {
  if (message.Dockercmd !== 'run' || message.Options?.Stream !== undefined) return body;
  const attach = message.Options?.Attach ?? [];
  if (!attach.includes('STDOUT') && !attach.includes('STDERR')) return body;
  const sent = JSON.parse(body.toString('utf8')) as { Options?: Record<string, unknown> };
  return Buffer.from(JSON.stringify({ ...sent, Options: { ...sent.Options, Stream: true } }));
}

/** The reply's output (unless it was printed live) and result, in the worker's text or JSON forms. */
function print(reply: Reply, durationMs: number, output: Output, printedLive: boolean): void {
  if (!printedLive) printOutput(reply, output);
  output.result(reply, durationMs);
}

/** A run's output, or each instance's of an Instances run, from its reply. */
function printOutput(reply: Reply, output: Output): void {
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
}
