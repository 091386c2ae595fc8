import { setTimeout as sleep } from 'node:timers/promises';
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
import { single, type Row } from '../report.js';
import { dockerClient, type BenchEngine } from '../services.js';

/** Messages of each kind counted (fewer in a smoke run). */
const PER_KIND = 4;
/** Calls that are not a message's: health pings and the long-lived event streams, counted apart. */
const BACKGROUND = new Set(['GET /_ping', 'HEAD /_ping', 'GET /events']);
/** Issue 13: a first-delivery run asks of the engines what the direct sequence asks, and of no other engine. */
const TARGETS: Record<string, number> = { 'run, attached echo --rm': 5, 'run, `true` detached': 2 };

/** The calls of one kind of message, per message: on the engine it ran on, and on every other engine. */
interface Kind {
  name: string;
  /** Worker: calls to the engine the reply names (every engine's, for a message that runs nothing). */
  worker: Map<string, number>;
  /** Worker: calls to the engines the reply does not name. */
  others: Map<string, number>;
  direct: Map<string, number>;
  /** Whether the message runs on one engine (so "others" means something). */
  placed: boolean;
}

/**
 * Not timed: how many Engine API calls each kind of message costs through the worker, against the direct sequence
 * (the latency and throughput baselines), counted by a proxy in front of each engine, message by message and engine by
 * engine: the engine the reply names, and every other engine. Health pings and event streams are counted apart.
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
  // A worker that follows its engines has opened their event streams and listed them (an older one may not).
  const deadline = Date.now() + 5000;
  while (
    Date.now() < deadline &&
    !proxies.every((p) => p.counts.has('GET /events') && p.counts.has('GET /containers/json'))
  ) {
    await sleep(20);
  }
  for (const p of proxies) p.reset();
  const started = performance.now();
  /** One message's calls: per engine, without the background ones. */
  const calls = async (
    what: () => Promise<string | undefined>,
  ): Promise<{ host: string | undefined; by: Map<string, number>[] }> => {
    const before = proxies.map((p) => new Map(p.counts));
    const host = await what();
    const by = proxies.map((p, i) => {
      const d = new Map<string, number>();
      for (const [key, n] of p.counts) {
        const diff = n - (before[i]!.get(key) ?? 0);
        if (diff !== 0 && !BACKGROUND.has(key)) d.set(key, diff);
      }
      return d;
    });
    return { host, by };
  };
  const measure = async (what: () => Promise<string | undefined>) => {
    const chosen = new Map<string, number>();
    const others = new Map<string, number>();
    for (let i = 0; i < perKind; i++) {
      const { host, by } = await calls(what);
      by.forEach((m, e) => add(host === undefined || proxied[e]!.name === host ? chosen : others, m, 1 / perKind));
    }
    return { chosen, others };
  };
  const viaWorker = (body: string | object) => async () => (await client.request(sw.queue, body)).reply.Host;
  const shape = (attach: boolean, batch: string): RunShape => ({
    image: services.image,
    cmd: attach ? ['echo', 'hello from the bench'] : ['true'],
    attach,
    remove: attach,
    labels: benchLabels(runId, batch),
  });
  let next = 0;
  const engine = () => proxied[next++ % proxied.length]!;
  const batch = `${runId}-calls`;
  try {
    const kinds: Kind[] = [];
    const kind = async (
      name: string,
      worker: () => Promise<string | undefined>,
      direct?: () => Promise<string | undefined>,
    ) => {
      const w = await measure(worker);
      const d = direct ? await measure(direct) : undefined;
      kinds.push({
        name,
        worker: w.chosen,
        others: w.others,
        direct: d?.chosen ?? new Map<string, number>(),
        placed: direct !== undefined,
      });
    };
    const detached = await ExitWatcher.watch(services.engines, `${BATCH_LABEL}=${batch}`);
    try {
      await kind('run, attached echo --rm', viaWorker(runMessage(shape(true, batch))), async () => {
        const e = engine();
        await runAttachedAndRemove(e, directSpec(shape(true, batch), sw.queue, e.name));
        return e.name;
      });
      await kind('run, `true` detached', viaWorker(runMessage(shape(false, batch))), async () => {
        const e = engine();
        await createAndStart(e, directSpec(shape(false, batch), sw.queue, e.name));
        return e.name;
      });
      await detached.until(2 * perKind);
    } finally {
      detached.close();
      await removeLabelled(services.engines, `${BATCH_LABEL}=${batch}`);
    }
    await kind('stop of a missing container', viaWorker(stopMissingMessage(runId)), async () => {
      await locate(proxied, `bench-${runId}-no-such-container`);
      return undefined;
    });
    kinds[kinds.length - 1]!.placed = false;
    await kind('invalid message', viaWorker(INVALID_MESSAGE));
    const seconds = (performance.now() - started) / 1000;
    const background = proxies.map((p) => p.callsBut(...[...p.counts.keys()].filter((k) => !BACKGROUND.has(k))));
    const rows: Row[] = Object.entries(TARGETS).map(([name, target]) => {
      const k = kinds.find((x) => x.name === name)!;
      const onChosen = sum(k.worker);
      const onOthers = sum(k.others);
      return {
        measure: `Engine API calls per first-delivery ${name.replace(/^run, /, 'run: ')}: chosen engine + all others`,
        unit: 'calls',
        worker: single(onChosen + onOthers),
        baseline: single(sum(k.direct)),
        baselineName: 'dockerode',
        target: `${target} on its engine, 0 elsewhere`,
        note: `${onChosen} on the engine it ran on, ${onOthers} on the others`,
        met: onChosen === target && onOthers === 0,
      };
    });
    const raw = {
      perKind,
      seconds,
      kinds: Object.fromEntries(
        kinds.map((k) => [
          k.name,
          {
            worker: Object.fromEntries(k.worker),
            others: Object.fromEntries(k.others),
            direct: Object.fromEntries(k.direct),
          },
        ]),
      ),
      background: Object.fromEntries(proxied.map((e, i) => [e.name, Object.fromEntries(background[i]!)])),
    };
    return { rows, raw, text: callsTable(kinds, perKind, proxied, background, seconds) };
  } finally {
    await sw.stop();
    for (const p of proxies) await p.close();
  }
}

