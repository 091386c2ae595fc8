import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { workerLabels } from '../support/engine-events.js';
import { echoRun, hostsFile, startHarness, type Harness } from '../support/harness.js';
import { eventually, getText, sample, statusUrl } from '../support/http.js';
import { dockerClient, podmanEngine, removeContainers, services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

// Capacity and the inventory on a Podman engine. These count every docker-dispatch container on it, so they run alone
// (the "exclusive" project).
const podman = podmanEngine();

interface EngineRow {
  id: string;
  synced: boolean;
  running: number;
}

async function engineRow(url: string, id: string): Promise<EngineRow | undefined> {
  const { engines } = JSON.parse((await getText(`${url}api/status`)).text) as { engines: EngineRow[] };
  return engines.find((e) => e.id === id);
}

/** How long until the status page's running count of `engine` is `count` (polled every 100 ms). */
async function msUntilRunning(url: string, engine: string, count: number): Promise<number> {
  const started = performance.now();
  await eventually(
    `${count} running on ${engine}`,
    async () => ((await engineRow(url, engine))?.running === count ? true : undefined),
    10_000,
  );
  return performance.now() - started;
}

/** Running docker-dispatch containers on an engine, from the engine itself. */
async function runningOn(docker: Docker): Promise<number> {
  return (await docker.listContainers({ filters: { label: ['docker-dispatch.managed=true'], status: ['running'] } }))
    .length;
}

describe.skipIf(podman === undefined)('Podman engine: inventory and capacity', () => {
  let h: Harness | undefined;
  const others: string[] = [];
  afterEach(async () => {
    if (h) await removeContainers([dockerClient(podman!)], h.queue);
    for (const queue of others.splice(0)) await removeContainers([dockerClient(podman!)], queue);
    await h?.cleanup();
    h = undefined;
  });

  it("follows containers another worker starts on p and that exit or are killed there, from Podman's event stream", async () => {
    const p = dockerClient(podman!);
    h = await startHarness('dd-pod-inventory', ['--http-port', '0', '--health-interval', '60'], `p=${podman}`);
    const url = await statusUrl(h.worker);
    await eventually('p synced', async () => ((await engineRow(url, 'p'))?.synced ? true : undefined));
    const before = (await engineRow(url, 'p'))!.running;
    expect(before).toBe(await runningOn(p));

    const other = unique('dd-pod-other');
    others.push(other);
    const started = async (messageId: string, cmd: string[]) => {
      const container = await p.createContainer({
        Image: h!.image,
        Cmd: cmd,
        Labels: workerLabels(other, messageId, 'p'),
        HostConfig: { NetworkMode: 'none' },
      });
      await container.start();
      return container;
    };
    // One that exits by itself (its die event), one that is killed.
    const exiting = started('m1', ['sleep', '2']);
    const killed = await started('m2', ['sleep', '300']);
    await exiting;
    const seenStart = await msUntilRunning(url, 'p', before + 2);
    expect(sample((await getText(`${url}metrics`)).text, 'docker_dispatch_containers_running{engine="p"}')).toBe(
      before + 2,
    );
    const seenExit = await msUntilRunning(url, 'p', before + 1);
    await killed.kill();
    const seenKill = await msUntilRunning(url, 'p', before);
    console.info(`Podman inventory: start seen in ${Math.round(seenStart)} ms, kill in ${Math.round(seenKill)} ms`);
    expect(seenStart).toBeLessThan(1000);
    expect(seenExit).toBeLessThan(3000); // it runs 2 s
    expect(seenKill).toBeLessThan(1000);
  });

  it('a run waits, unacked, while p is at MaxContainers, and runs there when room frees up', async () => {
    const file = hostsFile([{ Name: 'p', Address: podman, MaxContainers: 1 }]);
    h = await startHarness('dd-pod-capacity', ['--hosts', file], '');
    const first = unique('pod-full');
    const firstReply = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Options: { Name: first },
    });
    expect(firstReply.body).toMatchObject({ Status: 'ok', Host: 'p' });

    const waiting = h.broker.request(h.queue, echoRun(h.image));
    const worker = h.worker;
    await worker.waitFor(() =>
      worker.stderr.includes('every eligible engine is at its MaxContainers: waiting for room'),
    );
    expect(await h.broker.depth(h.queue)).toBe(0); // delivered, held, not failed
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);

    await h.broker.request(h.queue, { Dockercmd: 'stop', Container: first, Options: { Time: 0 } });
    expect((await waiting).body).toMatchObject({ Status: 'ok', Host: 'p', Stdout: 'hi\n' });
  });

  it('holds across workers: two workers on one queue never run more than MaxContainers at once on p', async () => {
    const file = hostsFile([{ Name: 'p', Address: podman, MaxContainers: 2 }]);
    const args = ['--hosts', file, '--prefetch', '4'];
    h = await startHarness('dd-pod-capacity-2w', args, '');
    const second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', ...args, services().amqpUrl]);
    try {
      const runs = Array.from({ length: 6 }, () =>
        h!.broker.request(
          h!.queue,
          { Dockercmd: 'run', Image: h!.image, Cmd: ['sleep', '1'], Options: { Attach: ['STDOUT'] } },
          {},
          90_000,
        ),
      );
      const replies = await Promise.all(runs);
      for (const { body } of replies) expect(body).toMatchObject({ Status: 'ok', Host: 'p', ExitCode: 0 });
      expect(second.stdout).toMatch(/^ok run /m);
      expect(h.worker.stdout).toMatch(/^ok run /m);
      const p = dockerClient(podman!);
      const intervals = await Promise.all(
        replies.map(async ({ body }) => {
          const { State } = await p.getContainer(body.Container!.Id).inspect();
          return { start: Date.parse(State.StartedAt), end: Date.parse(State.FinishedAt) };
        }),
      );
      const overlap = Math.max(
        ...intervals.map((i) => intervals.filter((j) => j.start <= i.start && i.start < j.end).length),
      );
      expect(overlap).toBeLessThanOrEqual(2);
    } finally {
      await second.stop();
    }
  });
});
