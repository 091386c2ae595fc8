/** Thrown into a job that was handed over: its work stops, and whoever takes the copy carries it on. */
export class HandedOverError extends Error {
  override readonly name = 'HandedOverError';
}

/**
 * A job's hold on its message, which a delivery older than the ack deadline hands over (see the worker): the job's
 * work is aborted (`signal`), and whoever takes the handed-over copy adopts what it left (a created or running
 * container) through the usual look-up. A command about to do what cannot be redone by an adopter, such as removing
 * a finished run's container, commits first: a committed job is never handed over, and one handed over cannot commit.
 */
export class Lease {
  private readonly controller = new AbortController();
  private state: 'held' | 'committed' | 'handed-over' = 'held';

  /** Aborted when the job is handed over. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get handedOver(): boolean {
    return this.state === 'handed-over';
  }

  /** The job goes past the point an adopter could take it from; false when it has been handed over already. */
  commit(): boolean {
    if (this.state === 'handed-over') return false;
    this.state = 'committed';
    return true;
  }

  /** Hands the job over, unless it has committed: its work is aborted. */
  handOver(): boolean {
    if (this.state !== 'held') return false;
    this.state = 'handed-over';
    this.controller.abort(new HandedOverError('handed over: the ack deadline passed'));
    return true;
  }
}

/** A deadline for one short Engine API call, that also ends when the job is handed over. */
export function callSignal(lease: { signal: AbortSignal }, timeoutMs: number): AbortSignal {
  return AbortSignal.any([lease.signal, AbortSignal.timeout(timeoutMs)]);
}
