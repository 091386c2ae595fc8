import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBroker } from '../support/broker.js';
import { countCreates, workerLabels } from '../support/engine-events.js';
import { exists, startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

describe('timeouts, caps and adoption', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-rel', ['--max-output', '1000', '--max-message-bytes', '200000']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('stops a run at its Options.Timeout and replies Timeout with the exit code and output so far, then removes it', async () => {
    const name = unique('slow');
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', "trap 'echo stopping; exit 143' TERM; echo started; while true; do sleep 0.1; done"],
      Options: { Name: name, Attach: ['STDOUT'], Remove: true, Timeout: 1 },
    });
    expect(body).toMatchObject({
      Status: 'error',
      Error: { Code: 'Timeout' },
      ExitCode: 143,
      Stdout: 'started\nstopping\n',
    });
    expect(body.Error?.Message).toContain('Options.Timeout (1 s)');
    expect((await h.broker.take(h.deadLetterQueue)).properties.headers?.['x-dispatch-error-code']).toBe('Timeout');
    const engine = body.Host === 'a' ? h.engines.a : h.engines.b;
    expect(await exists(engine, name)).toBe(false);
  });

  it('kills a timed-out run that ignores the stop signal, once the stop grace period has passed', async () => {
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', "trap '' TERM; echo stubborn; while true; do sleep 0.1; done"],
      Options: { Attach: ['STDOUT'], Remove: true, Timeout: 1 },
    });
    // SIGKILL after the 10 s grace period of the stop: exit code 137.
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Timeout' }, ExitCode: 137, Stdout: 'stubborn\n' });
    await h.broker.take(h.deadLetterQueue);
    const engine = body.Host === 'a' ? h.engines.a : h.engines.b;
    expect(await exists(engine, body.Container!.Id)).toBe(false);
  });

  it('caps the output a reply carries at --max-output per stream, keeping the end, and says Truncated', async () => {
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'seq 1 10000; echo small >&2'],
      Options: { Attach: ['STDOUT', 'STDERR'], Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Truncated: true, Stderr: 'small\n' });
    expect(Buffer.byteLength(body.Stdout!)).toBeLessThanOrEqual(1000);
    expect(body.Stdout!.endsWith('9999\n10000\n')).toBe(true);
    // stdout of the worker still got every line.
    expect(h.worker.stdout).toContain(' | 1\n');
    expect(h.worker.stdout).toContain(' | 10000\n');
  });

  it('refuses a message larger than --max-message-bytes before parsing it', async () => {
    const { body } = await h.broker.request(h.queue, Buffer.alloc(300_000, 'x'));
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect(body.Error?.Message).toContain(
      '300000 bytes, more than the 200000 this worker accepts (--max-message-bytes)',
    );
    expect((await h.broker.take(h.deadLetterQueue)).content.length).toBe(300_000);
  });

  it('adopts an exited container an earlier attempt left for the same message id: no second container', async () => {
    const messageId = unique('adopt-exited');
    const since = now();
    const earlier = await h.engines.b.createContainer({
      Image: h.image,
      Cmd: ['sh', '-c', 'echo from the earlier attempt; exit 4'],
      Labels: workerLabels(h.queue, messageId, 'b'),
      HostConfig: { NetworkMode: 'none' },
    });
    await earlier.start();
    await earlier.wait();
    const { body } = await h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['echo', 'a second run'],
        Options: { Attach: ['STDOUT'], Remove: true },
      },
      { messageId },
    );
    expect(body).toMatchObject({
      Status: 'ok',
      Host: 'b',
      ExitCode: 4,
      Stdout: 'from the earlier attempt\n',
      Container: { Id: earlier.id },
    });
    expect(await exists(h.engines.b, earlier.id)).toBe(false); // Remove still applies
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(1);
  });

  it('adopts a running container of the same message id: its output so far and to come, and its exit', async () => {
    const messageId = unique('adopt-running');
    const earlier = await h.engines.a.createContainer({
      Image: h.image,
      Cmd: ['sh', '-c', 'echo one; sleep 1.5; echo two; exit 2'],
      Labels: workerLabels(h.queue, messageId, 'a'),
      HostConfig: { NetworkMode: 'none' },
    });
    await earlier.start();
    await sleep(300);
    const { body } = await h.broker.request(
      h.queue,
      { Dockercmd: 'run', Image: h.image, Cmd: ['true'], Options: { Attach: ['STDOUT'] } },
      { correlationId: messageId },
    );
    expect(body).toMatchObject({
      Status: 'ok',
      Host: 'a',
      ExitCode: 2,
      Stdout: 'one\ntwo\n',
      Container: { Id: earlier.id },
    });
  });

  it('starts a container an earlier attempt created but never started, instead of creating another', async () => {
    const messageId = unique('adopt-created');
    const name = unique('created');
    const since = now();
    const earlier = await h.engines.b.createContainer({
      name,
      Image: h.image,
      Cmd: ['echo', 'started at last'],
      Labels: workerLabels(h.queue, messageId, 'b'),
      HostConfig: { NetworkMode: 'none' },
    });
    const { body } = await h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['echo', 'started at last'],
        Options: { Name: name, Attach: ['STDOUT'], Remove: true },
      },
      { messageId },
    );
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Container: { Id: earlier.id, Name: name } });
    expect(body.Stdout).toBe('started at last\n');
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(1);
  });

  it('runs one container for a message published twice with the same message id, and answers both', async () => {
    const messageId = unique('twice');
    const since = now();
    const message = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'sleep 1; echo once'],
      Options: { Attach: ['STDOUT'] },
    };
    const [first, second] = await Promise.all([
      h.broker.request(h.queue, message, { messageId, correlationId: `${messageId}-1` }),
      h.broker.request(h.queue, message, { messageId, correlationId: `${messageId}-2` }),
    ]);
    expect(first.body).toMatchObject({ Status: 'ok', Stdout: 'once\n' });
    expect(second.body).toMatchObject({ Status: 'ok', Stdout: 'once\n', Container: first.body.Container });
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(1);
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});

