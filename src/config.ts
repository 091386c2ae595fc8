import type { EngineSpec } from './docker/address.js';
import type { TlsFiles } from './tls.js';
import type { StrategyName } from './docker/strategies/index.js';
import type { PolicyConfig } from './policy/policy.js';
import { DEFAULT_QUEUE, type QueueNames, type QueueType } from './amqp/topology.js';
import type { OutputFormat } from './output/output.js';

/** Everything a worker runs with, parsed from the command line, then frozen. */
export interface WorkerConfig {
  engines: readonly EngineSpec[];
  /** amqp:// or amqps:// URLs of the broker (the nodes of a cluster), tried in turn. */
  amqpUrls: readonly string[];
  queues: QueueNames;
  /**
   * Commands carried out at once by this worker (the channel's prefetch).
   * @default 4
   */
  prefetch: number;
  /** @default 'text' */
  output: OutputFormat;
  /** @default 'info' */
  logLevel: string;
  /** The security policy: allowed images, limits, user, network mode, hardening. */
  policy: PolicyConfig;
  /** CA and client certificate for amqps:// (--amqp-ca, --amqp-cert, --amqp-key). */
  amqpTls: TlsFiles;
  /**
   * How many times a message that failed transiently is tried again (through the retry queue) before it is answered
   * and dead-lettered.
   * @default 5
   */
  maxRetries: number;
  /**
   * How long a retried message waits in the retry queue (its x-message-ttl).
   * @default 5000
   */
  retryDelayMs: number;
  /**
   * The type of the queues the worker declares (--queue-type): classic, or quorum for a replicated cluster.
   * @default 'classic'
   */
  queueType: QueueType;
  /**
   * The command queue's x-max-priority (--max-priority, 1 to 10): messages' AMQP priority then orders its backlog.
   * Classic queues only. Undefined: no priorities.
   * @default undefined
   */
  maxPriority: number | undefined;
  /**
   * Quorum queues: deliveries of one message before it is given up (x-delivery-limit; the worker answers the last
   * one DeliveryLimit and dead-letters it without carrying it out).
   * @default 20
   */
  deliveryLimit: number;
  /**
   * Age at which a delivery still in progress is handed over: a confirmed copy to the handover queue, then the ack,
   * so the broker's consumer_timeout (30 min by default) never closes the channel under a long run.
   * @default 1500000 (25 minutes)
   */
  ackDeadlineMs: number;
  /**
   * Most bytes of each attached stream a reply carries; the end is kept and the reply says Truncated.
   * @default 1048576
   */
  maxOutputBytes: number;
  /**
   * Largest message body accepted; a larger one is InvalidMessage, checked before parsing.
   * @default 1048576
   */
  maxMessageBytes: number;
  /**
   * Deadline of each short Engine API call (create, inspect, start, remove, list); one that passes counts as the
   * engine being unavailable.
   * @default 30000
   */
  requestTimeoutMs: number;
  /**
   * On SIGTERM/SIGINT, how long commands in progress may take to finish before the worker exits anyway (their
   * messages, unacked, go back to the queue).
   * @default 30000
   */
  shutdownTimeoutMs: number;
  /**
   * Pass TRACEPARENT (the worker's span for the message as parent) and TRACESTATE into new containers' environment
   * (--trace-env), so a job's own spans join the message's trace.
   * @default false
   */
  traceEnv: boolean;
  /** The --hosts file, re-read on SIGHUP. */
  hostsFile: string | undefined;
  /** @default 'least-loaded' */
  strategy: StrategyName;
  /**
   * Between health pings of each engine (±20 % jitter).
   * @default 5000
   */
  healthIntervalMs: number;
  /** TLS files for https:// engines without their own (--tls-ca, --tls-cert, --tls-key). */
  defaultTls: TlsFiles;
  /**
   * How long each engine has to answer `/_ping` at start-up.
   * @default 5000
   */
  pingTimeoutMs: number;
  /**
   * Where to serve metrics, health and the status page (port 0: any free port); unset: no HTTP endpoint.
   * @default undefined (host, when a port is given: '127.0.0.1')
   */
  http: { host: string; port: number } | undefined;
}

export const DEFAULTS = {
  queue: DEFAULT_QUEUE,
  prefetch: 4,
  output: 'text',
  logLevel: 'info',
  maxRetries: 5,
  retryDelayMs: 5000,
  queueType: 'classic' as QueueType,
  deliveryLimit: 20,
  ackDeadlineMs: 25 * 60 * 1000,
  maxOutputBytes: 1024 * 1024,
  maxMessageBytes: 1024 * 1024,
  requestTimeoutMs: 30_000,
  shutdownTimeoutMs: 30_000,
  pingTimeoutMs: 5000,
  healthIntervalMs: 5000,
  /** Consecutive failures that quarantine an engine. */
  quarantineAfter: 3,
  /** Longest wait between probes of a quarantined engine. */
  maxProbeBackoffMs: 60_000,
  httpHost: '127.0.0.1',
} as const;
