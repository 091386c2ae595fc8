import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { QUEUE_TYPES, type QueueType } from '../amqp/topology.js';
import { DEFAULTS } from '../config.js';
import { STRATEGIES } from '../docker/strategies/index.js';
import { MAX_TIMER_MS } from '../long-timer.js';
import type { OutputFormat } from '../output/output.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The options as commander parses them. */
export interface CliOptions {
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
  queueType: QueueType;
  /** Undefined unless given: its default applies to quorum queues only. */
  deliveryLimit?: number;
  maxPriority?: number;
  traceEnv: boolean;
  ackDeadline: number;
  maxOutput: number;
  maxMessageBytes: number;
  hosts?: string;
  strategy: (typeof STRATEGIES)[number];
  healthInterval: number;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowImage: string[];
  defaultMemory?: string;
  defaultCpus?: number;
  defaultPidsLimit?: number;
  maxMemory?: string;
  maxCpus?: number;
  maxPidsLimit?: number;
  user?: string;
  allowUserOverride: boolean;
  readOnly: boolean;
  capDropAll: boolean;
  amqpCa?: string;
  amqpCert?: string;
  amqpKey?: string;
  templates?: string;
  httpPort?: number;
  httpHost: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('expected a port number, 0 to 65535 (0: any free port).');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveNumber(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${what} must be a number > 0.`);
    return n;
  };
}

function numberFrom(what: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

function wholeNumber(what: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`${what} must be a whole number ≥ ${min}.`);
    return n;
  };
}

/** The longest duration a flag takes: Node keeps no timer longer (about 24.8 days). */
const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

function seconds(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min)
      throw new InvalidArgumentError(`expected a number of seconds ≥ ${min}.`);
    if (n > MAX_SECONDS)
      throw new InvalidArgumentError(
        `expected at most ${MAX_SECONDS} seconds (about 24.8 days, the longest timer Node.js keeps).`,
      );
    return n;
  };
}

export function buildProgram(): Command {
  return new Command()
    .name('docker-dispatch')
    .description('Consume docker commands (JSON) from a RabbitMQ queue and carry them out on a pool of Docker engines.')
    .version(version)
    .usage('[options] [dockerHost] <amqpUrl>')
    .argument(
      '<dockerHost>',
      'one engine or a comma-separated list of [name=]address; address: host:port, tcp://host:port, http://host:port, ' +
        'https://host:port, unix:///path/docker.sock or /path/docker.sock. May be omitted with --hosts',
    )
    .argument(
      '[amqpUrl]',
      'RabbitMQ URL, amqp://user:password@host:5672/vhost or amqps://…; ' +
        'several comma-separated (the nodes of a cluster) to fail over among',
    )
    .option('-q, --queue <name>', 'queue to consume commands from', DEFAULTS.queue)
    .option('--reply-queue <name>', 'queue for replies to messages without reply_to (default: "<queue>.replies")')
    .option('--dead-letter-queue <name>', 'queue for copies of messages that failed for good (default: "<queue>.dead")')
    .option(
      '-p, --prefetch <n>',
      'commands carried out at once by this worker',
      wholeNumber('--prefetch', 1),
      DEFAULTS.prefetch,
    )
    .addOption(
      new Option('--output <format>', 'stdout format: attached output and result lines')
        .choices(['text', 'json'])
        .default(DEFAULTS.output),
    )
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default(DEFAULTS.logLevel),
    )
    .option(
      '--network <mode>',
      "network mode of new containers, e.g. none, bridge, host or a network name (default: the engine's default)",
    )
    .option('--hosts <file>', 'JSON file of engines (Name, Address, Labels, MaxContainers, Tls); re-read on SIGHUP')
    .addOption(
      new Option('--strategy <name>', 'how a run picks its engine').choices([...STRATEGIES]).default('least-loaded'),
    )
    .option(
      '--health-interval <seconds>',
      'between pings of each engine (with jitter)',
      seconds(0.1),
      DEFAULTS.healthIntervalMs / 1000,
    )
    .option(
      '--templates <dir>',
      'directory of run templates (<name>.json, each a partial run message) that messages name with "Template"',
    )
    .option('--tls-ca <file>', 'CA for https:// engines without Tls of their own')
    .option('--tls-cert <file>', 'client certificate for https:// engines without Tls of their own')
    .option('--tls-key <file>', 'client key for https:// engines without Tls of their own')
    .option(
      '--shutdown-timeout <seconds>',
      'on SIGTERM/SIGINT, how long commands in progress may take to finish',
      seconds(0),
      DEFAULTS.shutdownTimeoutMs / 1000,
    )
    .option(
      '--max-retries <n>',
      'times a transiently failed message is tried again before it is dead-lettered',
      wholeNumber('--max-retries', 0),
      DEFAULTS.maxRetries,
    )
    .option(
      '--retry-delay <seconds>',
      'how long a retried message waits in <queue>.retry',
      seconds(0),
      DEFAULTS.retryDelayMs / 1000,
    )
    .addOption(
      new Option(
        '--queue-type <type>',
        'type of the queues the worker declares: classic (one node) or quorum (replicated over a cluster)',
      )
        .choices([...QUEUE_TYPES])
        .default(DEFAULTS.queueType)
        .env('DOCKER_DISPATCH_QUEUE_TYPE'),
    )
    .option(
      '--delivery-limit <n>',
      `quorum queues: deliveries of one message before it is answered DeliveryLimit and dead-lettered (default: ${DEFAULTS.deliveryLimit})`,
      wholeNumber('--delivery-limit', 1),
    )
    .addOption(
      new Option(
        '--max-priority <n>',
        "declare the command queue with x-max-priority n (1 to 10): messages' AMQP priority orders the backlog " +
          '(classic queues only; default: no priorities)',
      )
        .argParser(numberFrom('--max-priority', 1, 10))
        .env('DOCKER_DISPATCH_MAX_PRIORITY'),
    )
    .option(
      '--ack-deadline <seconds>',
      "hand a delivery over (a confirmed copy, then the ack) once it is this old, before the broker's consumer_timeout",
      seconds(5),
      DEFAULTS.ackDeadlineMs / 1000,
    )
    .option(
      '--max-output <bytes>',
      'most bytes of each attached stream a reply carries (the end is kept)',
      wholeNumber('--max-output', 1),
      DEFAULTS.maxOutputBytes,
    )
    .option(
      '--max-message-bytes <bytes>',
      'largest message body accepted',
      wholeNumber('--max-message-bytes', 1),
      DEFAULTS.maxMessageBytes,
    )
    .option(
      '--allow-image <pattern>',
      'allow images matching this glob over registry/repository:tag (repeatable; ' +
        '* within a path component, ** across); without any, every image is allowed',
      collect,
      [],
    )
    .option('--default-memory <size>', 'memory limit of containers whose message asks for none (bytes or 512m-style)')
    .option('--default-cpus <n>', 'CPUs of containers whose message asks for none', positiveNumber('--default-cpus'))
    .option(
      '--default-pids-limit <n>',
      'process limit of containers whose message asks for none',
      wholeNumber('--default-pids-limit', 1),
    )
    .option('--max-memory <size>', 'most memory a message may ask for (above: Denied)')
    .option('--max-cpus <n>', 'most CPUs a message may ask for (above: Denied)', positiveNumber('--max-cpus'))
    .option(
      '--max-pids-limit <n>',
      'highest process limit a message may ask for (above: Denied)',
      wholeNumber('--max-pids-limit', 1),
    )
    .option('--user <user>', "user containers run as (default: the image's)")
    .option('--allow-user-override', 'let messages choose the user (Options.User); without it that is Denied', false)
    .option('--read-only', 'read-only root filesystem for containers, with a tmpfs on /tmp', false)
    .option('--cap-drop-all', 'drop every Linux capability in containers', false)
    .option(
      '--trace-env',
      "pass TRACEPARENT and TRACESTATE (the message's trace, the worker's span as parent) into new containers",
      false,
    )
    .option('--amqp-ca <file>', 'CA of the broker certificate, for amqps://')
    .option('--amqp-cert <file>', 'client certificate for amqps://')
    .option('--amqp-key <file>', 'client key for amqps://')
    .addOption(
      new Option(
        '--http-port <port>',
        'serve /metrics, /healthz, /readyz and the status page on this port (0: any free port; default: no HTTP)',
      )
        .argParser(port)
        .env('DOCKER_DISPATCH_HTTP_PORT'),
    )
    .addOption(
      new Option('--http-host <address>', 'address the HTTP endpoint listens on')
        .default(DEFAULTS.httpHost)
        .env('DOCKER_DISPATCH_HTTP_HOST'),
    )
    .showHelpAfterError('(run docker-dispatch --help for usage)');
}
