import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { workerLabels } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { eventually, getText, sample, statusUrl } from '../support/http.js';
import { removeContainers, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

// These tests count every docker-dispatch container on the engines, so they run alone (the "exclusive" project).

interface EngineRow {
  id: string;
  healthy: boolean;
  synced: boolean;
  running: number | null;
}

async function engineRows(url: string): Promise<EngineRow[]> {
  return (JSON.parse((await getText(`${url}api/status`)).text) as { engines: EngineRow[] }).engines;
}

/** How long until the status page's running count of `engine` is `count` (polled every 20 ms). */
async function msUntilRunning(url: string, engine: string, count: number): Promise<number> {
  const started = performance.now();
  await eventually(
    `${count} running on ${engine}`,
    async () => ((await engineRows(url)).find((e) => e.id === engine)?.running === count ? true : undefined),
    10_000,
  );
  return performance.now() - started;
}

/** Running docker-dispatch containers on an engine, from the engine itself. */
async function runningOn(docker: Docker): Promise<number> {
  return (await docker.listContainers({ filters: { label: ['docker-dispatch.managed=true'], status: ['running'] } }))
    .length;
}

describe('engine inventory', () => {
  let h: Harness | undefined;
  const others: string[] = [];
  afterEach(async () => {
    for (const queue of others.splice(0)) if (h) await removeContainers([h.engines.a, h.engines.b], queue);
    await h?.cleanup();
    h = undefined;
  });

  it('sees a container another worker created, started and stopped, within a second, from the event stream', async () => {
    h = await startHarness('dd-inventory', ['--http-port', '0', '--health-interval', '60']);
    const url = await statusUrl(h.worker);
    await eventually('synced', async () => ((await engineRows(url)).every((e) => e.synced) ? true : undefined));
    const before = (await engineRows(url)).find((e) => e.id === 'a')!.running;
    if (before === null) throw new Error('engine a is synced, so its count is known');
    expect(before).toBe(await runningOn(h.engines.a));

    // As another worker (another queue) would: straight on the engine.
    const other = unique('dd-other');
    others.push(other);
    const container = await h.engines.a.createContainer({
      Image: h.image,
      Cmd: ['sleep', '300'],
      Labels: workerLabels(other, 'm1', 'a'),
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    expect(await msUntilRunning(url, 'a', before + 1)).toBeLessThan(1000);
    expect(sample((await getText(`${url}metrics`)).text, 'docker_dispatch_containers_running{engine="a"}')).toBe(
      before + 1,
    );

    await container.kill();
    expect(await msUntilRunning(url, 'a', before)).toBeLessThan(1000);
  });

  it('least-loaded across two workers on one queue spreads runs by what runs on the engines', async () => {
    h = await startHarness('dd-spread', ['--prefetch', '4']);
    const second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', h.hosts, h.amqpUrl]);
    try {
      const before = { a: await runningOn(h.engines.a), b: await runningOn(h.engines.b) };
      // Detached runs that keep running; published one after another, so each worker has seen the others' containers.
      for (let i = 0; i < 6; i++) {
        const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Image: h.image, Cmd: ['sleep', '60'] });
        expect(body.Status).toBe('ok');
        await sleep(100);
      }
      expect(second.stdout.includes('ok run') && h.worker.stdout.includes('ok run')).toBe(true); // both took some
      const added = { a: (await runningOn(h.engines.a)) - before.a, b: (await runningOn(h.engines.b)) - before.b };
      expect(added.a + added.b).toBe(6);
      expect(Math.abs(added.a + before.a - (added.b + before.b))).toBeLessThanOrEqual(1);
    } finally {
      await second.stop();
    }
  });
});
