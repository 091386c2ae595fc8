import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { queueNames } from './amqp/topology.js';
import { ConfigError, DEFAULTS, type WorkerConfig } from './config.js';
import { AddressError, parseEngineList } from './docker/address.js';
import { checkEngines } from './docker/check.js';
import { Engine } from './docker/engine.js';
import { EnginePool } from './docker/pool.js';
import { reportEarlierContainers } from './docker/reconcile.js';
import { withBrokerHint, withEngineHint } from './hints.js';
import { startOperations, type Operations } from './http/operations.js';
import { HttpListenError } from './http/server.js';
import { createLogger } from './logger.js';
import { loadSchemas } from './messages/schemas.js';
import { useColor } from './output/colors.js';
import { createOutput, type OutputFormat } from './output/output.js';
import { addSecret, redact, redactUrl } from './redact.js';
import { BrokerUnreachableError, Worker } from './worker.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a whole number ≥ 1.`);
    return n;
  };
}

function wholeNumber(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number ≥ 0.`);
    return n;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number, 0 to 65535 (0: any free port).');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds ≥ 0.');
  return n;
}

export function buildProgram(): Command {
  return new Command()
    .name('docker-dispatch')
    .description('Consume docker commands (JSON) from a RabbitMQ queue and carry them out on a pool of Docker engines.')
    .version(version)
    .argument(
      '<dockerHost>',
      'one engine or a comma-separated list of [name=]address; address: host:port, tcp://host:port, http://host:port, https://host:port, unix:///path/docker.sock or /path/docker.sock',
    )
    .argument('<amqpUrl>', 'RabbitMQ URL, amqp://user:password@host:5672/vhost or amqps://…; several comma-separated (the nodes of a cluster) to fail over among')
    .option('-q, --queue <name>', 'queue to consume commands from', DEFAULTS.queue)
    .option('--reply-queue <name>', 'queue for replies to messages without reply_to (default: "<queue>.replies")')
    .option('--dead-letter-queue <name>', 'queue for copies of messages that failed for good (default: "<queue>.dead")')
    .option('-p, --prefetch <n>', 'commands carried out at once by this worker', positiveInt('--prefetch'), DEFAULTS.prefetch)
    .addOption(new Option('--output <format>', 'stdout format: attached output and result lines').choices(['text', 'json']).default(DEFAULTS.output))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default(DEFAULTS.logLevel))
    .option('--network <mode>', "network mode of new containers, e.g. none, bridge, host or a network name (default: the engine's default)")
    .option('--shutdown-timeout <seconds>', 'on SIGTERM/SIGINT, how long commands in progress may take to finish', seconds, DEFAULTS.shutdownTimeoutMs / 1000)
    .option('--max-retries <n>', 'times a transiently failed message is tried again before it is dead-lettered', wholeNumber('--max-retries'), DEFAULTS.maxRetries)
    .option('--retry-delay <seconds>', 'how long a retried message waits in <queue>.retry', seconds, DEFAULTS.retryDelayMs / 1000)
    .option('--max-output <bytes>', 'most bytes of each attached stream a reply carries (the end is kept)', positiveInt('--max-output'), DEFAULTS.maxOutputBytes)
    .option('--max-message-bytes <bytes>', 'largest message body accepted', positiveInt('--max-message-bytes'), DEFAULTS.maxMessageBytes)
    .addOption(
      new Option('--http-port <port>', 'serve /metrics, /healthz, /readyz and the status page on this port (0: any free port; default: no HTTP)')
        .argParser(port)
        .env('DOCKER_DISPATCH_HTTP_PORT'),
    )
    .addOption(new Option('--http-host <address>', 'address the HTTP endpoint listens on').default(DEFAULTS.httpHost).env('DOCKER_DISPATCH_HTTP_HOST'))
    .showHelpAfterError('(run docker-dispatch --help for usage)');
}

interface CliOptions {
  queue: string;
  replyQueue?: string;
  deadLetterQueue?: string;
  prefetch: number;
  output: OutputFormat;
  logLevel: string;
  network?: string;
  shutdownTimeout: number;
  maxRetries: number;
  retryDelay: number;
  maxOutput: number;
  maxMessageBytes: number;
  httpPort?: number;
  httpHost: string;
}

/** Turns parsed arguments into a frozen config; a bad value is a ConfigError or AddressError naming it. */
export function toConfig(dockerHost: string, amqpUrl: string, options: CliOptions): Readonly<WorkerConfig> {
  const amqpUrls = amqpUrl.split(',').map((url) => url.trim());
  for (const url of amqpUrls) {
    try {
      const parsed = new URL(url);
      if (parsed.password) addSecret(parsed.password);
    } catch {
      throw new ConfigError(`invalid AMQP URL "${redact(url)}"`);
    }
    if (!/^amqps?:\/\//i.test(url)) throw new ConfigError(`invalid AMQP URL "${redactUrl(url)}": it must start with amqp:// or amqps://`);
  }
  if (options.queue.trim() === '') throw new ConfigError('--queue must not be empty');
  return Object.freeze({
    engines: parseEngineList(dockerHost),
    amqpUrls,
    queues: queueNames(options.queue, options.replyQueue, options.deadLetterQueue),
    prefetch: options.prefetch,
    output: options.output,
    logLevel: options.logLevel,
    networkMode: options.network,
    maxRetries: options.maxRetries,
    retryDelayMs: Math.round(options.retryDelay * 1000),
    maxOutputBytes: options.maxOutput,
    maxMessageBytes: options.maxMessageBytes,
    requestTimeoutMs: DEFAULTS.requestTimeoutMs,
    shutdownTimeoutMs: Math.round(options.shutdownTimeout * 1000),
    pingTimeoutMs: DEFAULTS.pingTimeoutMs,
    http: options.httpPort === undefined ? undefined : { host: options.httpHost, port: options.httpPort },
  });
}

