/** Thrown into a job that was handed over: its work stops, and whoever takes the copy carries it on. */
export class HandedOverError extends Error {
  override readonly name = 'HandedOverError';
}

/** Thrown into a job that a cancel message named before its container ran: its work stops, and it is answered Cancelled. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

/** A cancel of the job's message: how long a running container gets between SIGTERM and SIGKILL. */
export interface CancelRequest {
  timeSeconds: number;
}

/**
 * A job's hold on its message. Two things can take it from the job:
 * - a delivery older than the ack deadline hands it over (see the worker): the job's work is aborted (`signal`), and
 *   whoever takes the handed-over copy adopts what it left (a created or running container) through the usual look-up.
 *   A command about to do what cannot be redone by an adopter, such as removing a finished run's container, commits
 *   first: a committed job is never handed over, and one handed over cannot commit.
 * - a cancel message: while a container of the job runs (`whileRunning`), the cancel stops it and the job goes on to
 *   collect its exit code and output; otherwise the job's work is aborted. Either way `cancelled` tells the job to
 *   answer Cancelled. A job that committed has finished its work: a cancel no longer changes its answer.
 */
export class Lease {
  private readonly controller = new AbortController();
  private state: 'held' | 'committed' | 'handed-over' = 'held';
  private cancelRequest: CancelRequest | undefined;
  private readonly running = new Set<(request: CancelRequest) => void>();
  /** Aborted by a hand-over and by any cancel: nothing new is placed, created or started after either. */
  private readonly starting = new AbortController();

  /**
   * `cancelled`: the message was cancelled before this delivery came (a redelivery may find its earlier container,
   * which the job then stops); the work is not aborted, the job itself refuses to start anything new.
   */
  constructor(cancelled?: CancelRequest) {
    this.cancelRequest = cancelled;
    if (cancelled) this.starting.abort(new CancelledError('cancelled by a cancel message'));
  }

  /** Aborted when the job is handed over, or cancelled before a container of it runs. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * For placing, creating and starting a container: aborted when the job is handed over or cancelled, even while
   * another container of it runs (an instance of an Instances run waiting for room creates nothing after a cancel).
   */
  get startSignal(): AbortSignal {
    return this.starting.signal;
  }

  get handedOver(): boolean {
    return this.state === 'handed-over';
  }

  /** The cancel that named this job while it was held, if one did. */
  get cancelled(): CancelRequest | undefined {
    return this.cancelRequest;
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
    const reason = new HandedOverError('handed over: the ack deadline passed');
    this.starting.abort(reason);
    this.controller.abort(reason);
    return true;
  }

  /**
   * Cancels the job, unless it has committed or been handed over (the copy's taker learns of the cancel itself): its
   * running containers are stopped by their `whileRunning` handlers; with none, its work is aborted. Once only.
   */
  cancel(request: CancelRequest): boolean {
    if (this.state !== 'held' || this.cancelRequest) return false;
    this.cancelRequest = request;
    const reason = new CancelledError('cancelled by a cancel message');
    this.starting.abort(reason);
    if (this.running.size > 0) for (const stop of this.running) stop(request);
    else this.controller.abort(reason);
    return true;
  }

  /**
   * While a container of the job runs, a cancel calls `stop` instead of aborting the job (which then collects the
   * exit code and output). Called at once if the job was cancelled already. Returns the function that ends it.
   */
  whileRunning(stop: (request: CancelRequest) => void): () => void {
    this.running.add(stop);
    if (this.cancelRequest) stop(this.cancelRequest);
    return () => this.running.delete(stop);
  }
}
