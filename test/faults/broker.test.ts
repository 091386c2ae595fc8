import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TestBroker } from '../support/broker.js';
import { countCreates } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { closeConnectionsOf, restartBroker } from '../support/rabbitmq-ctl.js';
import { services, unique } from '../support/services.js';

/**
 * A run long enough to be cut in the middle (rabbitmqctl alone takes seconds on a loaded machine), with a message id
 * so it can be adopted.
 */
function slowRun(image: string) {
  return {
    Dockercmd: 'run',
    Image: image,
    Cmd: ['sh', '-c', 'echo begin; sleep 8; echo end'],
    Options: { Attach: ['STDOUT'], Remove: true },
  };
}

async function creates(h: Harness, since: number, messageId: string): Promise<number> {
  const label = [`docker-dispatch.message-id=${messageId}`];
  return (await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label));
}

describe('broker faults', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    if (!h) return;
    // The test's own connection may have died with the broker: clean up through a fresh one.
    h.broker = await TestBroker.connect(services().amqpUrl);
    await h.cleanup();
    h = undefined;
  });

  it('the broker closes the worker connection during a run: one container, one reply, queue drained', async () => {
    h = await startHarness('dd-fault-close');
    const worker = h.worker;
    const messageId = unique('close');
    const since = Math.floor(Date.now() / 1000);
    const reply = h.broker.request(h.queue, slowRun(h.image), { messageId });
    await worker.waitFor(() => worker.stdout.includes('| begin'));
    expect(await closeConnectionsOf(h.queue)).toBeGreaterThan(0);
    await worker.waitFor(() => worker.stderr.includes('reconnected to RabbitMQ'));
    expect(worker.stdout).not.toContain('exited with code'); // the connection was lost mid-run

    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'begin\nend\n' });
    await sleep(500);
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await creates(h, since, messageId)).toBe(1);
    // Exactly one reply: the redelivery was answered with the same result, not run again and not answered twice.
    expect(await h.broker.depth(h.replyQueue)).toBe(0);
  });

  it('the broker cancels the consumer (its queue deleted): the worker declares the queue again and consumes', async () => {
    h = await startHarness('dd-fault-cancel');
    const worker = h.worker;
    await h.broker.channel.deleteQueue(h.queue);
    await worker.waitFor(() => worker.stderr.includes('reconnected to RabbitMQ'), 30_000);
    expect(worker.stderr).toContain('the broker cancelled the consumer');
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'back'],
      Options: { Attach: ['STDOUT'], Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', Stdout: 'back\n' });
  });

  it('RabbitMQ restarted while the worker idles: it reconnects and carries on', async () => {
    h = await startHarness('dd-fault-idle');
    await restartBroker(2000);
    const worker = h.worker;
    await worker.waitFor(() => worker.stderr.includes('reconnected to RabbitMQ'), 60_000);
    const broker = await TestBroker.connect(services().amqpUrl);
    try {
      const { body } = await broker.request(h.queue, {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['echo', 'after'],
        Options: { Attach: ['STDOUT'], Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Stdout: 'after\n' });
    } finally {
      await broker.close();
    }
  });

  it('RabbitMQ restarted during a run: the run goes on and its reply is published once the broker is back', async () => {
    h = await startHarness('dd-fault-restart');
    const worker = h.worker;
    const messageId = unique('restart');
    const since = Math.floor(Date.now() / 1000);
    // The reply_to queue is exclusive to the test's connection and dies with the broker: the reply then goes to the
    // reply queue, which is durable.
    h.broker.publish(h.queue, slowRun(h.image), { messageId, replyTo: h.broker.replyTo, correlationId: messageId });
    await worker.waitFor(() => worker.stdout.includes('| begin'));
    await restartBroker(1000);
    await worker.waitFor(() => worker.stdout.includes('exited with code 0'), 60_000);

    const broker = await TestBroker.connect(services().amqpUrl);
    try {
      const reply = await broker.take(h.replyQueue, 60_000);
      expect(TestBroker.parseReply(reply.content)).toMatchObject({
        Status: 'ok',
        ExitCode: 0,
        Stdout: 'begin\nend\n',
        MessageId: messageId,
      });
      await sleep(500);
      expect(await broker.depth(h.queue)).toBe(0);
      expect(await broker.depth(h.replyQueue)).toBe(0);
    } finally {
      await broker.close();
    }
    expect(await creates(h, since, messageId)).toBe(1);
  });
});
