import type { Logger } from 'pino';
import { Activity } from '../observe/activity.js';
import type { EngineStatusSource } from '../observe/engine-status.js';
import { DispatchMetrics } from '../observe/metrics.js';
import { fanOut, guarded, type WorkerObserver } from '../observe/observer.js';
import { readiness } from '../observe/readiness.js';
import { statusDocument } from '../observe/status-document.js';
import { WorkerStatusTracker, type TrackedWorker } from '../observe/worker-status.js';
import { startHttpServer } from './server.js';

export interface OperationsOptions {
  listen: { host: string; port: number };
  /** Engine health and running counts: the engine pool's (PoolEngineStatus). */
  engineStatus: EngineStatusSource;
  info: { version: string; queue: string; prefetch: number };
  log: Logger;
}

/** The metrics, the status page and health endpoints of one worker, served over HTTP. */
export interface Operations {
  /** Give it to the worker: it counts messages and remembers recent results. */
  readonly observer: WorkerObserver;
  readonly url: string;
  /** Starts following the worker's state and broker connection (the server starts before the worker), and logs the URL. */
  track(worker: TrackedWorker): void;
  close(): Promise<void>;
}

/** Starts the HTTP endpoint (failing with HttpListenError if it cannot listen) and what feeds it. */
export async function startOperations(options: OperationsOptions): Promise<Operations> {
  const { log, info } = options;
  const startedAt = Date.now();
  const engines = options.engineStatus;
  const worker = new WorkerStatusTracker();
  const metrics = new DispatchMetrics({ engines, worker, info });
  const activity = new Activity();
  const server = await startHttpServer(
    {
      metrics,
      readiness: () => readiness(worker.status(), engines.engines()),
      status: () =>
        statusDocument({
          now: Date.now(),
          info: { ...info, startedAt },
          worker: worker.status(),
          engines: engines.engines(),
          inProgress: activity.inProgress(),
          recent: activity.recentResults(),
          totals: activity.totals,
          throughput: { bucketMs: activity.throughput.bucketMs, buckets: activity.throughput.series(Date.now()) },
        }),
      log,
    },
    options.listen,
  );
  return {
    observer: guarded(fanOut(metrics.observer, activity.observer), (err) =>
      log.error({ err }, 'metrics or status page failed to record a message (a bug); the worker goes on'),
    ),
    url: server.url,
    track(tracked) {
      worker.track(tracked);
      // n.b. logged once started: a start-up that fails prints only its error line.
      log.info({ url: server.url }, `status page on ${server.url} (metrics on ${server.url}metrics)`);
    },
    async close() {
      await server.close();
    },
  };
}
