import type { EngineSpec } from './docker/address.js';
import type { QueueNames } from './amqp/topology.js';
import type { OutputFormat } from './output/output.js';

/** Everything a worker runs with, parsed from the command line, then frozen. */
export interface WorkerConfig {
  engines: readonly EngineSpec[];
  /** amqp:// or amqps:// URL of the broker. */
  amqpUrl: string;
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
  /** HostConfig.NetworkMode for new containers; unset: the engine's default. */
  networkMode: string | undefined;
  /**
   * Pause before a message that failed transiently goes back to its queue, so it does not spin.
   * @default 2000
   */
  requeueDelayMs: number;
  /**
   * On SIGTERM/SIGINT, how long commands in progress may take to finish before the worker exits anyway (their
   * messages, unacked, go back to the queue).
   * @default 30000
   */
  shutdownTimeoutMs: number;
  /**
   * How long each engine has to answer `/_ping` at start-up.
   * @default 5000
   */
  pingTimeoutMs: number;
}

export const DEFAULTS = {
  queue: 'docker-dispatch',
  prefetch: 4,
  output: 'text',
  logLevel: 'info',
  requeueDelayMs: 2000,
  shutdownTimeoutMs: 30_000,
  pingTimeoutMs: 5000,
} as const;

/** Thrown for a bad flag or argument; the CLI prints its message on one line and exits 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