describe('broker URLs and start-up', () => {
  it('fails over to the next broker URL when the first does not answer', async () => {
    const { amqpUrl, hostA, image } = services();
    const queue = unique('dd-urls');
    const broker = await TestBroker.connect(amqpUrl);
    const worker = await WorkerProcess.start([
      '-q',
      queue,
      '--network',
      'none',
      `a=${hostA}`,
      `amqp://guest:guest@127.0.0.1:1,${amqpUrl}`,
    ]);
    try {
      const { body } = await broker.request(queue, {
        Dockercmd: 'run',
        Image: image,
        Cmd: ['true'],
        Options: { Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', ExitCode: 0 });
    } finally {
      await worker.stop();
      await broker.deleteWorkerQueues(queue);
      await broker.close();
    }
  });

  it('reports the containers earlier runs left for its queue at start-up, and removes none', async () => {
    const { amqpUrl, hostA, image } = services();
    const queue = unique('dd-reconcile');
    const { dockerClient } = await import('../support/services.js');
    const docker = dockerClient(hostA);
    const left = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      Labels: workerLabels(queue, 'old', 'a'),
      HostConfig: { NetworkMode: 'none' },
    });
    const worker = await WorkerProcess.start(['-q', queue, '--network', 'none', `a=${hostA}`, amqpUrl]);
    try {
      expect(
        worker.logs().find((l) => String(l.msg).startsWith('found 1 container(s) from earlier runs')),
      ).toMatchObject({
        host: 'a',
        byState: { created: 1 },
      });
      expect(await exists(docker, left.id)).toBe(true);
    } finally {
      await worker.stop();
      await left.remove({ force: true });
      const broker = await TestBroker.connect(amqpUrl);
      await broker.deleteWorkerQueues(queue);
      await broker.close();
    }
  });
});
