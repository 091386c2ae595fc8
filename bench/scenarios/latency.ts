import { type BenchContext, startWorker, settle } from '../context.js';
import { runAttachedAndRemove } from '../direct-docker.js';
import { benchLabels, directSpec, runMessage, type RunShape } from '../messages.js';
import { costRatio, type Row } from '../report.js';
import { cpuMs, summarize } from '../stats.js';

const TARGET = 1.1;

/**
 * N sequential attached `echo` runs with Remove: publish → reply through the worker, versus the same
 * create/attach/wait/start/exit/remove sequence with dockerode, on the same engine. The two sides alternate run by
 * run (and which goes first), so drift on a noisy machine hits both alike.
 */
export async function latency(ctx: BenchContext): Promise<{ rows: Row[]; raw: object }> {
  const { options, services, client, runId } = ctx;
  const engines = services.engines;
  const sw = await startWorker(ctx, 'latency', { prefetch: options.concurrency });
  const shape = (side: string, i: number): RunShape => ({
    image: services.image,
    cmd: ['echo', 'hello from the bench'],
    attach: true,
    remove: true,
    name: `bench-${runId}-${side}-${i}`,
    // Pinned, so both sides run on the same engine each time whatever else runs on the engines.
    host: engines[i % engines.length]!.name,
    labels: benchLabels(runId),
  });
  // Whole rounds over the engines, so each engine gets as many timed runs.
  const warmup = Math.ceil(options.warmup / engines.length) * engines.length;
  const samples: Record<string, { worker: number[]; direct: number[] }> = {};
  for (const e of engines) samples[e.name] = { worker: [], direct: [] };
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
    for (let i = 0; i < warmup + options.latencyRuns; i++) {
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
        samples[engine]!.worker.push(w.ms);
        samples[engine]!.direct.push(d);
      }
    }
    const cpuPerRun = (sw.worker.cpuMs() - cpuBefore) / options.latencyRuns;
    const all = (side: 'worker' | 'direct') => Object.values(samples).flatMap((s) => s[side]);
    const row = (measure: string, worker: number[], direct: number[], target?: number): Row => {
      const ws = summarize(worker);
      const ds = summarize(direct);
      const ratio = costRatio('ms', ws, ds);
      return {
        measure,
        unit: 'ms',
        worker: ws,
        baseline: ds,
        baselineName: 'dockerode',
        ratio,
        ...(target === undefined ? {} : { target: `≤ ${target.toFixed(2)}`, met: ratio <= target }),
      };
    };
    const rows = [row(`latency: attached echo --rm, N=${options.latencyRuns}`, all('worker'), all('direct'), TARGET)];
    if (engines.length > 1) {
      for (const e of engines) {
        rows.push(
          row(`  on engine ${e.name} (${e.address.split(':')[0]})`, samples[e.name]!.worker, samples[e.name]!.direct),
        );
      }
    }
    const directCpuPerRun = directCpuMs / options.latencyRuns;
    rows[0]!.note = `CPU per run: worker ${cpuPerRun.toFixed(1)} ms, direct dockerode client ${directCpuPerRun.toFixed(1)} ms`;
    return { rows, raw: { samples, workerCpuMsPerRun: cpuPerRun, directCpuMsPerRun: directCpuPerRun } };
  } finally {
    await sw.stop();
  }
}
