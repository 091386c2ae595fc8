import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchContext, type ScenarioWorker, settle, startWorker } from '../context.js';
import { benchLabels, runMessage, type RunShape } from '../messages.js';
import { costRatio, single, type Row } from '../report.js';
import { dockerClient, type BenchEngine } from '../services.js';
import { SimEngine } from '../sim/sim-engine.js';
import { median, summarize } from '../stats.js';

/** Issue 13: from the fewest engines to the most, worker CPU per run and publish → reply grow at most this much. */
export const FLAT_TARGET = 1.1;
/** Calls that are not a run's: health pings and the long-lived event streams, counted apart. */
const BACKGROUND = new Set(['GET /_ping', 'HEAD /_ping', 'GET /events']);
/** What a first-delivery attached run with Remove asks of its engine: the direct sequence. */
const RUN_CALLS = [
  'POST /containers/create',
  'POST /containers/{id}/attach',
  'POST /containers/{id}/wait',
  'POST /containers/{id}/start',
  'DELETE /containers/{id}',
];

/** One worker and its M simulated engines. */
interface Fleet {
  m: number;
  sims: SimEngine[];
  sw: ScenarioWorker;
  latencyMs: number[][];
  cpuMsPerRun: number[];
  /** Sequential runs, one at a time: calls the chosen engine got beyond RUN_CALLS, and any other engine got, by kind. */
  sequential: { runs: number; extraOnChosen: Map<string, number>; onOthers: Map<string, number> };
  /** Concurrent runs (the batches): calls beyond RUN_CALLS on the engines the replies name, over all engines. */
  concurrent: { runs: number; extra: Map<string, number> };
  background: Map<string, number>;
  measuredMs: number;
  /** The idle worker's CPU (health pings, timers), ms per second. */
  idleCpuMsPerS: number;
}

/** How long the idle workers' CPU is read, all at once, before the measurements. */
const IDLE_WINDOW_MS = 5000;

/**
 * The worker alone against M = 2, 8, 32… simulated engines (bench/sim/sim-engine.ts: a fixed service time per call, no
 * containers), one worker per M over its own engines, all up at once so the rounds can alternate between them. Per M
 * and round: sequential attached `echo` runs with Remove, publish → reply; then a batch of runs at prefetch K, the
 * worker's process CPU over it ÷ runs. Every run's calls are counted per engine: the engine the reply names must get
 * exactly the direct sequence, every other engine nothing (health pings and event streams counted apart).
 */
export async function scale(ctx: BenchContext): Promise<{ rows: Row[]; raw: object; text: string }> {
  const { options } = ctx;
  const dir = mkdtempSync(join(tmpdir(), `dd-bench-${ctx.runId}-`));
  const fleets: Fleet[] = [];
  const started = { workers: [] as ScenarioWorker[], sims: [] as SimEngine[] };
  const stopAll = async () => {
    for (const sw of started.workers.splice(0)) await sw.stop();
    for (const sim of started.sims.splice(0)) await sim.close();
    rmSync(dir, { recursive: true, force: true });
  };
  ctx.cleanups.add('simulated engines', stopAll);
  try {
    for (const m of options.scaleEngines) fleets.push(await startFleet(ctx, dir, m, started));
    // The cost of the engines alone: every worker idle at once, its health pings and timers.
    await settle(ctx);
    const idle0 = fleets.map((f) => f.sw.worker.cpuMs());
    await sleep(options.smoke ? IDLE_WINDOW_MS / 5 : IDLE_WINDOW_MS);
    const window = (options.smoke ? IDLE_WINDOW_MS / 5 : IDLE_WINDOW_MS) / 1000;
    fleets.forEach((f, i) => (f.idleCpuMsPerS = (f.sw.worker.cpuMs() - idle0[i]!) / window));
    const perRound = Math.max(1, Math.ceil(options.latencyRuns / options.rounds));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? fleets : [...fleets].reverse();
      for (const fleet of order) {
        if (round === 0) for (let i = 0; i < options.warmup; i++) await oneRun(ctx, fleet, i);
        for (const sim of fleet.sims) sim.reset();
        const t0 = performance.now();
        const latencies: number[] = [];
        for (let i = 0; i < perRound; i++) latencies.push(await oneRun(ctx, fleet, i));
        fleet.latencyMs.push(latencies);
        await settle(ctx);
        fleet.cpuMsPerRun.push(await batch(ctx, fleet, options.scaleRuns));
        fleet.measuredMs += performance.now() - t0;
        for (const sim of fleet.sims) add(fleet.background, sim.snapshot(), (key) => BACKGROUND.has(key));
      }
    }
    return report(ctx, fleets);
  } finally {
    await stopAll();
  }
}

