import { queueCleanup, type BenchContext } from '../context.js';
import { BaselineProcess } from './baseline-process.js';

/** The bare dispatcher of a scenario on a queue of its own, and how to be rid of it. */
export interface ScenarioFloor {
  queue: string;
  process: BaselineProcess;
  /** Stops it, removes the containers it made and its queue (also registered as a clean-up). */
  stop(): Promise<void>;
}

/**
 * Starts bench/baseline/bare-dispatcher.ts on `bench-<run>-<name>` over the bench's engines with `prefetch`, as
 * startWorker starts the worker; stopped by the bench's clean-ups on failure too.
 */
export async function startFloor(ctx: BenchContext, name: string, prefetch: number): Promise<ScenarioFloor> {
  const queue = `bench-${ctx.runId}-${name}`;
  const cleanup = queueCleanup(ctx, `bare dispatcher ${queue}`, queue, [queue]);
  const floor = await BaselineProcess.start('bare-dispatcher', [
    ctx.services.amqpUrl,
    queue,
    String(prefetch),
    ...ctx.services.engines.map((e) => `${e.name}=${e.address}`),
  ]);
  cleanup.started(floor);
  return { queue, process: floor, stop: cleanup.stop };
}
