import { afterEach, describe, expect, it } from 'vitest';
import { clusterNodes, urlsFrom } from '../support/cluster.js';
import { countCreates } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

// The cluster's nodes run with consumer_timeout = 60 s (scripts/services/cluster.sh): a delivery left unacked longer
// makes the broker close the channel. The worker hands deliveries over at --ack-deadline 40 s.

const DEADLINE = ['--ack-deadline', '40'];

describe('runs longer than the broker acknowledgement timeout', () => {
  let h: Harness | undefined;
  let second: WorkerProcess | undefined;
  afterEach(async () => {
    await second?.stop();
    await h?.cleanup();
    h = second = undefined;
  });

  it('a 150 s run is answered once, no channel is closed by the broker, and short runs meanwhile are answered at once', async () => {
    h = await startHarness('dd-ackdl', ['--queue-type', 'quorum', ...DEADLINE], undefined, {
      worker: urlsFrom(1),
      client: clusterNodes()[1]!.url,
    });
    const messageId = unique('long');
    const since = Math.floor(Date.now() / 1000);
    const long = h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', 'echo begin; sleep 150; echo end'],
        Options: { Attach: ['STDOUT'], Remove: true },
      },
      { messageId },
      240_000,
    );
    // Short runs every 20 s while the long one runs (through the deadlines at 40, 80 and 120 s).
    const latencies: number[] = [];
    for (let i = 0; i < 7; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      const started = Date.now();
      const { body } = await h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['echo', `short ${i}`],
        Options: { Attach: ['STDOUT'], Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Stdout: `short ${i}\n` });
      latencies.push(Date.now() - started);
    }
    const { body } = await long;
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'begin\nend\n' });
    const worker = h.worker;
    // Never a closed channel or a reconnect: the worker's first connection is the one it ends with.
    expect(worker.stderr).not.toContain('lost RabbitMQ');
    expect(worker.logs().filter((l) => String(l.msg).startsWith('consuming from'))).toHaveLength(1);
    expect(
      worker.logs().filter((l) => String(l.msg).startsWith('the ack deadline passed: handed over')).length,
    ).toBeGreaterThanOrEqual(3);
    // Short runs waited for nothing (an attached echo takes about a second here).
    expect(Math.max(...latencies)).toBeLessThan(10_000);
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(1);
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(`${h.queue}.handover`)).toBe(0);
  }, 300_000);

  it('a worker SIGKILLed during a long run, after a hand-over: the next worker answers it, with one container', async () => {
    h = await startHarness('dd-ackdl-kill', ['--queue-type', 'quorum', ...DEADLINE], undefined, {
      worker: urlsFrom(1),
      client: clusterNodes()[1]!.url,
    });
    const messageId = unique('long-kill');
    const since = Math.floor(Date.now() / 1000);
    const reply = h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', 'echo begin; sleep 65; echo end'],
        Options: { Attach: ['STDOUT'], Remove: true },
      },
      { messageId },
      180_000,
    );
    const first = h.worker;
    await first.waitFor(
      () => first.logs().some((l) => String(l.msg).startsWith('the ack deadline passed: handed over')),
      60_000,
    );
    await first.waitFor(
      () => first.logs().filter((l) => l.msg === 'adopting the container of an earlier attempt').length > 0,
      20_000,
    );
    await first.kill();
    second = await WorkerProcess.start([
      '-q',
      h.queue,
      '--queue-type',
      'quorum',
      ...DEADLINE,
      '--network',
      'none',
      h.hosts,
      urlsFrom(2),
    ]);
    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'begin\nend\n' });
    expect(second.stderr).toContain('adopting the container of an earlier attempt');
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(1);
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(`${h.queue}.handover`)).toBe(0);
  }, 240_000);
});
