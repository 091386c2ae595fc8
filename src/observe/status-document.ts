import type { InProgress, RecentResult } from './activity.js';
import type { EngineStatus } from './engine-status.js';
import type { Settlement } from './observer.js';
import { readiness, type Readiness } from './readiness.js';
import type { ThroughputBucket } from './throughput.js';
import type { WorkerStatus } from './worker-status.js';

/** What GET /api/status answers, and the status page shows. */
export interface StatusDocument {
  version: string;
  queue: string;
  prefetch: number;
  /** The server's clock (ms since the epoch), so the page does not depend on the browser's. */
  now: number;
  startedAt: number;
  worker: { state: WorkerStatus['state']; amqp: { connected: boolean; since: number; disconnects: number } };
  readiness: Readiness;
  engines: EngineStatus[];
  inProgress: (InProgress & { runningForMs: number })[];
  recent: RecentResult[];
  totals: Record<Settlement | 'received', number>;
  throughput: { bucketMs: number; buckets: ThroughputBucket[] };
}

export interface StatusInput {
  now: number;
  info: { version: string; queue: string; prefetch: number; startedAt: number };
  worker: WorkerStatus;
  engines: EngineStatus[];
  inProgress: InProgress[];
  recent: RecentResult[];
  totals: Record<Settlement | 'received', number>;
  throughput: { bucketMs: number; buckets: ThroughputBucket[] };
}

/** Shapes the status document: readiness worked out, work in progress oldest first with how long it has run. */
export function statusDocument(input: StatusInput): StatusDocument {
  const { now, info, worker, engines } = input;
  return {
    ...info,
    now,
    worker: {
      state: worker.state,
      amqp: { connected: worker.amqpConnected, since: worker.amqpSince, disconnects: worker.amqpDisconnects },
    },
    readiness: readiness(worker, engines),
    engines,
    inProgress: [...input.inProgress]
      .sort((a, b) => a.receivedAt - b.receivedAt)
      .map((job) => ({ ...job, runningForMs: Math.max(0, now - job.receivedAt) })),
    recent: input.recent,
    totals: { ...input.totals },
    throughput: input.throughput,
  };
}
