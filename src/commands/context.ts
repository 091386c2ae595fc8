import type { Logger } from 'pino';
import type { Placement } from '../docker/placement.js';
import type { EnginePool } from '../docker/pool.js';
import type { Policy } from '../policy/policy.js';
import type { CommandResult } from '../messages/types.js';
import type { Output, OutputSource, StreamName, StreamSink } from '../output/output.js';
import type { RecordedAttempt } from '../delivery/exit-retry.js';
import type { CancelRequest } from '../delivery/lease.js';

/** What a command needs from the worker to carry out one message. */
export interface CommandContext {
  pool: EnginePool;
  /** Where new containers go: place → create → capacity → fail over. */
  placement: Placement;
  /**
   * The job's hold on its message: `signal` aborts the work when the delivery is handed over (its ack deadline
   * passed); `commit()` before a step an adopter could not redo (removing a finished run's container).
   */
  lease: {
    readonly signal: AbortSignal;
    /** Ends placing, creating and starting: a hand-over, or any cancel (see Lease). */
    readonly startSignal: AbortSignal;
    commit(): boolean;
    /** Set when a cancel message named the job (a run then answers Cancelled; see Lease). */
    readonly cancelled: CancelRequest | undefined;
    whileRunning(stop: (request: CancelRequest) => void): () => void;
  };
  /** The message's identity, as in the reply and the container's labels. */
  messageId: string;
  /** The queue the message came from, for the container's labels. */
  queue: string;
  /** The operator's security policy: allowed images, limits, user, network mode and hardening of new containers. */
  policy: Policy;
  output: Output;
  log: Logger;
  /**
   * The message's own identity (message_id, else correlation_id); unset when it has none. Runs look for a container
   * that carries it before creating one.
   */
  identity: string | undefined;
  /**
   * True when the message may have been worked on before (redelivered, or a retry): then every engine is asked for an
   * earlier container (not only the inventories), and if none is found while one could not be asked, the attempt
   * fails transiently.
   */
  seenBefore: boolean;
  /** True on the attempt after which a transient failure is no longer retried (the message's last chance). */
  lastAttempt: boolean;
  /**
   * Set for the instances of an `Instances` run: `Options.Remove` is left to the caller, which removes the containers
   * once every instance has settled, unless the message is to be retried (the retry adopts them).
   */
  deferRemove?: boolean;
  /**
   * A run with Options.Retry: its attempts that ended with a listed exit code and were retried (the retry copy's
   * header), oldest first. Their containers are not adopted; the next attempt is a fresh container. For an instance of
   * an `Instances` run, its own attempts only.
   */
  earlierAttempts: RecordedAttempt[];
  /** An instance of a run with `Instances`: the run message's own id (its containers are labelled with it). */
  instanceOf?: string;
  /** An instance of a run with `Instances`: which (1 to Instances), in its container's environment. */
  instance?: number;
  /**
   * Entries the worker adds to a new container's environment after the message's Env (`KEY=value`; one whose key the
   * message sets itself is left out): TRACEPARENT and TRACESTATE with --trace-env.
   */
  extraEnv?: readonly string[];
  /** A run's attached output published live (Options.Stream), besides stdout. */
  liveOutput?: { sink(source: OutputSource, stream: StreamName): StreamSink };
  /** Tells every worker on the queue of a cancel (the cancel stream); false when only this worker could be told. */
  publishCancel(cancel: { messageId: string; timeSeconds: number }): Promise<boolean>;
  /** Most bytes of each attached stream a reply carries (the end is kept). */
  maxOutputBytes: number;
  /** Deadline of each short Engine API call (create, inspect, start, remove, list). */
  requestTimeoutMs: number;
  /** Told once the command acts on a container (a run's, once started): for metrics and the status page. */
  onContainer?: (host: string, container: { Id: string; Name?: string }) => void;
}

export type { CommandResult };

export type CommandHandler<M> = (message: M, ctx: CommandContext) => Promise<CommandResult>;

/** Docker reports names with a leading slash; replies and output use them without. */
export function containerName(name: string): string {
  return name.replace(/^\//, '');
}

/** The message's Env, then the worker's entries for keys it does not set itself (see CommandContext.extraEnv). */
export function withExtraEnv(env: string[] | undefined, extra: readonly string[] | undefined): string[] | undefined {
  if (!extra?.length) return env;
  const keyOf = (entry: string) => entry.slice(0, entry.indexOf('='));
  const own = new Set((env ?? []).map(keyOf));
  return [...(env ?? []), ...extra.filter((entry) => !own.has(keyOf(entry)))];
}