async function startFleet(
  ctx: BenchContext,
  dir: string,
  m: number,
  started: { workers: ScenarioWorker[]; sims: SimEngine[] },
): Promise<Fleet> {
  const sims: SimEngine[] = [];
  for (let i = 1; i <= m; i++) {
    const socketPath = join(dir, `m${m}-s${i}.sock`);
    sims.push(await SimEngine.start({ name: `s${i}`, socketPath, serviceMs: ctx.options.scaleServiceMs }));
    started.sims.push(sims[sims.length - 1]!);
  }
  const engines: BenchEngine[] = sims.map((s) => ({
    name: s.name,
    address: s.address,
    docker: dockerClient(s.address),
  }));
  const sw = await startWorker({ ...ctx, services: { ...ctx.services, engines } }, `scale-${m}`, {
    prefetch: ctx.options.concurrency,
  });
  started.workers.push(sw);
  // Every engine listed and followed: the inventories are synced (a worker older than the inventories never is).
  const deadline = Date.now() + 10_000;
  while (!sims.every((s) => s.eventStreams > 0 && (s.counts.get('GET /containers/json') ?? 0) > 0)) {
    if (Date.now() > deadline) {
      process.stderr.write(`bench: scale: the worker does not follow all ${m} simulated engines; measured as it is\n`);
      break;
    }
    await sleep(20);
  }
  const fleet: Fleet = {
    m,
    sims,
    sw,
    latencyMs: [],
    cpuMsPerRun: [],
    sequential: { runs: 0, extraOnChosen: new Map(), onOthers: new Map() },
    concurrent: { runs: 0, extra: new Map() },
    background: new Map(),
    measuredMs: 0,
    idleCpuMsPerS: 0,
  };
  return fleet;
}

function shape(ctx: BenchContext): RunShape {
  return {
    image: ctx.services.image,
    cmd: ['echo', 'hello from the bench'],
    attach: true,
    remove: true,
    labels: benchLabels(ctx.runId),
  };
}

/** One attached run, publish → reply (ms); its calls checked engine by engine. */
async function oneRun(ctx: BenchContext, fleet: Fleet, i: number): Promise<number> {
  const before = fleet.sims.map((s) => s.snapshot());
  const t0 = performance.now();
  const { reply, at } = await ctx.client.request(fleet.sw.queue, runMessage(shape(ctx)));
  if (reply.Status !== 'ok' || reply.ExitCode !== 0) throw new Error(`scale run ${i} failed: ${JSON.stringify(reply)}`);
  count(fleet, reply.Host, before);
  return at - t0;
}

/** `runs` attached runs published at once (prefetch K): the worker's CPU per run, in ms. */
async function batch(ctx: BenchContext, fleet: Fleet, runs: number): Promise<number> {
  const before = fleet.sims.map((s) => s.snapshot());
  const cpu0 = fleet.sw.worker.cpuMs();
  const replies = [];
  for (let i = 0; i < runs; i++) replies.push((await ctx.client.send(fleet.sw.queue, runMessage(shape(ctx)))).reply);
  const arrivals = await Promise.all(replies);
  await settle(ctx);
  const cpu = fleet.sw.worker.cpuMs() - cpu0;
  const failed = arrivals.find((a) => a.reply.Status !== 'ok' || a.reply.ExitCode !== 0);
  if (failed) throw new Error(`a scale run failed: ${JSON.stringify(failed.reply)}`);
  // Concurrent runs: checked together, each engine against the runs the replies put there.
  const placed = new Map<string, number>();
  for (const { reply } of arrivals) placed.set(reply.Host ?? '?', (placed.get(reply.Host ?? '?') ?? 0) + 1);
  fleet.sims.forEach((sim, i) => {
    const calls = delta(sim.snapshot(), before[i]!);
    const n = placed.get(sim.name) ?? 0;
    for (const key of RUN_CALLS) calls.set(key, (calls.get(key) ?? 0) - n);
    add(fleet.concurrent.extra, calls, (key) => !BACKGROUND.has(key));
  });
  fleet.concurrent.runs += runs;
  return cpu / runs;
}

function count(fleet: Fleet, host: string | undefined, before: Map<string, number>[]): void {
  const { sequential } = fleet;
  fleet.sims.forEach((sim, i) => {
    const calls = delta(sim.snapshot(), before[i]!);
    if (sim.name === host) for (const key of RUN_CALLS) calls.set(key, (calls.get(key) ?? 0) - 1);
    add(sim.name === host ? sequential.extraOnChosen : sequential.onOthers, calls, (key) => !BACKGROUND.has(key));
  });
  sequential.runs += 1;
}

function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const d = new Map<string, number>();
  for (const [key, n] of after) if (n !== (before.get(key) ?? 0)) d.set(key, n - (before.get(key) ?? 0));
  return d;
}

function add(into: Map<string, number>, from: Map<string, number>, keep: (key: string) => boolean): void {
  for (const [key, n] of from) if (n !== 0 && keep(key)) into.set(key, (into.get(key) ?? 0) + n);
}

