import type { EngineStatus } from './engine-status.js';
import type { WorkerStatus } from './worker-status.js';

/** The body of /readyz: ready or not, and why, with a word for the worker, the broker and each engine. */
export interface Readiness {
  ready: boolean;
  /** Every reason it is not ready, as sentences (empty when ready). */
  reasons: string[];
  worker: WorkerStatus['state'];
  amqp: 'connected' | 'disconnected';
  /** Per engine id: `healthy`, or why not. */
  engines: Record<string, string>;
}

/** Ready only while consuming (running and connected to RabbitMQ) with at least one healthy engine. */
export function readiness(worker: WorkerStatus, engines: readonly EngineStatus[]): Readiness {
  const reasons: string[] = [];
  if (worker.state === 'starting') reasons.push('the worker is starting');
  if (worker.state === 'draining') reasons.push('the worker is shutting down: it takes no new messages');
  if (worker.state === 'stopped') reasons.push('the worker has stopped');
  if (worker.state === 'failed') reasons.push('the worker failed to start');
  if (worker.state === 'running' && !worker.amqpConnected) reasons.push('not connected to RabbitMQ: reconnecting');
  if (!engines.some((engine) => engine.healthy)) reasons.push('no Docker engine is healthy');
  return {
    ready: reasons.length === 0,
    reasons,
    worker: worker.state,
    amqp: worker.amqpConnected ? 'connected' : 'disconnected',
    engines: Object.fromEntries(
      engines.map((e) => [e.id, e.healthy ? 'healthy' : `unhealthy: ${e.reason ?? 'unknown'}`]),
    ),
  };
}
