import type { CommandResult, Reply } from './messages/types.js';

/** The stable error codes of the reply's `Error.Code`. */
export type ErrorCode = NonNullable<Reply['Error']>['Code'];

/**
 * What happens to a message whose command failed with a given code.
 * - `dead-letter`: error reply, a confirmed copy to the dead-letter queue, then ack. Sending it again cannot help.
 * - `retry`: no reply yet; the message waits in the retry queue and is tried again, up to --max-retries times; after
 *   the last attempt it is answered and dead-lettered like a permanent failure.
 * - `reply`: error reply, then ack, and no dead-letter copy: the message did what its sender asked for (a cancel).
 */
export type Disposition = 'dead-letter' | 'retry' | 'reply';

/**
 * The one catalogue of error codes. The table in docs/messages.md is kept in sync with it by a test, and so is the reply
 * schema's `Error.Code` enum.
 */
export const ERROR_CODES: Readonly<Record<ErrorCode, { disposition: Disposition; description: string }>> = {
  InvalidJson: {
    disposition: 'dead-letter',
    description: 'The body is not a UTF-8 JSON document.',
  },
  InvalidMessage: {
    disposition: 'dead-letter',
    description: 'The JSON does not match the command schema; the message names the offending field.',
  },
  Denied: {
    disposition: 'dead-letter',
    description:
      "The worker's security policy refuses it (an image not allowed, a limit above a maximum, a user override); nothing was created.",
  },
  ImageNotFound: {
    disposition: 'dead-letter',
    description: 'The image of a run is not on the chosen engine.',
  },
  ContainerNotFound: {
    disposition: 'dead-letter',
    description: 'No engine holds a container with that name, id or id prefix.',
  },
  Conflict: {
    disposition: 'dead-letter',
    description:
      'The request clashes with the engine state: name in use, container found on several ' +
      'engines or by an ambiguous id prefix, removing a running container without Force, killing one that is not ' +
      "running (Docker's 409; Podman's 500 with a conflict cause).",
  },
  PullFailed: {
    disposition: 'dead-letter',
    description:
      "A pull command's image could not be pulled (an unknown image or tag, a registry " +
      "that cannot be reached or refuses the credentials), with the registry's reason.",
  },
  NoMatchingHost: {
    disposition: 'dead-letter',
    description: "No engine's labels match the run's Options.Constraints.",
  },
  Timeout: {
    disposition: 'dead-letter',
    description:
      "The run's Options.Timeout passed: the container was stopped; the reply has its exit code and output so far.",
  },
  DockerUnavailable: {
    disposition: 'retry',
    description:
      'An engine could not be reached, timed out or answered 5xx. Transient: retried, then answered and dead-lettered.',
  },
  Cancelled: {
    disposition: 'reply',
    description:
      'A cancel message named it: stopped while it ran (the reply has its exit code and output so far), or refused ' +
      'before anything was created (waiting for room, still queued, or delivered after the cancel). Not dead-lettered.',
  },
  DeliveryLimit: {
    disposition: 'dead-letter',
    description:
      'A quorum queue delivered the message --delivery-limit times without a worker settling it (each that took it ' +
      'died or lost its connection): the last delivery is answered and dead-lettered, not carried out again.',
  },
  DockerError: {
    disposition: 'dead-letter',
    description: 'The engine refused the request for another reason (a 4xx), with its message.',
  },
};

/**
 * The operator's configuration is wrong (a flag, an address, the hosts file, a TLS file, a template): the worker and
 * the client print its message on one line and exit. Every such error extends it.
 */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

/** Context an error reply carries when it is known: the engine and the container involved. */
export interface ErrorContext {
  host?: string;
  container?: { Id: string; Name?: string };
}

/** A failure with a stable code. Its disposition comes from the code table, never from the call site. */
export class DispatchError extends Error {
  override readonly name = 'DispatchError';
  readonly context: ErrorContext;
  /** What the command produced before it failed (a timed-out run's exit code and output), for the reply. */
  readonly partial: CommandResult | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { cause?: unknown; context?: ErrorContext; partial?: CommandResult } = {},
  ) {
    super(message, { cause: options.cause });
    this.context = options.context ?? {};
    this.partial = options.partial;
  }

  get disposition(): Disposition {
    return ERROR_CODES[this.code].disposition;
  }

  /** Returns this error with more context (the engine, the container), keeping what it already had. */
  withContext(context: ErrorContext): this {
    Object.assign(this.context, { ...context, ...this.context });
    return this;
  }
}
