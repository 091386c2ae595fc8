import type { BenchClient } from '../amqp-client.js';
import { BaselineProcess } from '../baseline/baseline-process.js';
import { type BenchContext, settle, startWorker } from '../context.js';
import { INVALID_MESSAGE, stopMissingMessage } from '../messages.js';
import { costRatio, type Row } from '../report.js';
import { summarize } from '../stats.js';

const INVALID_TARGET = 2000;

/**
 * The worker's own cost without containers: messages per second, from the first publish to the last reply, through
 * (a) validation and dead-lettering of invalid messages, and (b) a valid `stop` of a container no engine has (every
 * engine asked, ContainerNotFound, dead-lettered). Baseline: amqp-echo.ts, a bare consumer in its own process that does
 * the same broker work per message (reply + dead-letter copy, confirmed, then ack; for (b) also the inspects) with the
 * same prefetch and none of the worker's logic. Once per prefetch of --message-prefetch.
 */
export async function messagePath(ctx: BenchContext): Promise<{ rows: Row[]; raw: object }> {
  const rows: Row[] = [];
  const raw: Record<string, object> = {};
  for (const prefetch of ctx.options.messagePrefetch) {
    const result = await atPrefetch(ctx, prefetch);
    rows.push(...result.rows);
    raw[`prefetch${prefetch}`] = result.raw;
  }
  return { rows, raw };
}

async function atPrefetch(ctx: BenchContext, prefetch: number): Promise<{ rows: Row[]; raw: object }> {
  const { options, services, client, runId, cleanups } = ctx;
  const sw = await startWorker(ctx, `messages-${prefetch}`, { prefetch });
  const echoQueue = `bench-${runId}-echo-${prefetch}`;
  const locateQueue = `bench-${runId}-echo-locate-${prefetch}`;
  const echoQueues = [echoQueue, `${echoQueue}.dead`, locateQueue, `${locateQueue}.dead`];
  const echoes: BaselineProcess[] = [];
  const stopEchoes = async () => {
    for (const echo of echoes.splice(0)) await echo.stop();
    await client.deleteQueues(echoQueues);
  };
  cleanups.add('AMQP baselines', stopEchoes);
  try {
    echoes.push(await BaselineProcess.start('amqp-echo', [services.amqpUrl, echoQueue, String(prefetch)]));
    echoes.push(
      await BaselineProcess.start('amqp-echo', [
        services.amqpUrl,
        locateQueue,
        String(prefetch),
        ...services.engines.map((e) => e.address),
      ]),
    );
    const kinds = [
      {
        name: 'invalid',
        body: INVALID_MESSAGE,
        code: 'InvalidMessage',
        count: options.invalidMessages,
        baseline: echoQueue,
      },
      {
        name: 'stop',
        body: stopMissingMessage(runId),
        code: 'ContainerNotFound',
        count: options.stopMessages,
        baseline: locateQueue,
      },
    ];
    const rows: Row[] = [];
    const raw: Record<string, object> = {};
    for (const kind of kinds) {
      const rates = { worker: [] as number[], baseline: [] as number[] };
      let workerCpu = 0;
      const warm = Math.min(kind.count, 200);
      await push(client, sw.queue, kind.body, warm, kind.code);
      await push(client, kind.baseline, kind.body, warm, 'Baseline');
      for (let round = 0; round < options.rounds; round++) {
        const sides = round % 2 === 0 ? (['baseline', 'worker'] as const) : (['worker', 'baseline'] as const);
        for (const side of sides) {
          await settle(ctx);
          const cpu0 = sw.worker.cpuMs();
          const queue = side === 'worker' ? sw.queue : kind.baseline;
          const ms = await push(client, queue, kind.body, kind.count, side === 'worker' ? kind.code : 'Baseline');
          if (side === 'worker') workerCpu += sw.worker.cpuMs() - cpu0;
          rates[side].push((kind.count / ms) * 1000);
          // The dead-lettered copies are not the point; keep the broker's queues short between rounds.
          await client.purge(side === 'worker' ? `${sw.queue}.dead` : `${kind.baseline}.dead`);
        }
      }
      const worker = summarize(rates.worker);
      const baseline = summarize(rates.baseline);
      const cpuPerMessage = workerCpu / (options.rounds * kind.count);
      const row: Row = {
        measure:
          kind.name === 'invalid'
            ? `message path: ${kind.count} invalid → reply + dead-letter, prefetch ${prefetch}`
            : `message path: ${kind.count} stop of a missing container (all engines asked) → reply + dead-letter, prefetch ${prefetch}`,
        unit: 'msg/s',
        worker,
        baseline,
        baselineName: kind.name === 'invalid' ? 'bare AMQP consumer' : 'bare AMQP consumer + inspects',
        ratio: costRatio('msg/s', worker, baseline),
        rounds: rates.worker.map((w, i) => rates.baseline[i]! / w),
        note: `worker CPU ${(cpuPerMessage * 1000).toFixed(0)} µs per message`,
      };
      if (kind.name === 'invalid')
        Object.assign(row, { target: `≥ ${INVALID_TARGET} msg/s`, met: worker.median >= INVALID_TARGET });
      rows.push(row);
      raw[kind.name] = { rates, workerCpuUsPerMessage: cpuPerMessage * 1000 };
    }
    return { rows, raw };
  } finally {
    await stopEchoes();
    await sw.stop();
  }
}

/** Publishes `count` copies of `body` and waits for every reply; returns ms from the first publish to the last reply. */
export async function push(
  client: BenchClient,
  queue: string,
  body: string,
  count: number,
  code: string,
): Promise<number> {
  const t0 = performance.now();
  const replies = [];
  for (let i = 0; i < count; i++) replies.push((await client.send(queue, body)).reply);
  const arrivals = await Promise.all(replies);
  const wrong = arrivals.find((a) => a.reply.Error?.Code !== code);
  if (wrong) throw new Error(`expected ${code} replies on ${queue}, got ${JSON.stringify(wrong.reply)}`);
  return Math.max(...arrivals.map((a) => a.at)) - t0;
}
