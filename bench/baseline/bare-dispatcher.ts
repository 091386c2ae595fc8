/**
 * The throughput scenario's CPU floor: the least any queue-fed dispatcher meeting issue 13 must do per run, with none
 * of the worker's logic. Run as a process of its own (like the worker), it consumes `<queue>` with the given prefetch,
 * follows every engine's container events (type container, label docker-dispatch.managed=true, as the worker's
 * inventory does) into a map id → state and nothing more, and per message: parses the run message, picks the engine
 * (Options.Host, else round-robin), makes the same Engine API calls as the direct baseline (bench/direct-docker.ts)
 * with the labels the worker would set, publishes a reply to reply_to (persistent, mandatory, confirmed), then acks.
 * No schema validation, no placement, no logging, no output. Its CPU per run is what any such worker cannot go below.
 *
 *   node --import tsx bench/baseline/bare-dispatcher.ts <amqpUrl> <queue> <prefetch> <name=engineAddress>...
 */
import amqp, { type ConsumeMessage } from 'amqplib';
import { createAndStart, runAttachedAndRemove } from '../direct-docker.js';
import { directSpec, type RunShape } from '../messages.js';
import { dockerClient, type BenchEngine } from '../services.js';

/** The fields of a run message (bench/messages.ts runMessage) the floor reads. */
interface RunMessage {
  Image: string;
  Cmd: string[];
  Options?: { Name?: string; Host?: string; Attach?: string[]; Remove?: boolean; Labels?: Record<string, string> };
}

const MANAGED_FILTER = { type: ['container' as const], label: ['docker-dispatch.managed=true'] };
const STATE_AFTER: Readonly<Record<string, string>> = { create: 'created', start: 'running', die: 'exited' };

async function main(): Promise<void> {
  const [amqpUrl, queue, prefetchText, ...hosts] = process.argv.slice(2);
  if (!amqpUrl || !queue || !prefetchText || hosts.length === 0) {
    throw new Error('usage: bare-dispatcher <amqpUrl> <queue> <prefetch> <name=engineAddress>...');
  }
  const engines: BenchEngine[] = hosts.map((host) => {
    const [name = '', address = ''] = host.split(/=(.*)/s);
    return { name, address, docker: dockerClient(address) };
  });
  const states = new Map<string, string>();
  await Promise.all(engines.map((engine) => follow(engine, states)));

  // n.b. Nagle off, as the worker's connection: otherwise some replies wait ~40 ms for the broker's delayed TCP ack.
  const connection = await amqp.connect(amqpUrl, {
    clientProperties: { connection_name: 'docker-dispatch bench floor' },
    noDelay: true,
  });
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  await consumer.assertQueue(queue, { durable: true });
  await consumer.prefetch(Number(prefetchText));

  const publish = (to: string, content: Buffer, correlationId: string) =>
    new Promise<void>((resolve, reject) =>
      publisher.publish(
        '',
        to,
        content,
        { correlationId, contentType: 'application/json', persistent: true, mandatory: true },
        (err) => (err ? reject(err as Error) : resolve()),
      ),
    );
  let next = 0;
  const pick = (host: string | undefined): BenchEngine => {
    const engine = host === undefined ? engines[next++ % engines.length] : engines.find((e) => e.name === host);
    if (!engine) throw new Error(`no engine ${host}`);
    return engine;
  };

  const run = async (message: RunMessage): Promise<object> => {
    const options = message.Options ?? {};
    const engine = pick(options.Host);
    const shape: RunShape = {
      image: message.Image,
      cmd: message.Cmd,
      attach: options.Attach !== undefined,
      remove: options.Remove === true,
      name: options.Name,
      host: options.Host,
      labels: options.Labels ?? {},
    };
    const spec = directSpec(shape, queue, engine.name);
    if (!shape.attach && !shape.remove)
      return { Host: engine.name, Container: { Id: await createAndStart(engine, spec) } };
    const { id, exitCode, stdout } = await runAttachedAndRemove(engine, spec);
    return { Host: engine.name, Container: { Id: id }, ExitCode: exitCode, Stdout: stdout };
  };
  const handle = async (msg: ConsumeMessage) => {
    const correlationId = msg.properties.correlationId as string;
    let reply: object;
    try {
      reply = {
        Status: 'ok',
        MessageId: correlationId,
        ...(await run(JSON.parse(msg.content.toString('utf8')) as RunMessage)),
      };
    } catch (err) {
      // n.b. replied, so the bench fails at once rather than waiting for a reply that will not come.
      const message = (err as Error).message;
      reply = { Status: 'error', MessageId: correlationId, Error: { Code: 'Baseline', Message: message } };
    }
    await publish(msg.properties.replyTo as string, Buffer.from(JSON.stringify(reply)), correlationId);
    consumer.ack(msg);
  };
  await consumer.consume(queue, (msg) => {
    if (msg) void handle(msg).catch((err: unknown) => fail(err));
  });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void connection.close().finally(() => process.exit(0)));
}

/** Follows the engine's managed containers' events into `states` (id → state); a stream that ends is fatal. */
async function follow(engine: BenchEngine, states: Map<string, string>): Promise<void> {
  const response = await engine.docker.getEvents({ filters: MANAGED_FILTER });
  let rest = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string } };
      const id = event.Actor?.ID;
      if (id === undefined || event.Action === undefined) continue;
      if (event.Action === 'destroy') states.delete(id);
      else if (STATE_AFTER[event.Action]) states.set(id, STATE_AFTER[event.Action]!);
    }
  });
  response.on('end', () => fail(new Error(`the event stream of engine ${engine.name} ended`)));
  response.on('error', fail);
}

function fail(err: unknown): never {
  process.stderr.write(`bare-dispatcher: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}

main().catch(fail);
