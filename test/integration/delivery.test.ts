import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TestBroker } from '../support/broker.js';
import { countCreates } from '../support/engine-events.js';
import { exists, makeContainer, startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';
import { scratchPath } from '../support/scratch.js';

/** Start and finish times of a container, from the engine. */
async function interval(h: Harness, host: string | undefined, id: string): Promise<{ start: number; end: number }> {
  const engine = host === 'a' ? h.engines.a : h.engines.b;
  const { State } = await engine.getContainer(id).inspect();
  return { start: Date.parse(State.StartedAt), end: Date.parse(State.FinishedAt) };
}

async function sleepRuns(h: Harness, count: number) {
  const runs = Array.from({ length: count }, () =>
    h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '2'],
      Options: { Attach: ['STDOUT'] },
    }),
  );
  const replies = await Promise.all(runs);
  return Promise.all(replies.map((r) => interval(h, r.body.Host, r.body.Container!.Id)));
}

describe('delivery', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('carries out up to --prefetch commands at once: four `sleep 2` runs overlap with prefetch 4', async () => {
    h = await startHarness('dd-prefetch4', ['--prefetch', '4']);
    const intervals = await sleepRuns(h, 4);
    // Every run started before any finished: they ran side by side (serially they would take 8 s, not 2).
    const lastStart = Math.max(...intervals.map((i) => i.start));
    const firstEnd = Math.min(...intervals.map((i) => i.end));
    expect(lastStart).toBeLessThan(firstEnd);
  });

  it('with prefetch 1, runs one command at a time', async () => {
    h = await startHarness('dd-prefetch1', ['--prefetch', '1']);
    const intervals = (await sleepRuns(h, 2)).sort((x, y) => x.start - y.start);
    expect(intervals[1]!.start).toBeGreaterThanOrEqual(intervals[0]!.end);
  });

  it('acks only after the run completes: a worker killed mid-run leaves the message for the next worker', async () => {
    h = await startHarness('dd-ack', ['--prefetch', '1']);
    const label = unique('ack');
    const correlationId = unique('ack-msg');
    const reply = h.broker.replyFor(correlationId, 60_000);
    h.broker.publish(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sleep', '2'],
        Options: { Attach: ['STDOUT'], Remove: true, Labels: { test: label } },
      },
      { replyTo: h.broker.replyTo, correlationId },
    );
    // Wait until the container runs: the message has been delivered and is being worked on.
    const running = async () =>
      (await h!.engines.a.listContainers({ filters: { label: [`test=${label}`] } })).length +
      (await h!.engines.b.listContainers({ filters: { label: [`test=${label}`] } })).length;
    for (let i = 0; i < 200 && (await running()) === 0; i++) await sleep(50);
    expect(await running()).toBe(1);
    expect(await h.broker.depth(h.queue)).toBe(0); // delivered, not ready

    await h.worker.kill();
    for (let i = 0; i < 100 && (await h.broker.depth(h.queue)) === 0; i++) await sleep(50);
    expect(await h.broker.depth(h.queue)).toBe(1); // never acked, so the broker took it back

    const { amqpUrl } = services();
    const second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', h.hosts, amqpUrl]);
    try {
      const { body } = await reply;
      expect(body).toMatchObject({ Status: 'ok', ExitCode: 0 });
      await second.waitFor(() => second.stdout.includes('exited with code 0'));
    } finally {
      await second.stop();
    }
    expect(await h.broker.depth(h.queue)).toBe(0); // acked after the reply: not delivered again
  });

  it('on SIGTERM, finishes the run in progress, replies and acks it, then exits 0', async () => {
    h = await startHarness('dd-drain');
    const correlationId = unique('drain');
    const reply = h.broker.replyFor(correlationId);
    h.broker.publish(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', 'echo started; sleep 2; echo finished'],
        Options: { Attach: ['STDOUT'], Remove: true },
      },
      { replyTo: h.broker.replyTo, correlationId },
    );
    const worker = h.worker;
    await worker.waitFor(() => worker.stdout.includes('| started'));
    const exitCode = await worker.stop();
    expect(exitCode).toBe(0);
    expect((await reply).body).toMatchObject({ Status: 'ok', Stdout: 'started\nfinished\n' });
    expect(await h.broker.depth(h.queue)).toBe(0);
  });

  /** Starts a `sleep 300` run with a name and waits until its container runs. */
  async function longRun(harness: Harness, name: string) {
    harness.broker.publish(
      harness.queue,
      { Dockercmd: 'run', Image: harness.image, Cmd: ['sleep', '300'], Options: { Name: name, Remove: true } },
      { messageId: name },
    );
    const running = async () =>
      (await harness.engines.a.listContainers({ filters: { name: [name] } })).length +
      (await harness.engines.b.listContainers({ filters: { name: [name] } })).length;
    for (let i = 0; i < 200 && (await running()) === 0; i++) await sleep(50);
    expect(await running()).toBe(1);
  }

  it('when --shutdown-timeout passes, exits 0 leaving the unfinished message unacked and its container running', async () => {
    h = await startHarness('dd-drain-timeout', ['--shutdown-timeout', '1']);
    const name = unique('unfinished');
    await longRun(h, name);
    const startedAt = Date.now();
    const exitCode = await h.worker.stop();
    expect(exitCode).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(h.worker.stderr).toContain('shutdown timeout passed: unfinished messages go back to the queue');
    // Back in the queue for the next worker, which adopts the container that still runs.
    await expect.poll(() => h!.broker.depth(h!.queue), { timeout: 10_000 }).toBe(1);
    const engine =
      (await h.engines.a.listContainers({ filters: { name: [name] } })).length > 0 ? h.engines.a : h.engines.b;
    expect((await engine.getContainer(name).inspect()).State.Running).toBe(true);
  });

  it('a second signal exits at once (130), leaving the message in progress unacked', async () => {
    h = await startHarness('dd-second-signal', ['--shutdown-timeout', '60']);
    const name = unique('interrupted');
    await longRun(h, name);
    const worker = h.worker;
    worker.child.kill('SIGINT');
    await worker.waitFor(() => worker.stderr.includes('shutting down: no new messages'), 10_000);
    const startedAt = Date.now();
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(130);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(worker.stderr).toContain('second signal: exiting now');
    await expect.poll(() => h!.broker.depth(h!.queue), { timeout: 10_000 }).toBe(1);
  });
});

