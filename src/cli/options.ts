import { queueNames } from '../amqp/topology.js';
import { DEFAULTS, type WorkerConfig } from '../config.js';
import { assertUniqueIds, parseEngineList, type EngineSpec } from '../docker/address.js';
import { createStrategy } from '../docker/strategies/index.js';
import { forbiddenNetworkMode, type PolicyConfig } from '../policy/policy.js';
import { parseBytes } from '../policy/sizes.js';
import { ConfigError } from '../errors.js';
import { addSecret, redact, redactUrl } from '../redact.js';
import type { CliOptions } from './program.js';

/**
 * Turns parsed arguments into a frozen config; a bad value is a ConfigError (or AddressError) naming it.
 * `hostsFileEngines` are the engines read from --hosts, if any.
 */
export function toConfig(
  positional: readonly string[],
  options: CliOptions,
  hostsFileEngines: readonly EngineSpec[] = [],
): Readonly<WorkerConfig> {
  const [first, second] = positional;
  const [dockerHost, amqpUrl] = second === undefined && options.hosts ? [undefined, first] : [first, second];
  if (amqpUrl === undefined)
    throw new ConfigError("missing required argument 'amqpUrl' (the <dockerHost> may be omitted only with --hosts)");
  const amqpUrls = amqpUrl.split(',').map((url) => url.trim());
  for (const url of amqpUrls) {
    try {
      const parsed = new URL(url);
      if (parsed.password) addSecret(parsed.password);
    } catch {
      throw new ConfigError(`invalid AMQP URL "${redact(url)}"`);
    }
    if (!/^amqps?:\/\//i.test(url))
      throw new ConfigError(`invalid AMQP URL "${redactUrl(url)}": it must start with amqp:// or amqps://`);
  }
  if (options.queue.trim() === '') throw new ConfigError('--queue must not be empty');
  const engines = engineSpecs(dockerHost === undefined ? [] : parseEngineList(dockerHost), hostsFileEngines);
  return Object.freeze({
    engines,
    amqpUrls,
    queues: queueNames(options.queue, options.replyQueue, options.deadLetterQueue),
    prefetch: options.prefetch,
    output: options.output,
    logLevel: options.logLevel,
    policy: policyConfig(options),
    amqpTls: { ca: options.amqpCa, cert: options.amqpCert, key: options.amqpKey },
    maxRetries: options.maxRetries,
    retryDelayMs: Math.round(options.retryDelay * 1000),
    queueType: options.queueType,
    maxPriority: maxPriority(options),
    deliveryLimit: deliveryLimit(options),
    ackDeadlineMs: Math.round(options.ackDeadline * 1000),
    maxOutputBytes: options.maxOutput,
    maxMessageBytes: options.maxMessageBytes,
    requestTimeoutMs: DEFAULTS.requestTimeoutMs,
    shutdownTimeoutMs: Math.round(options.shutdownTimeout * 1000),
    traceEnv: options.traceEnv,
    pingTimeoutMs: DEFAULTS.pingTimeoutMs,
    hostsFile: options.hosts,
    strategy: createStrategy(options.strategy).name,
    healthIntervalMs: Math.round(options.healthInterval * 1000),
    defaultTls: { ca: options.tlsCa, cert: options.tlsCert, key: options.tlsKey },
    http: options.httpPort === undefined ? undefined : { host: options.httpHost, port: options.httpPort },
  });
}

/** The engines of `<dockerHost>` and of the hosts file together, their ids unique (or an AddressError). */
export function engineSpecs(positional: readonly EngineSpec[], fromFile: readonly EngineSpec[]): EngineSpec[] {
  const specs = [...positional, ...fromFile];
  assertUniqueIds(specs);
  return specs;
}

/** --delivery-limit: for quorum queues only (classic queues in RabbitMQ 3.10 have none). */
function deliveryLimit(options: CliOptions): number {
  if (options.deliveryLimit !== undefined && options.queueType !== 'quorum') {
    throw new ConfigError('--delivery-limit needs --queue-type quorum: classic queues have no delivery limit');
  }
  return options.deliveryLimit ?? DEFAULTS.deliveryLimit;
}

/** --max-priority: for classic queues only (quorum queues in RabbitMQ 3.10 have no priorities). */
function maxPriority(options: CliOptions): number | undefined {
  if (options.maxPriority !== undefined && options.queueType === 'quorum') {
    throw new ConfigError(
      '--max-priority cannot be used with --queue-type quorum: quorum queues have no message priorities in ' +
        'RabbitMQ 3.10; use classic queues for priorities, or drop --max-priority',
    );
  }
  return options.maxPriority;
}

/** The security policy from the flags; a default above its maximum, or a host network, is a ConfigError. */
function policyConfig(options: CliOptions): PolicyConfig {
  const bytes = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const parsed = parseBytes(value);
    if (parsed === undefined) throw new ConfigError(`${flag} must be bytes or a size like 512m, not "${value}"`);
    return parsed;
  };
  const defaults = {
    memoryBytes: bytes('--default-memory', options.defaultMemory),
    cpus: options.defaultCpus,
    pidsLimit: options.defaultPidsLimit,
  };
  const maxima = {
    memoryBytes: bytes('--max-memory', options.maxMemory),
    cpus: options.maxCpus,
    pidsLimit: options.maxPidsLimit,
  };
  for (const [name, flag] of [
    ['memoryBytes', 'memory'],
    ['cpus', 'cpus'],
    ['pidsLimit', 'pids-limit'],
  ] as const) {
    const d = defaults[name];
    const m = maxima[name];
    if (d !== undefined && m !== undefined && d > m) throw new ConfigError(`--default-${flag} is above --max-${flag}`);
  }
  if (forbiddenNetworkMode(options.network)) {
    throw new ConfigError(
      `--network ${options.network} would share a namespace with the host or another container; docker-dispatch never does that`,
    );
  }
  return {
    allowImages: options.allowImage,
    defaults,
    maxima,
    user: options.user,
    allowUserOverride: options.allowUserOverride,
    readOnly: options.readOnly,
    capDropAll: options.capDropAll,
    networkMode: options.network,
  };
}
