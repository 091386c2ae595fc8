import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { BenchClient } from './amqp-client.js';
import { Cleanups, removeLabelled } from './cleanup.js';
import { type BenchContext, newRunId, RUN_LABEL } from './context.js';
import { busyWithTests, machineInfo } from './machine.js';
import { parseOptions, USAGE, type Scenario } from './options.js';
import { table, writeResults, type Row } from './report.js';
import { apiCalls } from './scenarios/api-calls.js';
import { latency } from './scenarios/latency.js';
import { memory } from './scenarios/memory.js';
import { messagePath } from './scenarios/message-path.js';
import { throughput } from './scenarios/throughput.js';
import { scale } from './scenarios/scale.js';
import { podman } from './scenarios/podman.js';
import { preflight, redactedUrl, SETUP } from './preflight.js';
import { MissingServicesError, podmanEngine } from './services.js';

type ScenarioRun = (ctx: BenchContext) => Promise<{ rows: Row[]; raw: object; text?: string }>;
const RUNS: Record<Scenario, ScenarioRun> = {
  calls: apiCalls,
  latency,
  throughput,
  messages: messagePath,
  memory,
  scale,
  podman,
};

function die(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    die(`${(err as Error).message}\n${USAGE}`);
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let services;
  try {
    services = await preflight(options.engines);
  } catch (err) {
    if (err instanceof MissingServicesError) die(err.message);
    throw err;
  }
  const client = await BenchClient.connect(services.amqpUrl).catch((err: Error) =>
    die(`RabbitMQ at ${redactedUrl(services.amqpUrl)} does not answer (${err.message}): ${SETUP}`),
  );

  const runId = newRunId();
  const cleanups = new Cleanups();
  const outDir = resolve(options.outDir);
  const profileDir = options.profile ? join(outDir, `profiles-${runId}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const logDir = join(outDir, `logs-${runId}`);
  mkdirSync(logDir, { recursive: true });
  const onSignal = () => {
    process.stderr.write('bench: interrupted, cleaning up\n');
    void cleanups.runAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  cleanups.add('AMQP connection', () => client.close());
  cleanups.add('containers of this run', () => removeLabelled(services.engines, `${RUN_LABEL}=${runId}`));
  const ctx: BenchContext = { options, services, client, runId, cleanups, profileDir, logDir };
  const podman = options.only.includes('podman') ? podmanEngine() : undefined;
  const machine = await machineInfo(services, podman ? [podman] : []);
  const started = Date.now();
  const rows: Row[] = [];
  const texts: string[] = [];
  const raw: Record<string, object> = {};
  try {
    for (const scenario of options.only) {
      process.stderr.write(`bench: ${scenario}…\n`);
      const t0 = Date.now();
      const result = await RUNS[scenario](ctx);
      rows.push(...result.rows);
      if (result.text) texts.push(result.text);
      raw[scenario] = result.raw;
      process.stderr.write(`bench: ${scenario} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  } catch (err) {
    await cleanups.runAll();
    die(`${(err as Error)?.stack ?? String(err)}\n(the workers' output is in ${logDir})`);
  }
  await cleanups.runAll();
  // The workers' logs matter only when something failed.
  rmSync(logDir, { recursive: true, force: true });
  const seconds = (Date.now() - started) / 1000;
  const endLoad = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const testsAtEnd = busyWithTests();
  if (testsAtEnd.length > 0)
    process.stderr.write('bench: warning: vitest was running at the end: the figures are distorted\n');
  const file = writeResults(outDir, runId, {
    runId,
    startedAt: new Date(started).toISOString(),
    seconds,
    machine,
    endLoad,
    testsAtEnd,
    options,
    rows,
    raw,
  });
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.measure.trim()}: ${r.note}`);
  process.stdout.write(
    [
      '',
      table(rows),
      '',
      ...notes,
      '',
      ...texts.flatMap((t) => [t, '']),
      `${machine.cpus} × ${machine.cpuModel}, ${machine.memTotalGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}; ` +
        `engines: ${Object.entries(machine.engines)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; load average at start ${machine.loadAverage.join(' ')}, at the end ${endLoad.join(' ')}`,
      `${seconds.toFixed(0)} s; results in ${file}${profileDir ? `; CPU profiles in ${profileDir}` : ''}`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => die((err as Error)?.stack ?? String(err)));
