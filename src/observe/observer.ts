import type { Reply } from '../messages/types.js';

/**
 * What became of one delivery:
 * - `ok`: replied with Status ok, acked;
 * - `dead-lettered`: replied with an error, a copy in the dead-letter queue, acked;
 * - `retried`: a copy in the retry queue (a transient failure), acked;
 * - `cancelled`: replied Cancelled (a cancel message named it), acked, not dead-lettered;
 * - `handed-over`: a copy in the handover queue (the delivery reached its ack deadline), acked; the copy's taker
 *   answers it;
 * - `error`: not settled here, so it goes back to its queue: its connection dropped before the ack, its reply could not
 *   be published, or handling it hit a bug. The broker delivers it again.
 */
export type Settlement = 'ok' | 'dead-lettered' | 'cancelled' | 'retried' | 'handed-over' | 'error';

export const SETTLEMENTS: readonly Settlement[] = [
  'ok',
  'dead-lettered',
  'cancelled',
  'retried',
  'handed-over',
  'error',
];

/** A delivery the worker took, once its body has been read. */
export interface ReceivedMessage {
  messageId: string;
  /** The command the message named, as written (absent when it named none); may be anything for a bad message. */
  dockercmd: string | undefined;
  /** A run's image. */
  image: string | undefined;
  /** Delivered before (a redelivery) or a retry. */
  seenBefore: boolean;
}

/** The engine and container a command acts on, once known. */
export interface Placement {
  host: string;
  container: { Id: string; Name?: string };
}

export interface FinishedMessage {
  settlement: Settlement;
  /** The reply sent, or the one that would have been (retried, or unsettled); absent when there was none yet. */
  reply: Reply | undefined;
  /** How long the command took (from reading the message to its result). */
  durationMs: number | undefined;
}

/** Follows one delivery: `started` (at most once), `replied` (at most once), then `finished` (exactly once, last). */
export interface MessageObserver {
  /** The command reached an engine: the container it acts on is known (a run's, once started). */
  started(placement: Placement): void;
  /** The reply was published and confirmed by the broker. */
  replied(reply: Reply): void;
  finished(finish: FinishedMessage): void;
}

/**
 * What the worker tells the world about its work, for metrics and the status page. Implementations must be quick and
 * must not throw (the worker guards against it all the same: `guarded`).
 */
export interface WorkerObserver {
  received(message: ReceivedMessage): MessageObserver;
}

const IGNORE: MessageObserver = { started: () => undefined, replied: () => undefined, finished: () => undefined };

export const NO_OBSERVER: WorkerObserver = { received: () => IGNORE };

/** One observer that tells each of `observers`, in order. */
export function fanOut(...observers: WorkerObserver[]): WorkerObserver {
  return {
    received(message) {
      const each = observers.map((observer) => observer.received(message));
      return {
        started: (placement) => each.forEach((o) => o.started(placement)),
        replied: (reply) => each.forEach((o) => o.replied(reply)),
        finished: (finish) => each.forEach((o) => o.finished(finish)),
      };
    },
  };
}

/** An observer whose failures are reported to `onError` instead of reaching the worker. */
export function guarded(observer: WorkerObserver, onError: (err: unknown) => void): WorkerObserver {
  const safely =
    <A extends unknown[]>(call: (...args: A) => void) =>
    (...args: A): void => {
      try {
        call(...args);
      } catch (err) {
        onError(err);
      }
    };
  return {
    received(message) {
      let inner: MessageObserver = IGNORE;
      safely(() => (inner = observer.received(message)))();
      return {
        started: safely((placement: Placement) => inner.started(placement)),
        replied: safely((reply: Reply) => inner.replied(reply)),
        finished: safely((finish: FinishedMessage) => inner.finished(finish)),
      };
    },
  };
}
