import { afterEach, expect, it } from 'vitest';
import { queueArguments, queueNames } from '../../src/amqp/topology.js';
import { TestBroker } from '../support/broker.js';
import {
  clusterNodes,
  countsWhenDrained,
  describeOnCluster,
  killNode,
  leaderOf,
  queueArgs,
  queueTypes,
  startNode,
  urlsFrom,
} from '../support/cluster.js';
import { watchCreates, type CreateWatch } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { dockerClient, removeContainers, services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

// Against the 3-node cluster of scripts/services.sh --cluster: the worker is connected to node 1 (its URLs start
// there), the test's own client to node 2, so that killing node 1 or a queue's leader leaves the test its broker.

/** A run that prints, sleeps, and prints again: long enough to lose a node in the middle. */
/**
 * Checks that a message was answered DeliveryLimit after its third delivery and dead-lettered with that code; returns
 * the dead-lettered copy.
 */
async function answeredDeliveryLimit(h: Harness, reply: ReturnType<Harness['broker']['request']>, messageId: string) {
  const { body } = await reply;
  expect(body).toMatchObject({ Status: 'error', Error: { Code: 'DeliveryLimit' } });
  expect(body.Error?.Message).toContain('delivered 3 times');
  const dead = await h.broker.take(h.deadLetterQueue);
  expect(dead.properties.messageId).toBe(messageId);
  expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('DeliveryLimit');
  return dead;
}

function sleepyRun(image: string, seconds: number) {
  return {
    Dockercmd: 'run',
    Image: image,
    Cmd: ['sh', '-c', `echo begin; sleep ${seconds}; echo end`],
    Options: { Attach: ['STDOUT'], Remove: true },
  };
}

describeOnCluster('quorum queues on a cluster', () => {
  let h: Harness | undefined;
  const down: number[] = [];
  const watches: CreateWatch[] = [];
  const watch = (w: CreateWatch) => (watches.push(w), w);
  afterEach(async () => {
    for (const w of watches.splice(0)) w.stop();
    for (const n of down.splice(0)) await startNode(n);
    await h?.cleanup();
    h = undefined;
  });

  const quorumHarness = (prefix: string, extra: string[] = [], hosts?: string) =>
    startHarness(prefix, ['--queue-type', 'quorum', ...extra], hosts, {
      worker: urlsFrom(1),
      client: clusterNodes()[1]!.url,
    });

  it('--queue-type quorum: the command, reply, dead-letter, retry, handover and control queues are quorum queues; the command \
and handover queues have the delivery limit; the cancel stream is a stream', async () => {
    h = await quorumHarness('dd-qq');
    const names = queueNames(h.queue);
    expect(await queueTypes(h.queue)).toEqual({
      [names.queue]: 'quorum',
      [names.replyQueue]: 'quorum',
      [names.deadLetterQueue]: 'quorum',
      [names.retryQueue]: 'quorum',
      [names.handoverQueue]: 'quorum',
      [names.controlQueue]: 'quorum',
      // n.b. the cancel stream is a stream whatever the queue type (replicated over the cluster as well).
      [names.cancelStream]: 'stream',
    });
    // A handed-over copy is consumed as the command queue is: the same delivery limit, dead-lettered the same way.
    const limited = {
      'x-delivery-limit': 20,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': names.deadLetterQueue,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    };
    expect(await queueArgs(names.queue)).toMatchObject(limited);
    expect(await queueArgs(names.handoverQueue)).toMatchObject(limited);
  });

  it('a run, an invalid message (dead-lettered) and a retried transient failure behave as on classic queues', async () => {
    const { hostA } = services();
    // A pool with an engine nobody listens on: a stop cannot tell where its container is, a transient failure.
    h = await quorumHarness(
      'dd-qq-msgs',
      ['--max-retries', '1', '--retry-delay', '0.5'],
      `a=${hostA},gone=unix:///tmp/${unique('no-engine')}.sock`,
    );
    const run = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'on quorum'],
      Options: { Attach: ['STDOUT'], Remove: true, Host: 'a' },
    });
    expect(run.body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'on quorum\n' });

    const invalid = await h.broker.request(h.queue, { Dockercmd: 'run' });
    expect(invalid.body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect((await h.broker.take(h.deadLetterQueue)).properties.headers?.['x-dispatch-error-code']).toBe(
      'InvalidMessage',
    );

    const transient = await h.broker.request(
      h.queue,
      { Dockercmd: 'stop', Container: 'no-such-container' },
      { messageId: unique('stop') },
    );
    expect(transient.body).toMatchObject({ Status: 'error', Error: { Code: 'DockerUnavailable' } });
    expect(transient.body.Error?.Message).toContain('gave up after 2 attempts');
    expect(h.worker.logs().filter((l) => String(l.msg).startsWith('transient failure: retrying'))).toHaveLength(1);
    expect((await h.broker.take(h.deadLetterQueue)).properties.headers?.['x-dispatch-error-code']).toBe(
      'DockerUnavailable',
    );
    expect(await countsWhenDrained(h.queue)).toEqual({ ready: 0, unacked: 0 });
  });

  it('uses an existing classic command queue as it is, with a warning naming both types', async () => {
    const queue = unique('dd-qq-classic');
    const client = await TestBroker.connect(clusterNodes()[1]!.url);
    try {
      await client.declareQueue(queue, { durable: true });
      const worker = await WorkerProcess.start([
        '-q',
        queue,
        '--queue-type',
        'quorum',
        '--network',
        'none',
        services().hostA,
        urlsFrom(1),
      ]);
      await worker.stop();
      expect(worker.stderr).toContain(
        `queue ${queue} exists with other arguments than the worker's ` +
          '(it is a classic queue; the worker declares quorum queues, --queue-type)',
      );
      const names = queueNames(queue);
      expect(await queueTypes(queue)).toMatchObject({ [queue]: 'classic', [names.deadLetterQueue]: 'quorum' });
    } finally {
      await client.deleteWorkerQueues(queue);
      await client.close();
    }
  });

  it('kill -9 of the connected node mid-run: reconnects to the next node; one reply, one container, queue drained', async () => {
    h = await quorumHarness('dd-qq-kill');
    const messageId = unique('kill-node');
    const creates = watch(await watchCreates([h.engines.a, h.engines.b], [`docker-dispatch.message-id=${messageId}`]));
    const reply = h.broker.request(h.queue, sleepyRun(h.image, 4), { messageId }, 90_000);
    const worker = h.worker;
    await worker.waitFor(() => worker.stdout.includes('| begin'));
    await killNode(1);
    down.push(1);
    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'begin\nend\n' });
    const reconnected = worker
      .logs()
      .find((l) => l.msg === 'consuming from ' + h!.queue && String(l.broker).includes(':5682'));
    expect(reconnected, 'reconnected to node 2, the next URL').toBeDefined();
    expect(creates.count()).toBe(1);
    // Nothing left in the queue, ready or unacked.
    expect(await countsWhenDrained(h.queue)).toEqual({ ready: 0, unacked: 0 });
    // The node comes back and rejoins; the worker goes on as it was.
    await startNode(down.pop()!);
    expect((await h.broker.request(h.queue, sleepyRun(h.image, 0))).body).toMatchObject({ Status: 'ok' });
    expect(await countsWhenDrained(h.queue)).toEqual({ ready: 0, unacked: 0 });
  });

  it("kill -9 of the command queue's leader, mid-run: one reply, one container, the queue drained", async () => {
    // The leader is where the queue was declared: on node 3, by a client of node 3, with the worker's own arguments.
    const queue = unique('dd-qq-leader');
    const names = queueNames(queue);
    const onThree = await TestBroker.connect(clusterNodes()[2]!.url);
    const topology = { names, retryDelayMs: 5000, queueType: 'quorum' as const, deliveryLimit: 20 };
    await onThree.declareQueue(queue, { durable: true, arguments: queueArguments(topology).queue });
    await onThree.close();
    expect(await leaderOf(queue)).toBe(3);
    const { hostA, hostB, image } = services();
    const client = await TestBroker.connect(clusterNodes()[1]!.url);
    const worker = await WorkerProcess.start([
      '-q',
      queue,
      '--queue-type',
      'quorum',
      '--network',
      'none',
      `a=${hostA},b=${hostB}`,
      urlsFrom(1),
    ]);
    const engines = [dockerClient(hostA), dockerClient(hostB)];
    try {
      const messageId = unique('kill-leader');
      const creates = watch(await watchCreates(engines, [`docker-dispatch.message-id=${messageId}`]));
      const reply = client.request(queue, sleepyRun(image, 4), { messageId }, 90_000);
      await worker.waitFor(() => worker.stdout.includes('| begin'));
      await killNode(3);
      down.push(3);
      const { body } = await reply;
      expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'begin\nend\n' });
      expect(creates.count()).toBe(1);
      expect(await countsWhenDrained(queue)).toEqual({ ready: 0, unacked: 0 });
      await startNode(down.pop()!);
      expect((await client.request(queue, sleepyRun(image, 0))).body).toMatchObject({ Status: 'ok' });
      expect(await countsWhenDrained(queue)).toEqual({ ready: 0, unacked: 0 });
    } finally {
      await worker.stop();
      await removeContainers(engines, queue);
      await client.deleteWorkerQueues(queue);
      await client.close();
    }
  });

  it('the delivery limit: a message every worker dies on is answered DeliveryLimit at last, and ends in <queue>.dead', async () => {
    // The crash: the test kills each worker as soon as it logs that it carries the message out (--log-level debug).
    h = await quorumHarness('dd-qq-limit', ['--delivery-limit', '2', '--log-level', 'debug']);
    const messageId = unique('poison');
    const reply = h.broker.request(h.queue, sleepyRun(h.image, 30), { messageId }, 90_000);
    const args = [
      '-q',
      h.queue,
      '--queue-type',
      'quorum',
      '--delivery-limit',
      '2',
      '--log-level',
      'debug',
      '--network',
      'none',
      h.hosts,
      urlsFrom(1),
    ];
    let worker = h.worker;
    for (let delivery = 1; delivery <= 2; delivery++) {
      await worker.waitFor(() => worker.logs().some((l) => l.msg === 'carrying out' && l.messageId === messageId));
      await worker.kill();
      worker = await WorkerProcess.start(args);
    }
    try {
      await answeredDeliveryLimit(h, reply, messageId);
      expect(await countsWhenDrained(h.queue)).toEqual({ ready: 0, unacked: 0 });
    } finally {
      await worker.stop();
    }
  });

  it('the delivery limit holds for a handed-over copy too: one every worker dies on ends in <queue>.dead', async () => {
    // The copy is made at --ack-deadline 15 (long enough that the copy is not handed over again before the test
    // kills its worker); the test kills each worker as it logs carrying the copy out (--log-level debug).
    const args = ['--delivery-limit', '2', '--ack-deadline', '15', '--log-level', 'debug'];
    h = await quorumHarness('dd-qq-limit-ho', args);
    const messageId = unique('poison-copy');
    const reply = h.broker.request(h.queue, sleepyRun(h.image, 60), { messageId }, 90_000);
    const carryingOut = (w: WorkerProcess) =>
      w.logs().filter((l) => l.msg === 'carrying out' && l.messageId === messageId).length;
    const restart = ['-q', h.queue, '--queue-type', 'quorum', ...args, '--network', 'none', h.hosts, urlsFrom(1)];
    let worker = h.worker;
    // The first worker carries out the original, hands it over, and takes the copy: killed then, once the broker has
    // the original's ack (else the original would come back too: the case where a second reply can happen).
    await worker.waitFor(() => worker.stderr.includes('the ack deadline passed: handed over'), 40_000);
    await worker.waitFor(() => carryingOut(worker) === 2);
    expect(await countsWhenDrained(h.queue)).toEqual({ ready: 0, unacked: 0 });
    await worker.kill();
    // The copy's second delivery, from the handover queue.
    worker = await WorkerProcess.start(restart);
    await worker.waitFor(() => carryingOut(worker) === 1);
    await worker.kill();
    // Its third: the last the broker makes (x-delivery-count 2).
    worker = await WorkerProcess.start(restart);
    try {
      const dead = await answeredDeliveryLimit(h, reply, messageId);
      expect(dead.properties.headers?.['x-dispatch-handovers']).toBe(1);
      expect(await countsWhenDrained(`${h.queue}.handover`)).toEqual({ ready: 0, unacked: 0 });
    } finally {
      await worker.stop();
    }
  });
});
