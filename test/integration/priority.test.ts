import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBroker } from '../support/broker.js';
import { runClient } from '../support/client-process.js';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

/** Resolves once `condition()` holds, polling; rejects after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

describe('message priorities (--max-priority)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-priority', ['--prefetch', '1', '--max-priority', '10']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('a high-priority run published after a backlog of low-priority runs is answered before them', async () => {
    const run = (tag: string, cmd = ['true']) => ({
      Dockercmd: 'run',
      Image: h.image,
      Cmd: cmd,
      Options: { Remove: true, Labels: { test: tag } },
    });
    const answered: string[] = [];
    const request = (tag: string, priority: number, cmd?: string[]) =>
      h.broker.request(h.queue, run(tag, cmd), { priority }, 60_000).then((reply) => {
        answered.push(tag);
        return reply;
      });
    // The worker's one slot (prefetch 1) is taken by a run that lasts a few seconds…
    const busy = request('busy', 0, ['sleep', '3']);
    await until(async () => (await h.broker.depth(h.queue)) === 0, 'the busy run is delivered');
    // …so these wait in the queue, the urgent one last.
    const low = Array.from({ length: 4 }, (_, i) => request(`low-${i + 1}`, 1));
    const high = request('high', 9);
    await until(async () => (await h.broker.depth(h.queue)) === 5, 'the backlog is queued');
    const replies = await Promise.all([busy, ...low, high]);
    for (const { body } of replies) expect(body).toMatchObject({ Status: 'ok', ExitCode: 0 });
    expect(answered).toEqual(['busy', 'high', 'low-1', 'low-2', 'low-3', 'low-4']);
  });

  it('send --priority sets the priority property (0 to 10, else exit 2)', async () => {
    const idle = unique('dd-priority-idle');
    await h.broker.declareQueue(idle, { durable: false });
    try {
      const sent = await runClient([
        'send',
        '-q',
        idle,
        '--no-wait',
        '--priority',
        '7',
        h.amqpUrl,
        '{"Dockercmd":"hosts"}',
      ]);
      expect(sent.code).toBe(0);
      const published = await h.broker.take(idle);
      expect(published.properties).toMatchObject({ messageId: sent.stdout.trim(), priority: 7 });
      // Without --priority there is none.
      await runClient(['send', '-q', idle, '--no-wait', h.amqpUrl, '{"Dockercmd":"hosts"}']);
      expect((await h.broker.take(idle)).properties.priority).toBeUndefined();
      const refused = await runClient(['send', '-q', idle, '--priority', '11', h.amqpUrl, '{"Dockercmd":"hosts"}']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('0 to 10');
      expect(await h.broker.depth(idle)).toBe(0);
    } finally {
      await h.broker.deleteQueues(idle);
    }
  });
});

describe('--max-priority at start-up', () => {
  it('is refused with --queue-type quorum, naming both, before connecting', async () => {
    const { hostA, amqpUrl } = services();
    const worker = WorkerProcess.spawn(['--queue-type', 'quorum', '--max-priority', '5', hostA, amqpUrl]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr.trim().split('\n')).toHaveLength(1);
    expect(worker.stderr).toMatch(/^docker-dispatch: --max-priority cannot be used with --queue-type quorum: /);
  });

  it('is refused outside 1 to 10', async () => {
    const { hostA, amqpUrl } = services();
    const worker = WorkerProcess.spawn(['--max-priority', '11', hostA, amqpUrl]);
    expect(await worker.exited).not.toBe(0);
    expect(worker.stderr).toContain('--max-priority must be a whole number from 1 to 10');
  });

  it('uses an existing command queue without x-max-priority as it is, warning that priorities are ignored on it', async () => {
    const { hostA, amqpUrl, image } = services();
    const queue = unique('dd-priority-old');
    const broker = await TestBroker.connect(amqpUrl);
    await broker.declareQueue(queue);
    const worker = await WorkerProcess.start(['-q', queue, '--network', 'none', '--max-priority', '5', hostA, amqpUrl]);
    try {
      const warning = worker.logs().find((l) => l.queue === queue && l.level === 40);
      expect(String(warning?.msg)).toContain(
        `queue ${queue} exists with other arguments than the worker's; it has no x-max-priority, so message ` +
          'priorities are ignored on it (to apply --max-priority 5, delete the queue while it is empty',
      );
      const { body } = await broker.request(
        queue,
        { Dockercmd: 'run', Image: image, Cmd: ['true'], Options: { Remove: true } },
        { priority: 5 },
      );
      expect(body).toMatchObject({ Status: 'ok' });
    } finally {
      await worker.stop();
      await broker.deleteWorkerQueues(queue);
      await broker.close();
    }
  });
});
