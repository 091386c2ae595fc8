import { CountingProxy } from '../../test/support/counting-proxy.js';
import { removeLabelled } from '../cleanup.js';
import { ExitWatcher } from '../container-events.js';
import { type BenchContext, startWorker } from '../context.js';
import { createAndStart, locate, runAttachedAndRemove } from '../direct-docker.js';
import {
  BATCH_LABEL,
  benchLabels,
  directSpec,
  INVALID_MESSAGE,
  runMessage,
  stopMissingMessage,
  type RunShape,
} from '../messages.js';
import type { Row } from '../report.js';
import { dockerClient, type BenchEngine } from '../services.js';

/** Messages of each kind counted (fewer in a smoke run). */
const PER_KIND = 4;

/**
 * Not timed: how many Engine API calls each kind of message costs through the worker, against the direct sequence
 * (the latency and throughput baselines), counted by proxies in front of the engines. Shows what the worker asks the
 * engines for beyond the run itself. Health pings (`GET /_ping`, on a timer) are left out.
 */
export async function apiCalls(ctx: BenchContext): Promise<{ rows: Row[]; raw: object; text: string }> {
  const { services, client, runId } = ctx;
  const perKind = Math.min(PER_KIND, ctx.options.latencyRuns);
  const proxies = await Promise.all(services.engines.map((e) => CountingProxy.start(e.address)));
  const proxied: BenchEngine[] = services.engines.map((e, i) => ({
    ...e,
    address: proxies[i]!.address,
    docker: dockerClient(proxies[i]!.address),
  }));
  const sw = await startWorker({ ...ctx, services: { ...services, engines: proxied } }, 'calls', { prefetch: 1 });
  const total = () => {
    const sum = new Map<string, number>();
    for (const p of proxies) for (const [k, n] of p.counts) if (k !== 'GET /_ping') sum.set(k, (sum.get(k) ?? 0) + n);
    return sum;
  };
  const measure = async (what: () => Promise<unknown>) => {
    for (const p of proxies) p.reset();
    for (let i = 0; i < perKind; i++) await what();
    return new Map([...total()].map(([k, n]) => [k, n / perKind]));
  };
  const shape = (attach: boolean, batch: string): RunShape => ({
    image: services.image,
    cmd: attach ? ['echo', 'hello from the bench'] : ['true'],
    attach,
    remove: attach,
    labels: benchLabels(runId, batch),
  });
  let next = 0;
  const engine = () => proxied[next++ % proxied.length]!;
  try {
    const kinds: { name: string; worker: Map<string, number>; direct: Map<string, number> }[] = [];
    const detached = await ExitWatcher.watch(services.engines, `${BATCH_LABEL}=${runId}-calls`);
    try {
      kinds.push({
        name: 'run, attached echo --rm',
        worker: await measure(() => client.request(sw.queue, runMessage(shape(true, `${runId}-calls`)))),
        direct: await measure(() => {
          const e = engine();
          return runAttachedAndRemove(e, directSpec(shape(true, `${runId}-calls`), sw.queue, e.name));
        }),
      });
      kinds.push({
        name: 'run, `true` detached',
        worker: await measure(() => client.request(sw.queue, runMessage(shape(false, `${runId}-calls`)))),
        direct: await measure(() => {
          const e = engine();
          return createAndStart(e, directSpec(shape(false, `${runId}-calls`), sw.queue, e.name));
        }),
      });
      await detached.until(2 * perKind);
    } finally {
      detached.close();
      await removeLabelled(services.engines, `${BATCH_LABEL}=${runId}-calls`);
    }
    kinds.push({
      name: 'stop of a missing container',
      worker: await measure(() => client.request(sw.queue, stopMissingMessage(runId))),
      direct: await measure(() => locate(proxied, `bench-${runId}-no-such-container`)),
    });
    kinds.push({
      name: 'invalid message',
      worker: await measure(() => client.request(sw.queue, INVALID_MESSAGE)),
      direct: new Map(),
    });
    return {
      rows: [],
      raw: Object.fromEntries(
        kinds.map((k) => [k.name, { worker: Object.fromEntries(k.worker), direct: Object.fromEntries(k.direct) }]),
      ),
      text: callsTable(kinds, perKind),
    };
  } finally {
    await sw.stop();
    for (const p of proxies) await p.close();
  }
}

function callsTable(
  kinds: { name: string; worker: Map<string, number>; direct: Map<string, number> }[],
  perKind: number,
): string {
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${n % 1 === 0 ? n : n.toFixed(2)}× \`${k}\``)
      .join(', ');
  const lines = [
    `Engine API calls per message (mean of ${perKind}, health pings left out):`,
    '',
    '| message | worker | direct | worker calls |',
    '|---|---:|---:|---|',
    ...kinds.map(
      (k) =>
        `| ${k.name} | ${sum(k.worker).toFixed(1)} | ${k.direct.size ? sum(k.direct).toFixed(1) : '–'} | ${list(k.worker)} |`,
    ),
  ];
  return lines.join('\n');
}
