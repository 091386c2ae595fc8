import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchContext, startWorker } from '../context.js';
import { INVALID_MESSAGE, stopMissingMessage } from '../messages.js';
import { single, type Row } from '../report.js';
import { slope } from '../stats.js';
import { push } from './message-path.js';

const IDLE_TARGET_MB = 80;
/** "No growth": the retained heap may drift by at most this much per 1,000 messages after the first batch. */
const HEAP_SLOPE_LIMIT_MB = 0.1;
const BATCHES = 5;
const MB = 2 ** 20;

interface Sample {
  messages: number;
  /** VmRSS as it is, then after a forced full collection (bytes). */
  rss: number;
  rssAfterGc: number;
  heapUsedAfterGc: number;
  externalAfterGc: number;
}

/**
 * RSS of an idle worker once start-up has settled, then after each fifth of `memoryMessages` cheap messages (invalid
 * ones and stops of a missing container, alternating). The worker is the real one with a preloaded hook
 * (gc-on-signal.mjs) that forces a full collection on request, so retained memory can be told apart from garbage
 * not yet collected. Growth is the slope over the batches after the first (which warms up the JIT and pools).
 */
export async function memory(ctx: BenchContext): Promise<{ rows: Row[]; raw: object }> {
  const { options, client, runId } = ctx;
  const prefetch = Math.max(...options.messagePrefetch);
  const sw = await startWorker(ctx, 'memory', { prefetch, gcHook: true });
  try {
    const sample = async (messages: number): Promise<Sample> => {
      await sleep(options.pauseMs);
      const rss = sw.worker.rssBytes();
      const heap = await sw.worker.collect();
      await sleep(options.pauseMs / 3);
      return {
        messages,
        rss,
        rssAfterGc: sw.worker.rssBytes(),
        heapUsedAfterGc: heap.heapUsed,
        externalAfterGc: heap.external,
      };
    };
    await sleep(options.pauseMs * 2); // start-up settles: schemas compiled, connections open, first timers run
    const idle = await sample(0);
    const samples: Sample[] = [];
    const perBatch = Math.floor(options.memoryMessages / BATCHES);
    const half = Math.floor(perBatch / 2);
    for (let b = 1; b <= BATCHES; b++) {
      await Promise.all([
        push(client, sw.queue, INVALID_MESSAGE, perBatch - half, 'InvalidMessage'),
        push(client, sw.queue, stopMissingMessage(runId), half, 'ContainerNotFound'),
      ]);
      await client.purge(`${sw.queue}.dead`);
      samples.push(await sample(b * perBatch));
    }
    const after = samples.slice(1);
    const xs = after.map((s) => s.messages / 1000);
    const rssSlope = slope(
      xs,
      after.map((s) => s.rssAfterGc / MB),
    );
    const heapSlope = slope(
      xs,
      after.map((s) => s.heapUsedAfterGc / MB),
    );
    const last = samples[samples.length - 1]!;
    const total = last.messages;
    const rows: Row[] = [
      {
        measure: `memory: RSS idle (settled, as is), prefetch ${prefetch}`,
        unit: 'MB',
        worker: single(idle.rss / MB),
        target: `≤ ${IDLE_TARGET_MB} MB`,
        met: idle.rss / MB <= IDLE_TARGET_MB,
        note: `after a forced GC ${(idle.rssAfterGc / MB).toFixed(1)} MB, heap used ${(idle.heapUsedAfterGc / MB).toFixed(1)} MB`,
      },
      {
        measure: `memory: RSS after ${total} messages (as is)`,
        unit: 'MB',
        worker: single(last.rss / MB),
        note:
          `after a forced GC ${(last.rssAfterGc / MB).toFixed(1)} MB, heap used ${(last.heapUsedAfterGc / MB).toFixed(1)} MB; ` +
          `RSS after GC by batch: ${samples.map((s) => (s.rssAfterGc / MB).toFixed(1)).join(', ')} MB`,
      },
      {
        measure: 'memory: retained heap growth (after GC, batches 2–5)',
        unit: 'MB/1k msg',
        worker: single(heapSlope),
        target: `≤ ${HEAP_SLOPE_LIMIT_MB} MB/1k msg`,
        met: heapSlope <= HEAP_SLOPE_LIMIT_MB,
        note: `RSS after GC slope ${rssSlope.toFixed(2)} MB per 1,000 messages`,
      },
    ];
    return { rows, raw: { idle, samples, rssSlopeMbPer1k: rssSlope, heapSlopeMbPer1k: heapSlope } };
  } finally {
    await sw.stop();
  }
}
