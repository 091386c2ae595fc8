import { type BenchContext, startWorker, settle } from '../context.js';
import { runAttachedAndRemove } from '../direct-docker.js';
import { benchLabels, directSpec, runMessage, type RunShape } from '../messages.js';
import { costRatio, type Row } from '../report.js';
import { cpuMs, median, summarize } from '../stats.js';

/** Issue 13: an attached run through the worker takes at most this much longer than the direct sequence. */
export const LATENCY_TARGET = 1.05;

/**
 * N sequential attached `echo` runs with Remove on the engines of the run: publish → reply through the worker, versus
 * the same create/attach/wait/start/exit/remove sequence with dockerode, on the same engine. See compareLatency.
 */
export function latency(ctx: BenchContext): Promise<{ rows: Row[]; raw: object }> {
  return compareLatency(ctx, { name: 'latency', label: 'latency: attached echo --rm' });
}

/**
 * The latency comparison on `ctx.services` (its engines and image): a worker of its own over those engines, runs
 * pinned with Options.Host in turn, so both sides run on the same engine each time whatever else runs there. The two
 * sides alternate run by run (and which goes first), so drift on a noisy machine hits both alike. The series is cut
 * into R rounds of consecutive runs, each with its own median ratio: their spread is the noise of the figure.
 */
export async function compareLatency(
  ctx: BenchContext,
  { name, label }: { name: string; label: string },
): Promise<{ rows: Row[]; raw: object }> {
  const { options, services, client, runId } = ctx;
  const engines = services.engines;
  const sw = await startWorker(ctx, name, { prefetch: options.concurrency });
  const shape = (side: string, i: number): RunShape => ({
    image: services.image,
    cmd: ['echo', 'hello from the bench'],
    attach: true,
    remove: true,
    name: `bench-${runId}-${name}-${side}-${i}`,
    host: engines[i % engines.length]!.name,
    labels: benchLabels(runId),
  });
  // Whole rounds over the engines, so each engine gets as many timed runs.
  const warmup = Math.ceil(options.warmup / engines.length) * engines.length;
  const runs = Math.ceil(options.latencyRuns / engines.length) * engines.length;
  const rounds = Math.max(1, Math.min(options.rounds, runs / engines.length));
  type Sample = { engine: string; round: number; worker: number; direct: number };
  const samples: Sample[] = [];
  let cpuBefore = 0;
  let directCpuMs = 0;

  const viaWorker = async (i: number): Promise<{ ms: number; host: string }> => {
    const t0 = performance.now();
    const { reply, at } = await client.request(sw.queue, runMessage(shape('w', i)));
    if (reply.Status !== 'ok' || reply.ExitCode !== 0) throw new Error(`worker run failed: ${JSON.stringify(reply)}`);
    return { ms: at - t0, host: reply.Host ?? '?' };
  };
  const direct = async (i: number): Promise<number> => {
    const engine = engines[i % engines.length]!;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { exitCode } = await runAttachedAndRemove(engine, directSpec(shape('d', i), sw.queue, engine.name));
    const ms = performance.now() - t0;
    if (i >= warmup) directCpuMs += cpuMs(process.cpuUsage(cpu0));
    if (exitCode !== 0) throw new Error(`direct run exited with ${exitCode}`);
    return ms;
  };

  try {
    for (let i = 0; i < warmup + runs; i++) {
      if (i === warmup) {
        await settle(ctx);
        cpuBefore = sw.worker.cpuMs();
      }
      const engine = engines[i % engines.length]!.name;
      const workerFirst = Math.floor(i / engines.length) % 2 === 1;
      let w: { ms: number; host: string };
      let d: number;
      if (workerFirst) {
        w = await viaWorker(i);
        d = await direct(i);
      } else {
        d = await direct(i);
        w = await viaWorker(i);
      }
      if (w.host !== engine)
        throw new Error(`the worker ran on ${w.host}, not on ${engine} where the message pinned it`);
      if (i >= warmup) {
        const round = Math.min(rounds - 1, Math.floor(((i - warmup) * rounds) / runs));
        samples.push({ engine, round, worker: w.ms, direct: d });
      }
    }
    const cpuPerRun = (sw.worker.cpuMs() - cpuBefore) / runs;
    const directCpuPerRun = directCpuMs / runs;
    const row = (measure: string, of: Sample[]): Row => {
      const worker = summarize(of.map((s) => s.worker));
      const baseline = summarize(of.map((s) => s.direct));
      const ratio = costRatio('ms', worker, baseline);
      const byRound = Array.from({ length: rounds }, (_, r) => of.filter((s) => s.round === r));
      return {
        measure,
        unit: 'ms',
        worker,
        baseline,
        baselineName: 'dockerode',
        ratio,
        rounds: byRound.map((s) => median(s.map((x) => x.worker)) / median(s.map((x) => x.direct))),
        target: `≤ ${LATENCY_TARGET.toFixed(2)}`,
        met: ratio <= LATENCY_TARGET,
      };
    };
    const rows = [row(`${label}, N=${runs}`, samples)];
    if (engines.length > 1) {
      for (const e of engines) {
        rows.push(
          row(
            `  on engine ${e.name} (${transport(e.address)})`,
            samples.filter((s) => s.engine === e.name),
          ),
        );
      }
    }
    rows[0]!.note =
      `CPU per run: worker ${cpuPerRun.toFixed(1)} ms, direct dockerode client ${directCpuPerRun.toFixed(1)} ms ` +
      `(sequential runs; the worker's includes its time between its runs, when it follows the direct side's containers)`;
    return { rows, raw: { samples, workerCpuMsPerRun: cpuPerRun, directCpuMsPerRun: directCpuPerRun } };
  } finally {
    await sw.stop();
  }
}

/** `unix` or `tcp`, from an engine address. */
export function transport(address: string): string {
  return address.startsWith('/') ? 'unix' : address.split(':')[0]!;
}
