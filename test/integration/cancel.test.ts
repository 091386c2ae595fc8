import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchCreates } from '../support/engine-events.js';
import { exists, longRun, startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';
import { runClient } from '../support/client-process.js';

const label = (messageId: string) => [`docker-dispatch.message-id=${messageId}`];

describe('cancel', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-cancel', ['--prefetch', '4']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });
  /** Counts, from now on and live (none can be missed), the containers created for a message on either engine. */
  const watch = (messageId: string) => watchCreates([h.engines.a, h.engines.b], label(messageId));

  it('stops a running run: its reply is Cancelled with its exit code and output, its container removed', async () => {
    const messageId = unique('running');
    const run = h.broker.request(
      h.queue,
      // n.b. sh as PID 1 ignores SIGTERM: the cancel's Time decides when it is killed.
      longRun(h.image, { Remove: true }),
      { messageId },
      60_000,
    );
    await h.worker.waitFor(() => h.worker.stdout.includes('| started'));
    const cancelledAt = Date.now();
    const cancel = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId, Options: { Time: 2 } });
    const { body } = await run;
    expect(Date.now() - cancelledAt).toBeLessThan((2 + 5) * 1000);
    expect(body).toMatchObject({
      Status: 'error',
      MessageId: messageId,
      ExitCode: 137,
      Stdout: 'started\n',
      Error: { Code: 'Cancelled' },
    });
    expect(cancel.body).toMatchObject({
      Dockercmd: 'cancel',
      Status: 'ok',
      Cancelled: [{ Host: body.Host, Container: { Id: body.Container!.Id, Name: body.Container!.Name } }],
    });
    expect(cancel.body.Pending).toBeUndefined();
    const engine = body.Host === 'a' ? h.engines.a : h.engines.b;
    expect(await exists(engine, body.Container!.Id)).toBe(false);
    // A cancelled run is acked without a dead-letter copy; the worker's line says so.
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);
    expect(h.worker.stdout).toMatch(new RegExp(`^ok cancel: stopped ${body.Container!.Name} on ${body.Host} in`, 'm'));
    // Idempotent: a second cancel finds nothing running.
    const again = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId });
    expect(again.body).toMatchObject({ Status: 'ok', Pending: true });
  });

  it('a message cancelled before it is published is answered Cancelled, and no container is created', async () => {
    const messageId = unique('early');
    const correlationId = unique('early-corr');
    const [creates, corrCreates] = [await watch(messageId), await watch(correlationId)];
    const cancel = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId });
    expect(cancel.body).toMatchObject({ Status: 'ok', Pending: true });
    const { body } = await h.broker.request(
      h.queue,
      { Dockercmd: 'run', Image: h.image, Cmd: ['echo', 'never'], Options: { Attach: ['STDOUT'], Remove: true } },
      { messageId },
    );
    expect(body).toMatchObject({ Status: 'error', MessageId: messageId, Error: { Code: 'Cancelled' } });
    expect(body.Error!.Message).toContain('nothing was created');
    // By correlation id alone (no message_id) as well: a message's identity is its message_id, else its correlation_id.
    await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: correlationId });
    const other = await h.broker.request(
      h.queue,
      { Dockercmd: 'create', Image: h.image, Cmd: ['true'] },
      { correlationId },
    );
    expect(other.body).toMatchObject({ Status: 'error', Error: { Code: 'Cancelled' } });
    [creates, corrCreates].forEach((w) => w.stop());
    expect([creates.count(), corrCreates.count()]).toEqual([0, 0]);
  });

  it('cancels every instance of an Instances run', async () => {
    const messageId = unique('instances');
    const run = h.broker.request(
      h.queue,
      { ...longRun(h.image, { Remove: true }, 'up'), Instances: 2 },
      { messageId },
      60_000,
    );
    await h.worker.waitFor(() => (h.worker.stdout.match(/\| up/g) ?? []).length >= 2);
    const cancel = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId, Options: { Time: 0 } });
    expect(cancel.body.Cancelled).toHaveLength(2);
    const { body } = await run;
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Cancelled' } });
    expect(body.Containers).toHaveLength(2);
    for (const instance of body.Containers!) expect(instance).toMatchObject({ ExitCode: 137, Stdout: 'up\n' });
  });

  it('stops a detached run that was already answered (nobody follows it: the cancel stops it itself)', async () => {
    const messageId = unique('detached');
    const started = await h.broker.request(
      h.queue,
      { Dockercmd: 'run', Image: h.image, Cmd: ['sleep', '60'], Options: { Name: messageId } },
      { messageId },
    );
    expect(started.body).toMatchObject({ Status: 'ok' });
    const cancel = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId, Options: { Time: 1 } });
    expect(cancel.body.Cancelled).toEqual([{ Host: started.body.Host, Container: started.body.Container }]);
    const engine = started.body.Host === 'a' ? h.engines.a : h.engines.b;
    expect((await engine.getContainer(messageId).inspect()).State.Running).toBe(false);
  });

  it('a worker started after the cancel refuses the message too (the cancel stream is read from 24 hours back)', async () => {
    const messageId = unique('later');
    const creates = await watch(messageId);
    const cancel = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId });
    expect(cancel.body).toMatchObject({ Pending: true });
    // Only a worker that was not running at the time of the cancel takes the run.
    const queue = h.queue;
    await h.worker.stop();
    const later = await WorkerProcess.start(['-q', queue, '--network', 'none', h.hosts, services().amqpUrl]);
    try {
      const { body } = await h.broker.request(
        queue,
        { Dockercmd: 'run', Image: h.image, Cmd: ['echo', 'never'], Options: { Attach: ['STDOUT'] } },
        { messageId },
      );
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Cancelled' } });
      expect(creates.count()).toBe(0);
    } finally {
      creates.stop();
      await later.stop();
    }
  });
});

