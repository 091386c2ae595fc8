import type { EventEmitter } from 'node:events';
import type { WorkerState } from '../delivery/worker.js';

/** The worker as the HTTP endpoints see it. */
export interface WorkerStatus {
  state: WorkerState;
  /** Connected to RabbitMQ now. */
  amqpConnected: boolean;
  /** When the connection state last changed (ms since the epoch). */
  amqpSince: number;
  /** Connections lost since the start. */
  amqpDisconnects: number;
}

export interface WorkerStatusSource {
  status(): WorkerStatus;
}

/** What WorkerStatusTracker needs of a worker (the Worker class fits). */
export interface TrackedWorker {
  readonly state: WorkerState;
  readonly broker: EventEmitter & { readonly connected: boolean };
}

/**
 * The worker's status for the HTTP endpoints, which start before the worker: `starting` until `track(worker)`; then
 * the worker's state, and its broker session's connection (from its 'connected' and 'disconnected' events).
 */
export class WorkerStatusTracker implements WorkerStatusSource {
  private worker: TrackedWorker | undefined;
  private since = Date.now();
  private disconnects = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  track(worker: TrackedWorker): void {
    this.worker = worker;
    this.since = this.now();
    worker.broker.on('connected', () => (this.since = this.now()));
    worker.broker.on('disconnected', () => {
      this.since = this.now();
      this.disconnects += 1;
    });
  }

  status(): WorkerStatus {
    return {
      state: this.worker?.state ?? 'starting',
      amqpConnected: this.worker?.broker.connected ?? false,
      amqpSince: this.since,
      amqpDisconnects: this.disconnects,
    };
  }
}