function report(ctx: BenchContext, fleets: Fleet[]): { rows: Row[]; raw: object; text: string } {
  const { options } = ctx;
  const [first] = fleets;
  const rows: Row[] = [];
  const latencyOf = (f: Fleet) => summarize(f.latencyMs.flat());
  const cpuOf = (f: Fleet) => summarize(f.cpuMsPerRun);
  const service = `${options.scaleServiceMs} ms a call`;
  for (const fleet of fleets) {
    const vs = fleet === first ? undefined : first;
    const latency = latencyOf(fleet);
    const cpu = cpuOf(fleet);
    const latencyRow: Row = {
      measure: `scale: publish → reply, attached echo --rm, M=${fleet.m} simulated engines (${service})`,
      unit: 'ms',
      worker: latency,
    };
    const cpuRow: Row = {
      measure: `scale: worker CPU per run, ${options.scaleRuns} attached runs at K=${options.concurrency}, M=${fleet.m}`,
      unit: 'ms CPU',
      worker: cpu,
    };
    if (vs) {
      const latencyRatio = costRatio('ms', latency, latencyOf(vs));
      Object.assign(latencyRow, {
        baseline: latencyOf(vs),
        baselineName: `M=${vs.m}`,
        ratio: latencyRatio,
        rounds: fleet.latencyMs.map((l, r) => median(l) / median(vs.latencyMs[r]!)),
        target: `≤ ${FLAT_TARGET.toFixed(2)}`,
        met: latencyRatio <= FLAT_TARGET,
      });
      const cpuRatio = costRatio('ms CPU', cpu, cpuOf(vs));
      Object.assign(cpuRow, {
        baseline: cpuOf(vs),
        baselineName: `M=${vs.m}`,
        ratio: cpuRatio,
        rounds: fleet.cpuMsPerRun.map((c, r) => c / vs.cpuMsPerRun[r]!),
        target: `≤ ${FLAT_TARGET.toFixed(2)}`,
        met: cpuRatio <= FLAT_TARGET,
      });
    }
    rows.push(latencyRow, cpuRow);
  }
  const list = (m: Map<string, number>, runs: number) =>
    [...m].some(([, n]) => n !== 0)
      ? [...m]
          .filter(([, n]) => n !== 0)
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${perRun(n, runs)}× \`${k}\``)
          .join(', ')
      : '0';
  const lines = [
    `Scale: Engine API calls per first-delivery run (attached echo --rm), simulated engines, ${service}. Sequential ` +
      'runs are counted one by one on the engine their reply names and on every other engine; the concurrent runs of ' +
      'the batches together, beyond the direct sequence on the engines their replies name. Health pings and event ' +
      'streams counted apart.',
    '',
    '| M | sequential runs | chosen engine: the direct sequence (5) and beyond it | all other engines | ' +
      'concurrent runs | beyond the direct sequence, all engines | pings, per engine a minute | event streams opened | ' +
      'idle worker CPU, ms a second |',
    '|---:|---:|---|---|---:|---|---:|---:|---:|',
    ...fleets.map((f) => {
      const { sequential: q, concurrent: c } = f;
      const pings = ((f.background.get('GET /_ping') ?? 0) / f.m / (f.measuredMs / 60_000)).toFixed(1);
      return (
        `| ${f.m} | ${q.runs} | 5 + ${list(q.extraOnChosen, q.runs)} | ${list(q.onOthers, q.runs)} | ${c.runs} | ` +
        `${list(c.extra, c.runs)} | ${pings} | ${f.background.get('GET /events') ?? 0} | ${f.idleCpuMsPerS.toFixed(1)} |`
      );
    }),
  ];
  const runs = fleets.reduce((n, f) => n + f.sequential.runs + f.concurrent.runs, 0);
  const beyond = fleets.reduce(
    (n, f) => n + sumOf(f.sequential.onOthers) + sumOf(f.sequential.extraOnChosen) + sumOf(f.concurrent.extra),
    0,
  );
  rows.push({
    measure: `scale: calls beyond the direct sequence, on the chosen engine or any other, per run (${runs} runs)`,
    unit: 'calls',
    worker: single(beyond / runs),
    target: '0',
    met: beyond === 0,
  });
  const raw = Object.fromEntries(
    fleets.map((f) => [
      `M=${f.m}`,
      {
        latencyMs: f.latencyMs,
        cpuMsPerRun: f.cpuMsPerRun,
        sequential: {
          runs: f.sequential.runs,
          extraOnChosen: Object.fromEntries(f.sequential.extraOnChosen),
          onOthers: Object.fromEntries(f.sequential.onOthers),
        },
        concurrent: { runs: f.concurrent.runs, extra: Object.fromEntries(f.concurrent.extra) },
        background: Object.fromEntries(f.background),
        measuredMs: f.measuredMs,
        idleCpuMsPerS: f.idleCpuMsPerS,
      },
    ]),
  );
  return { rows, raw, text: lines.join('\n') };
}

function perRun(n: number, runs: number): string {
  const x = n / runs;
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function sumOf(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}