describe('cancel reaches a busy fleet', () => {
  it('through the control queue, a worker whose every slot is taken (prefetch 1) stops its run within Time', async () => {
    const h = await startHarness('dd-cancel-busy', ['--prefetch', '1']);
    try {
      const messageId = unique('busy');
      const run = h.broker.request(h.queue, longRun(h.image), { messageId }, 60_000);
      // A backlog behind it, which a cancel on the command queue would wait behind.
      h.broker.publish(h.queue, { Dockercmd: 'run', Image: h.image, Cmd: ['sleep', '60'] });
      await h.worker.waitFor(() => h.worker.stdout.includes('| started'));
      const cancelledAt = Date.now();
      const cancel = await runClient(['cancel', '-q', h.queue, '--time', '1', h.amqpUrl, messageId]);
      expect(cancel.code).toBe(0);
      const { body } = await run;
      expect(Date.now() - cancelledAt).toBeLessThan((1 + 5) * 1000);
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Cancelled' }, Stdout: 'started\n' });
      // The control queue takes cancels only.
      const refused = await h.broker.request(`${h.queue}.control`, { Dockercmd: 'hosts' });
      expect(refused.body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
      expect(refused.body.Error!.Message).toContain(`only cancel messages may be published to ${h.queue}.control`);
    } finally {
      await h.cleanup();
    }
  });

  it('a cancel taken by one worker stops the run another worker carries out (the cancel stream, live)', async () => {
    const h = await startHarness('dd-cancel-other', ['--prefetch', '1']);
    let other: WorkerProcess | undefined;
    try {
      const messageId = unique('elsewhere');
      const run = h.broker.request(h.queue, longRun(h.image), { messageId }, 60_000);
      await h.worker.waitFor(() => h.worker.stdout.includes('| started'));
      // A second worker; the first has no free slot on the command queue, so the second takes the cancel.
      other = await WorkerProcess.start(['-q', h.queue, '--network', 'none', h.hosts, services().amqpUrl]);
      const cancel = await h.broker.request(h.queue, {
        Dockercmd: 'cancel',
        MessageId: messageId,
        Options: { Time: 1 },
      });
      expect(other.stdout).toMatch(/^ok cancel: stopped /m);
      expect(h.worker.stdout).not.toMatch(/^ok cancel/m);
      const { body } = await run;
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Cancelled' } });
      expect(cancel.body.Cancelled).toEqual([{ Host: body.Host, Container: body.Container }]);
      expect(h.worker.stderr).toContain('cancelled while in progress here: stopping it');
    } finally {
      await other?.stop();
      await h.cleanup();
    }
  });
});