function add(into: Map<string, number>, from: Map<string, number>, weight: number): void {
  for (const [key, n] of from) into.set(key, (into.get(key) ?? 0) + n * weight);
}

function sum(m: Map<string, number>): number {
  return Math.round([...m.values()].reduce((a, b) => a + b, 0) * 100) / 100;
}

function callsTable(
  kinds: Kind[],
  perKind: number,
  engines: BenchEngine[],
  background: [string, number][][],
  seconds: number,
): string {
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([, n]) => n !== 0)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${Number.isInteger(n) ? n : n.toFixed(2)}× \`${k}\``)
      .join(', ');
  const lines = [
    `Engine API calls per message (mean of ${perKind}; counted per engine, health pings and event streams apart):`,
    '',
    '| message | worker: engine it ran on | worker: other engines | direct | the worker’s calls |',
    '|---|---:|---:|---:|---|',
    ...kinds.map((k) => {
      const elsewhere = k.placed ? String(sum(k.others)) : '–';
      const direct = k.direct.size ? String(sum(k.direct)) : k.name === 'invalid message' ? '–' : '0';
      const calls = [list(k.worker), k.placed && k.others.size ? `elsewhere ${list(k.others)}` : '']
        .filter(Boolean)
        .join('; ');
      return `| ${k.name} | ${k.placed ? sum(k.worker) : `${sum(k.worker)} (every engine)`} | ${elsewhere} | ${direct} | ${calls} |`;
    }),
    '',
    `Meanwhile, in ${seconds.toFixed(0)} s: ` +
      engines
        .map((e, i) => {
          const b = new Map(background[i]);
          return `${e.name} ${b.get('GET /_ping') ?? 0} pings, ${b.get('GET /events') ?? 0} event streams opened`;
        })
        .join('; ') +
      '.',
  ];
  return lines.join('\n');
}
