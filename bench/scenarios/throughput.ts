import { type ScenarioFloor, startFloor } from '../baseline/floor.js';
import { removeLabelled } from '../cleanup.js';
import { ExitWatcher } from '../container-events.js';
import { type BenchContext, type ScenarioWorker, settle, startWorker } from '../context.js';
import { createAndStart, runAttachedAndRemove } from '../direct-docker.js';
import { BATCH_LABEL, benchLabels, directSpec, runMessage, type RunShape } from '../messages.js';
import { costRatio, type Row } from '../report.js';
import { cpuMs, summarize } from '../stats.js';
import type { BenchEngine } from '../services.js';
import { transport } from './latency.js';

/** Issue 13: the worker takes at most this much longer than the direct sequences for the same runs. */
export const THROUGHPUT_TARGET = 1.03;
/** Issue 13: the worker's CPU per run at most this many times the direct dockerode client's. */
export const CPU_TARGET = 1.3;

type Variant = 'detached' | 'attached';
/** The worker; the direct dockerode calls; the bare dispatcher (bench/baseline/bare-dispatcher.ts), the CPU floor. */
type Side = 'worker' | 'direct' | 'floor';

/** The worker and the floor: processes of their own, fed through the broker, the same messages to their own queues. */
interface Dispatchers {
  sw: ScenarioWorker;
  floor: ScenarioFloor;
}

/** Where a series runs: over every engine (the worker places), or pinned to one engine (Options.Host). */
interface Where {
  label: string;
  engines: BenchEngine[];
  host?: string;
}

/**
 * M runs of `true` at concurrency K: the worker with prefetch K, versus K concurrent dockerode call sequences in the
 * same round-robin order over the same engines. Once over every engine (the worker places them, least-loaded), and,
 * with several engines, once pinned to each (Options.Host; the direct loops on that engine alone). Timed on both sides
 * from the first publish (first create) until every run is over: detached (no Attach, no Remove), until all replies
 * (all starts) are in *and* every engine has reported every container's exit (`die` events); attached with Remove,
 * until the last reply (the last remove). R rounds, alternating which side goes first; containers are removed between
 * measurements, untimed.
 *
 * CPU per run, of every batch of a kind together: the worker's process CPU (all threads, /proc/<pid>/task/<tid>/schedstat) from its
 * first publish until the batch is cleaned up and the machine settled (so the engine events its inventory follows
 * count), ÷ runs; the direct client's process.cpuUsage() over its calls only, ÷ runs. A third side, the floor: the
 * bare dispatcher, fed the same messages as the worker and measured the same way, in the same rounds. What it costs
 * over the direct client is what any queue-fed worker doing what issue 13 asks (consume, confirmed reply, ack, follow
 * every engine's events) costs at least: how much of the CPU target is left to the worker's own logic.
 */