/** One clear line on stderr, never a secret, then exit 1. */
function die(message: string): never {
  process.stderr.write(`docker-dispatch: ${redact(message)}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.parse(argv);
  const [dockerHost, amqpUrl] = program.processedArgs as [string, string];
  let config: Readonly<WorkerConfig>;
  try {
    config = toConfig(dockerHost, amqpUrl, program.opts<CliOptions>());
  } catch (err) {
    if (err instanceof ConfigError || err instanceof AddressError) die(err.message);
    throw err;
  }

  try {
    loadSchemas();
  } catch (err) {
    die(`cannot load the message schemas: ${(err as Error).message}`);
  }
  const log = createLogger(config.logLevel, undefined, { pretty: process.stderr.isTTY === true });
  const engines = config.engines.map((spec) => new Engine(spec));
  const answering = await checkEngines(engines, config.pingTimeoutMs);
  if (answering.length === 0) die(withEngineHint(`no Docker engine answers: ${answering.failures.join('; ')}`));
  for (const failure of answering.failures) {
    // It stays in the pool: runs skip it while it refuses connections, and it is used again once it is back.
    log.warn(withEngineHint(`Docker engine does not answer at start-up, carrying on with the others: ${failure}`));
  }

  const pool = new EnginePool(engines);
  await reportEarlierContainers(pool, config.queues.queue, log);

  let operations: Operations | undefined;
  if (config.http) {
    const info = { version, queue: config.queues.queue, prefetch: config.prefetch };
    try {
      operations = await startOperations({ listen: config.http, engines, info, log });
    } catch (err) {
      if (err instanceof HttpListenError) die(err.message);
      throw err;
    }
  }

  let worker: Worker;
  try {
    const output = createOutput(config.output, undefined, { color: useColor(process.stdout.isTTY, process.env) });
    worker = await Worker.start(config, { pool, output, log, observer: operations?.observer });
  } catch (err) {
    if (err instanceof BrokerUnreachableError) die(withBrokerHint(err.message));
    die(`cannot set up the queues: ${(err as Error).message} (does the user have configure and write permissions on the vhost?)`);
  }
  operations?.track(worker);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now; unacked messages go back to the queue');
      process.exit(130);
    }
    log.info({ signal }, 'shutting down: no new messages, waiting for commands in progress');
    void worker.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await worker.stopped;
  await operations?.close();
  log.info('stopped');
  process.exit(0);
}

main(process.argv).catch((err: unknown) => die(`unexpected failure: ${(err as Error)?.stack ?? String(err)}`));
