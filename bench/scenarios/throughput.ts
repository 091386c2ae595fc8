import { removeLabelled } from '../cleanup.js';
import { ExitWatcher } from '../container-events.js';
import { type BenchContext, type ScenarioWorker, settle, startWorker } from '../context.js';
import { createAndStart, runAttachedAndRemove } from '../direct-docker.js';
import { BATCH_LABEL, benchLabels, directSpec, runMessage, type RunShape } from '../messages.js';
import { costRatio, type Row } from '../report.js';
import { cpuMs, summarize } from '../stats.js';

const TARGET = 1.05;

type Variant = 'detached' | 'attached';

/**
 * M runs of `true` over the engines at concurrency K: the worker with prefetch K, versus K concurrent dockerode call
 * sequences over the same engines in the same round-robin order. Timed on both sides from the first publish (first
 * create) until every run is over: detached (no Attach, no Remove), until all replies (all starts) are in *and* every
 * engine has reported every container's exit (`die` events); attached with Remove, until the last reply (the last
 * remove). R rounds, alternating which side goes first; containers are removed between measurements, untimed.
 */
export async function throughput(ctx: BenchContext): Promise<{ rows: Row[]; raw: object }> {
  const { options } = ctx;
  const sw = await startWorker(ctx, 'throughput', { prefetch: options.concurrency });
  const rows: Row[] = [];
  const raw: Record<string, object> = {};
  try {
    for (const variant of ['detached', 'attached'] as const) {
      const ms = { worker: [] as number[], direct: [] as number[] };
      let workerCpu = 0;
      let directCpu = 0;
      const hosts = new Map<string, number>();
      // Warm-up, untimed: JIT, the engines' caches, connection set-up.
      if (options.warmup > 0) {
        await measure(ctx, sw, variant, 'direct', `warm-d-${variant}`, options.warmup);
        await measure(ctx, sw, variant, 'worker', `warm-w-${variant}`, options.warmup);
      }
      for (let round = 0; round < options.rounds; round++) {
        const sides = round % 2 === 0 ? (['direct', 'worker'] as const) : (['worker', 'direct'] as const);
        for (const side of sides) {
          const cpu0 = sw.worker.cpuMs();
          const own0 = process.cpuUsage();
          ms[side].push(
            await measure(ctx, sw, variant, side, `${variant}-${side}-${round}`, options.throughputRuns, hosts),
          );
          if (side === 'worker') workerCpu += sw.worker.cpuMs() - cpu0;
          // n.b. includes the untimed clean-up after the batch, the same on both sides.
          else directCpu += cpuMs(process.cpuUsage(own0));
        }
      }
      const worker = summarize(ms.worker);
      const direct = summarize(ms.direct);
      const ratio = costRatio('ms', worker, direct);
      const runsPerS = (t: number) => (options.throughputRuns / t) * 1000;
      const perRun = (cpu: number) => cpu / (options.rounds * options.throughputRuns);
      const what = variant === 'detached' ? '`true`, no attach/remove' : '`true`, attach + remove';
      rows.push({
        measure: `throughput: ${options.throughputRuns} × ${what}, K=${options.concurrency}, time for all`,
        unit: 'ms',
        worker,
        baseline: direct,
        baselineName: 'dockerode',
        ratio,
        target: `≤ ${TARGET.toFixed(2)}`,
        met: ratio <= TARGET,
        note:
          `${runsPerS(worker.median).toFixed(1)} runs/s through the worker, ${runsPerS(direct.median).toFixed(1)} direct; ` +
          `CPU per run: worker ${perRun(workerCpu).toFixed(1)} ms, direct dockerode client ${perRun(directCpu).toFixed(1)} ms; ` +
          `ratio round by round ${ms.worker.map((w, i) => (w / ms.direct[i]!).toFixed(3)).join(', ')}; ` +
          `the worker placed ${[...hosts].map(([h, n]) => `${n} on ${h}`).join(', ')} (direct: round-robin)`,
      });
      raw[variant] = {
        ms,
        workerCpuMsPerRun: perRun(workerCpu),
        directCpuMsPerRun: perRun(directCpu),
        workerHosts: Object.fromEntries(hosts),
      };
    }
    return { rows, raw };
  } finally {
    await sw.stop();
  }
}

/** One timed batch of `count` runs on one side; returns the wall time in ms. */
async function measure(
  ctx: BenchContext,
  sw: ScenarioWorker,
  variant: Variant,
  side: 'worker' | 'direct',
  name: string,
  count: number,
  hosts: Map<string, number> = new Map(),
): Promise<number> {
  const { options, services, client, runId } = ctx;
  const engines = services.engines;
  const batch = `${runId}-${name}`;
  const shape: RunShape = {
    image: services.image,
    cmd: ['true'],
    attach: variant === 'attached',
    remove: variant === 'attached',
    labels: benchLabels(runId, batch),
  };
  const watcher = variant === 'detached' ? await ExitWatcher.watch(engines, `${BATCH_LABEL}=${batch}`) : undefined;
  try {
    let lastDone: number;
    const t0 = performance.now();
    if (side === 'worker') {
      const replies = [];
      for (let i = 0; i < count; i++) replies.push((await client.send(sw.queue, runMessage(shape))).reply);
      const arrivals = await Promise.all(replies);
      const failed = arrivals.find((a) => a.reply.Status !== 'ok');
      if (failed) throw new Error(`a worker run failed: ${JSON.stringify(failed.reply)}`);
      lastDone = Math.max(...arrivals.map((a) => a.at));
      for (const { reply } of arrivals) hosts.set(reply.Host ?? '?', (hosts.get(reply.Host ?? '?') ?? 0) + 1);
    } else {
      let next = 0;
      const loop = async () => {
        while (next < count) {
          const engine = engines[next++ % engines.length]!;
          const spec = directSpec(shape, sw.queue, engine.name);
          if (variant === 'detached') await createAndStart(engine, spec);
          else await runAttachedAndRemove(engine, spec);
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, loop));
      lastDone = performance.now();
    }
    if (watcher) {
      await watcher.until(count);
      lastDone = Math.max(lastDone, watcher.lastExitAt());
    }
    return lastDone - t0;
  } finally {
    watcher?.close();
    if (variant === 'detached') await removeLabelled(engines, `${BATCH_LABEL}=${batch}`);
    await settle(ctx);
  }
}
