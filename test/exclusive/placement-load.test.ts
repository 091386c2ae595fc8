import { afterEach, describe, expect, it } from 'vitest';
import { workerLabels } from '../support/engine-events.js';
import { echoRun, hostsFile, startHarness, type Harness } from '../support/harness.js';
import { removeContainers, services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

// These tests count every docker-dispatch container on the engines, so they run alone (the "exclusive" project).

describe('least-loaded placement', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('sends new runs to the engine with fewer docker-dispatch containers, counted from the engines', async () => {
    h = await startHarness('dd-least');
    // Three containers another worker (another queue) started on a: this worker has never seen them.
    const other = unique('dd-other');
    try {
      for (let i = 0; i < 3; i++) {
        const c = await h.engines.a.createContainer({
          Image: h.image,
          Cmd: ['sleep', '300'],
          Labels: workerLabels(other, `m${i}`, 'a'),
          HostConfig: { NetworkMode: 'none' },
        });
        await c.start();
      }
      // Containers not created by docker-dispatch do not count.
      const foreign = await h.engines.b.createContainer({
        Image: h.image,
        Cmd: ['sleep', '300'],
        HostConfig: { NetworkMode: 'none' },
      });
      await foreign.start();
      try {
        const hosts = [];
        for (let i = 0; i < 3; i++) hosts.push((await h.broker.request(h.queue, echoRun(h.image))).body.Host);
        expect(hosts).toEqual(['b', 'b', 'b']);
      } finally {
        await foreign.remove({ force: true });
      }
    } finally {
      await removeContainers([h.engines.a], other);
    }
  });
});

describe('capacity', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('a run waits, unacked, while every eligible engine is at MaxContainers, and runs when room frees up', async () => {
    const { hostA, hostB } = services();
    const file = hostsFile([
      { Name: 'a', Address: hostA, MaxContainers: 1 },
      { Name: 'b', Address: hostB, MaxContainers: 1 },
    ]);
    h = await startHarness('dd-capacity', ['--hosts', file], '');
    const long = (name: string) => ({
      Dockercmd: 'run',
      Image: h!.image,
      Cmd: ['sleep', '300'],
      Options: { Name: name },
    });
    const first = unique('full');
    const firstReply = await h.broker.request(h.queue, long(first));
    const second = await h.broker.request(h.queue, long(unique('full')));
    expect(new Set([firstReply.body.Host, second.body.Host])).toEqual(new Set(['a', 'b']));

    const waiting = h.broker.request(h.queue, echoRun(h.image));
    const worker = h.worker;
    await worker.waitFor(() =>
      worker.stderr.includes('every eligible engine is at its MaxContainers: waiting for room'),
    );
    expect(await h.broker.depth(h.queue)).toBe(0); // delivered, held, not failed
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);

    await h.broker.request(h.queue, { Dockercmd: 'stop', Container: first, Options: { Time: 0 } });
    const { body } = await waiting;
    expect(body).toMatchObject({ Status: 'ok', Host: firstReply.body.Host, Stdout: 'hi\n' });
  });

  it('holds across workers: two workers on one queue never run more than MaxContainers at once on an engine', async () => {
    const { hostA } = services();
    const file = hostsFile([{ Name: 'a', Address: hostA, MaxContainers: 2 }]);
    h = await startHarness('dd-capacity-2w', ['--hosts', file, '--prefetch', '4'], '');
    const second = await WorkerProcess.start([
      '-q',
      h.queue,
      '--network',
      'none',
      '--hosts',
      file,
      '--prefetch',
      '4',
      h.amqpUrl,
    ]);
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
      for (const { body } of replies) expect(body).toMatchObject({ Status: 'ok', Host: 'a', ExitCode: 0 });
      // Both workers took messages.
      expect(second.stdout).toMatch(/^ok run /m);
      expect(h.worker.stdout).toMatch(/^ok run /m);
      // From the engine: how many of these containers ran at the same instant.
      const intervals = await Promise.all(
        replies.map(async ({ body }) => {
          const { State } = await h!.engines.a.getContainer(body.Container!.Id).inspect();
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
