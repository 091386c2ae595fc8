import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchClient } from './amqp-client.js';
import { Cleanups, removeLabelled } from './cleanup.js';
import type { BenchOptions } from './options.js';
import { hostList, type BenchEngine, type BenchServices } from './services.js';
import { BenchWorker } from './worker-process.js';

/** Label key the bench puts on every container it makes, directly or through the worker. */
export const RUN_LABEL = 'docker-dispatch-bench.run';

/** What every scenario works with. */
export interface BenchContext {
  options: BenchOptions;
  services: BenchServices;
  client: BenchClient;
  /** Unique per `npm run bench`: in queue names and the RUN_LABEL of every container. */
  runId: string;
  cleanups: Cleanups;
  /** Directory for the workers' CPU profiles when --profile is on. */
  profileDir: string | undefined;
  /** Directory for the workers' stdout and stderr (`<queue>.out`, `<queue>.err`). */
  logDir: string;
}

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A worker of one scenario, on its own queue, and everything needed to clean up after it. */
export interface ScenarioWorker {
  queue: string;
  worker: BenchWorker;
  engines: readonly BenchEngine[];
  /** Stops the worker, removes its containers and queues (also registered as a clean-up). */
  stop(): Promise<void>;
}

/** Starts bin/docker-dispatch on a queue of its own (`bench-<run>-<name>`), `--network none`, over the engines. */
export async function startWorker(
  ctx: BenchContext,
  name: string,
  { prefetch, gcHook = false, extraArgs = [] }: { prefetch: number; gcHook?: boolean; extraArgs?: string[] },
): Promise<ScenarioWorker> {
  const queue = `bench-${ctx.runId}-${name}`;
  const engines = ctx.services.engines;
  // n.b. the worker declares its retry and hand-over queues too (src/amqp/topology.ts).
  const queues = [
    queue,
    `${queue}.replies`,
    `${queue}.dead`,
    `${queue}.retry`,
    `${queue}.handover`,
    `${queue}.control`,
    `${queue}.cancels`,
  ];
  const cleanup = queueCleanup(ctx, `worker ${queue}`, queue, queues);
  const worker = await BenchWorker.start({
    args: [
      '-q',
      queue,
      '--network',
      'none',
      '--prefetch',
      String(prefetch),
      ...extraArgs,
      hostList(engines),
      ctx.services.amqpUrl,
    ],
    logPrefix: join(ctx.logDir, queue),
    gcHook,
    cpuProfDir: ctx.profileDir,
    bin: ctx.options.workerBin,
  });
  cleanup.started(worker);
  return { queue, worker, engines, stop: cleanup.stop };
}

/** A process a scenario starts and stops. */
interface Stoppable {
  stop(): Promise<unknown>;
}

/** The clean-up of a scenario's process: told when the process has started; `stop` runs it (once). */
export interface QueueCleanup {
  started: (process: Stoppable) => void;
  stop: () => Promise<void>;
}

/**
 * The clean-up of a process a scenario runs on a queue of its own, registered before the process starts (so a failed
 * start is cleaned up too) and run once: it stops the process once `started`, removes the containers labelled with the
 * queue and deletes `queues`.
 */
export function queueCleanup(ctx: BenchContext, what: string, queue: string, queues: readonly string[]): QueueCleanup {
  let process: Stoppable | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await process?.stop();
    await removeLabelled(ctx.services.engines, `docker-dispatch.queue=${queue}`);
    await ctx.client.deleteQueues(queues);
  };
  ctx.cleanups.add(what, stop);
  return { started: (p) => (process = p), stop };
}

/** Lets the machine settle between measurements (clean-ups, JIT, the broker's own housekeeping). */
export async function settle(ctx: BenchContext): Promise<void> {
  await sleep(ctx.options.pauseMs / 3);
}