export async function throughput(ctx: BenchContext): Promise<{ rows: Row[]; raw: object }> {
  const { options, services } = ctx;
  const sw = await startWorker(ctx, 'throughput', { prefetch: options.concurrency });
  const wheres: Where[] = [
    { label: `over ${services.engines.map((e) => e.name).join('+')}`, engines: services.engines },
  ];
  if (services.engines.length > 1) {
    for (const e of services.engines)
      wheres.push({ label: `on ${e.name} (${transport(e.address)})`, engines: [e], host: e.name });
  }
  const rows: Row[] = [];
  const cpuRows: Row[] = [];
  const raw: Record<string, object> = {};
  let floor: ScenarioFloor | undefined;
  try {
    floor = await startFloor(ctx, 'throughput-floor', options.concurrency);
    const dispatchers = { sw, floor };
    for (const variant of ['detached', 'attached'] as const) {
      // Per round, every series of the kind together: the CPU figures need the runs of several batches.
      const cpu = {
        worker: new Array<number>(options.rounds).fill(0),
        direct: new Array<number>(options.rounds).fill(0),
        floor: new Array<number>(options.rounds).fill(0),
      };
      const what = variant === 'detached' ? '`true`, no attach/remove' : '`true`, attach + remove';
      // Warm-up, untimed: JIT, the engines' caches, connection set-up.
      if (options.warmup > 0) {
        for (const side of ['direct', 'worker', 'floor'] as const) {
          await measure(ctx, dispatchers, variant, wheres[0]!, side, `warm-${side[0]}-${variant}`, options.warmup);
        }
      }
      for (const [w, where] of wheres.entries()) {
        const ms = { worker: [] as number[], direct: [] as number[], floor: [] as number[] };
        const hosts = new Map<string, number>();
        for (let round = 0; round < options.rounds; round++) {
          // n.b. reversed every round: each pair of sides swaps which goes first, the floor as the other two.
          const order: Side[] = ['direct', 'floor', 'worker'];
          const sides = (round + w) % 2 === 0 ? order : [...order].reverse();
          for (const side of sides) {
            const name = `${variant}-${w}-${side}-${round}`;
            const batch = await measure(ctx, dispatchers, variant, where, side, name, options.throughputRuns, hosts);
            ms[side].push(batch.ms);
            cpu[side][round]! += batch.cpuMs;
          }
        }
        const worker = summarize(ms.worker);
        const direct = summarize(ms.direct);
        const ratio = costRatio('ms', worker, direct);
        const runsPerS = (t: number) => (options.throughputRuns / t) * 1000;
        rows.push({
          measure: `throughput: ${options.throughputRuns} × ${what}, K=${options.concurrency}, ${where.label}, time for all`,
          unit: 'ms',
          worker,
          baseline: direct,
          baselineName: 'dockerode',
          ratio,
          rounds: ms.worker.map((t, i) => t / ms.direct[i]!),
          target: `≤ ${THROUGHPUT_TARGET.toFixed(2)}`,
          met: ratio <= THROUGHPUT_TARGET,
          note:
            `${runsPerS(worker.median).toFixed(1)} runs/s through the worker, ${runsPerS(direct.median).toFixed(1)} ` +
            `direct; the worker placed ${[...hosts].map(([h, n]) => `${n} on ${h}`).join(', ')}` +
            (where.host ? ' (pinned)' : ' (direct: round-robin)'),
        });
        raw[`${variant} ${where.label}`] = { ms, workerHosts: Object.fromEntries(hosts) };
      }
      const runsPerRound = wheres.length * options.throughputRuns;
      const perRun = (list: number[]) => list.map((c) => c / runsPerRound);
      const worker = summarize(perRun(cpu.worker));
      const direct = summarize(perRun(cpu.direct));
      const floorCpu = summarize(perRun(cpu.floor));
      const ratio = costRatio('ms CPU', worker, direct);
      const batches = `${what}, K=${options.concurrency}, ${runsPerRound} runs a round`;
      const total = (name: string, side: Side) => `${name} ${sum(cpu[side]).toFixed(0)} ms`;
      const totals = (a: [string, Side], b: [string, Side]) =>
        `total over ${options.rounds * runsPerRound} runs: ${total(...a)}, ${total(...b)} (threads' time on a CPU, /proc schedstat)`;
      const byRound = (a: Side, b: Side) => cpu[a].map((c, i) => c / cpu[b][i]!);
      cpuRows.push(
        {
          measure: `CPU per run: ${batches}`,
          unit: 'ms CPU',
          worker,
          baseline: direct,
          baselineName: 'dockerode client',
          ratio,
          rounds: byRound('worker', 'direct'),
          target: `≤ ${CPU_TARGET.toFixed(2)}`,
          met: ratio <= CPU_TARGET,
          note: totals(['worker', 'worker'], ['direct client', 'direct']),
        },
        {
          // n.b. no target: how much of CPU_TARGET any queue-fed worker has; its "worker" columns are the floor's.
          measure: `CPU per run: bare dispatcher (the floor), ${batches}`,
          unit: 'ms CPU',
          worker: floorCpu,
          baseline: direct,
          baselineName: 'dockerode client',
          ratio: costRatio('ms CPU', floorCpu, direct),
          rounds: byRound('floor', 'direct'),
          note: totals(['bare dispatcher', 'floor'], ['direct client', 'direct']),
        },
        {
          measure: `CPU per run: ${batches}`,
          unit: 'ms CPU',
          worker,
          baseline: floorCpu,
          baselineName: 'bare dispatcher',
          ratio: costRatio('ms CPU', worker, floorCpu),
          rounds: byRound('worker', 'floor'),
          note: totals(['worker', 'worker'], ['bare dispatcher', 'floor']),
        },
      );
      raw[`${variant} cpu`] = {
        workerCpuMsPerRound: cpu.worker,
        directCpuMsPerRound: cpu.direct,
        floorCpuMsPerRound: cpu.floor,
        runsPerRound,
      };
    }
    return { rows: [...rows, ...cpuRows], raw };
  } finally {
    await floor?.stop();
    await sw.stop();
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * One timed batch of `count` runs on one side: its wall time and that side's CPU time, in ms. `hosts` counts where the
 * worker placed its runs.
 */
async function measure(
  ctx: BenchContext,
  { sw, floor }: Dispatchers,
  variant: Variant,
  where: Where,
  side: Side,
  name: string,
  count: number,
  hosts: Map<string, number> = new Map(),
): Promise<{ ms: number; cpuMs: number }> {
  const { options, services, client, runId } = ctx;
  const engines = where.engines;
  const batch = `${runId}-${name}`;
  const shape: RunShape = {
    image: services.image,
    cmd: ['true'],
    attach: variant === 'attached',
    remove: variant === 'attached',
    host: where.host,
    labels: benchLabels(runId, batch),
  };
  const watcher = variant === 'detached' ? await ExitWatcher.watch(engines, `${BATCH_LABEL}=${batch}`) : undefined;
  // n.b. the worker and the floor are processes of their own, fed alike: their CPU is read from /proc, the same way.
  const dispatcher = {
    worker: { queue: sw.queue, cpuMs: () => sw.worker.cpuMs() },
    floor: { queue: floor.queue, cpuMs: () => floor.process.cpuMs() },
    direct: undefined,
  }[side];
  const cpu0 = dispatcher?.cpuMs() ?? 0;
  let cpu = 0;
  let ms: number;
  try {
    let lastDone: number;
    const t0 = performance.now();
    if (dispatcher) {
      const replies = [];
      for (let i = 0; i < count; i++) replies.push((await client.send(dispatcher.queue, runMessage(shape))).reply);
      const arrivals = await Promise.all(replies);
      const failed = arrivals.find((a) => a.reply.Status !== 'ok');
      if (failed) throw new Error(`a ${side} run failed: ${JSON.stringify(failed.reply)}`);
      lastDone = Math.max(...arrivals.map((a) => a.at));
      if (side === 'worker') {
        for (const { reply } of arrivals) hosts.set(reply.Host ?? '?', (hosts.get(reply.Host ?? '?') ?? 0) + 1);
      }
    } else {
      const own0 = process.cpuUsage();
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
      cpu = cpuMs(process.cpuUsage(own0));
    }
    if (watcher) {
      await watcher.until(count);
      lastDone = Math.max(lastDone, watcher.lastExitAt());
    }
    ms = lastDone - t0;
  } finally {
    watcher?.close();
    if (variant === 'detached') await removeLabelled(engines, `${BATCH_LABEL}=${batch}`);
    await settle(ctx);
  }
  if (dispatcher) cpu = dispatcher.cpuMs() - cpu0;
  return { ms, cpuMs: cpu };
}