describe('an unreachable engine in the pool', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('an engine that does not answer at start-up is quarantined: runs go to the engines that answer', async () => {
    const { hostA } = services();
    h = await startHarness('dd-failover', [], `a=${hostA},gone=unix:///tmp/${unique('no-engine')}.sock`);
    for (let i = 0; i < 3; i++) {
      const { body } = await h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['true'],
        Options: { Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Host: 'a', ExitCode: 0 });
    }
    expect(h.worker.stderr).toContain('engine gone does not answer: quarantined until it does');
  });

  it('a run whose chosen engine stopped answering, before health checks noticed, fails over at once to another', async () => {
    const { hostA } = services();
    // An engine that answers at start-up, then takes no new connection: healthy in the pool until its next check (a
    // minute away), its event stream still held open.
    const socket = scratchPath(`${unique('fake-engine')}.sock`);
    const fake = createServer((req, res) => {
      res.setHeader('Content-Type', req.url?.endsWith('/_ping') ? 'text/plain' : 'application/json');
      if (req.url?.endsWith('/_ping')) return res.end('OK');
      if (req.url?.includes('/containers/json')) return res.end('[]');
      if (req.url?.endsWith('/version')) return res.end('{"Version":"fake","ApiVersion":"1.41"}');
      if (req.url?.includes('/events')) return void res.writeHead(200).flushHeaders();
      res.statusCode = 404;
      res.end('{"message":"not here"}');
    });
    await new Promise<void>((resolve) => fake.listen(socket, resolve));
    h = await startHarness(
      'dd-runfailover',
      ['--strategy', 'round-robin', '--health-interval', '60'],
      `a=${hostA},fake=unix://${socket}`,
    );
    const closed = new Promise<void>((resolve) => fake.close(() => resolve()));
    // Round-robin places one of the two runs on the fake engine first.
    for (let i = 0; i < 2; i++) {
      const { body } = await h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['echo', 'moved'],
        Options: { Attach: ['STDOUT'], Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Host: 'a', Stdout: 'moved\n' });
    }
    const failovers = h.worker.logs().filter((l) => l.msg === 'engine unreachable, trying the next one');
    expect(failovers.map((l) => l.host)).toEqual(['fake']);
    fake.closeAllConnections();
    await closed;
    // At once: not through the retry queue.
    expect(h.worker.logs().some((l) => String(l.msg).startsWith('transient failure'))).toBe(false);
  });

  it('a stop that cannot ask every engine is retried through the retry queue, then answered and dead-lettered', async () => {
    const { hostA } = services();
    h = await startHarness(
      'dd-transient',
      ['--max-retries', '2', '--retry-delay', '0.5'],
      `a=${hostA},gone=unix:///tmp/${unique('no-engine')}.sock`,
    );
    const worker = h.worker;
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: unique('maybe-on-gone') });
    // Not answered as missing: the container may be on the engine that could not be asked.
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'DockerUnavailable' } });
    expect(body.Error?.Message).toContain('gave up after 3 attempts');
    const retries = worker.logs().filter((l) => String(l.msg).startsWith('transient failure: retrying'));
    expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers).toMatchObject({
      'x-dispatch-attempt': 3,
      'x-dispatch-error-code': 'DockerUnavailable',
    });
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(`${h.queue}.retry`)).toBe(0);
  });

  it('a message whose retry copy cannot be queued goes back to the queue after the retry delay, never stuck', async () => {
    const { hostA } = services();
    h = await startHarness(
      'dd-noretryq',
      ['--max-retries', '1', '--retry-delay', '0.5'],
      `a=${hostA},gone=unix:///tmp/${unique('no-engine')}.sock`,
    );
    const worker = h.worker;
    const retryQueue = `${h.queue}.retry`;
    await h.broker.deleteQueues(retryQueue);
    const reply = h.broker.request(h.queue, { Dockercmd: 'stop', Container: unique('maybe-on-gone') }, {}, 30_000);
    const refusals = () => worker.logs().filter((l) => String(l.msg).startsWith('could not queue the retry')).length;
    // Each refusal puts the message back after the delay; it comes back and is refused again: it does not sit unacked.
    await worker.waitFor(() => refusals() >= 2, 15_000);
    await h.broker.declareQueue(retryQueue, {
      durable: true,
      arguments: { 'x-message-ttl': 500, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': h.queue },
    });
    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'DockerUnavailable' } });
    expect(body.Error?.Message).toContain('gave up after 2 attempts');
    expect(await h.broker.depth(h.queue)).toBe(0);
  });

  it('a finished run whose reply cannot be published is kept: the redelivery is answered with it, not run again', async () => {
    h = await startHarness('dd-noreplyq');
    const worker = h.worker;
    await h.broker.deleteQueues(h.replyQueue);
    const label = unique('kept');
    const since = Math.floor(Date.now() / 1000) - 1;
    // No reply_to: the reply goes to the default reply queue, which is gone.
    h.broker.publish(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['echo', 'once'],
        Options: { Attach: ['STDOUT'], Remove: true, Labels: { test: label } },
      },
      { messageId: unique('kept-msg') },
    );
    const answeredFromKept = () =>
      worker.logs().some((l) => String(l.msg).startsWith('redelivered: answering with the result kept'));
    await worker.waitFor(answeredFromKept, 20_000);
    await h.broker.declareQueue(h.replyQueue);
    const reply = TestBroker.parseReply((await h.broker.take(h.replyQueue, 20_000)).content);
    expect(reply).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'once\n' });
    const creates =
      (await countCreates(h.engines.a, since, [`test=${label}`])) +
      (await countCreates(h.engines.b, since, [`test=${label}`]));
    expect(creates).toBe(1);
    expect(worker.stdout.split('once').length - 1).toBe(1); // its output was printed once
    await worker.waitFor(() => worker.stderr.includes('"msg":"done"'), 10_000);
    expect(await h.broker.depth(h.queue)).toBe(0);
  });

  it('a stop of a container found on an answering engine still works', async () => {
    const { hostA } = services();
    h = await startHarness('dd-partial', [], `a=${hostA},gone=unix:///tmp/${unique('no-engine')}.sock`);
    const name = unique('on-a');
    await makeContainer(h.engines.a, h.image, name);
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'remove',
      Container: name,
      Options: { Force: true },
    });
    expect(body).toMatchObject({ Status: 'ok', Host: 'a' });
    expect(await exists(h.engines.a, name)).toBe(false);
  });
});

// Keep the type import used by helpers above.
export type { TestBroker };
