import { afterEach, describe, expect, it } from 'vitest';
import { countCreates } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

describe('worker crash', () => {
  let h: Harness | undefined;
  let second: WorkerProcess | undefined;
  afterEach(async () => {
    await second?.stop();
    await h?.cleanup();
    h = second = undefined;
  });

  it('a worker killed mid-run: the next worker adopts the running container instead of running it again', async () => {
    h = await startHarness('dd-fault-kill', ['--prefetch', '1']);
    const messageId = unique('kill');
    const since = Math.floor(Date.now() / 1000);
    const reply = h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', 'echo begin; sleep 3; echo end'],
        Options: { Attach: ['STDOUT', 'STDERR'], Remove: true },
      },
      { messageId },
    );
    const first = h.worker;
    await first.waitFor(() => first.stdout.includes('| begin'));
    await first.kill();

    second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', h.hosts, services().amqpUrl]);
    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'begin\nend\n', Stderr: '' });
    expect(second.stderr).toContain('adopting the container of an earlier attempt');
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(1);
    expect(await h.broker.depth(h.queue)).toBe(0);
  });

  it('with an engine of the pool down, the next worker still adopts the container a killed worker left on a live engine', async () => {
    const { hostA, hostB } = services();
    // Engine c is down for the whole test: nothing listens on its socket.
    const pool = `a=${hostA},b=${hostB},c=unix:///tmp/${unique('dead-engine')}.sock`;
    h = await startHarness('dd-fault-kill-dead', ['--prefetch', '1'], pool);
    const messageId = unique('kill-dead');
    const since = Math.floor(Date.now() / 1000);
    const reply = h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', 'echo begin; sleep 3; exit 7'],
        Options: { Attach: ['STDOUT'], Remove: true, Host: 'b' },
      },
      { messageId },
    );
    const first = h.worker;
    await first.waitFor(() => first.stdout.includes('| begin'));
    await first.kill();

    second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', pool, services().amqpUrl]);
    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'ok', Host: 'b', ExitCode: 7, Stdout: 'begin\n' });
    expect(second.stderr).toContain('adopting the container of an earlier attempt');
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(1);
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);
  });
});
