import { afterEach, expect, it } from 'vitest';
import { clusterNodes, countsWhenDrained, describeOnCluster, urlsFrom } from '../support/cluster.js';
import { watchCreates, type CreateWatch } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

// The cluster's nodes run with consumer_timeout = 60 s (scripts/services/cluster.sh): a delivery left unacked longer
// makes the broker close the channel. The worker hands deliveries over at --ack-deadline 40 s.

const DEADLINE = ['--ack-deadline', '40'];

describeOnCluster('runs longer than the broker acknowledgement timeout', () => {
  let h: Harness | undefined;
  let second: WorkerProcess | undefined;
  const watches: CreateWatch[] = [];
  const watch = (w: CreateWatch) => (watches.push(w), w);
  afterEach(async () => {
    for (const w of watches.splice(0)) w.stop();
    await second?.stop();
    await h?.cleanup();
    h = second = undefined;
  });

  it('a 150 s run is answered once, no channel closed by the broker; short runs meanwhile as fast as without it', async () => {
    h = await startHarness('dd-ackdl', ['--queue-type', 'quorum', ...DEADLINE], undefined, {
      worker: urlsFrom(1),
      client: clusterNodes()[1]!.url,
    });
    const harness = h;
    /** An attached echo, answered: how long from publish to reply (ms). */
    const shortRun = async (text: string) => {
      const started = Date.now();
      const { body } = await harness.broker.request(harness.queue, {
        Dockercmd: 'run',
        Image: harness.image,
        Cmd: ['echo', text],
        Options: { Attach: ['STDOUT'], Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Stdout: `${text}\n` });
      return Date.now() - started;
    };
    // The baseline: the same short runs on the same worker, before the long run (the first one warms up).
    await shortRun('warm-up');
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) baseline.push(await shortRun(`baseline ${i}`));

    const messageId = unique('long');
    const creates = watch(await watchCreates([h.engines.a, h.engines.b], [`docker-dispatch.message-id=${messageId}`]));
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
      latencies.push(await shortRun(`short ${i}`));
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
    // Short runs waited for nothing: each within twice the slowest of the baseline, plus 2 s for the noise of a
    // shared machine (a run held behind a closed channel waited tens of seconds).
    const limit = 2 * Math.max(...baseline) + 2000;
    console.info(`short runs: baseline ${baseline.join(', ')} ms; beside the long run ${latencies.join(', ')} ms`);
    expect(
      latencies.filter((ms) => ms > limit),
      `baseline ${baseline.join(', ')} ms; limit ${limit} ms`,
    ).toEqual([]);
    expect(creates.count()).toBe(1);
    expect(await countsWhenDrained(h.queue)).toEqual({ ready: 0, unacked: 0 });
    expect(await countsWhenDrained(`${h.queue}.handover`)).toEqual({ ready: 0, unacked: 0 });
  }, 300_000);

  it('a worker SIGKILLed during a long run, after a hand-over: the next worker answers it, with one container', async () => {
    h = await startHarness('dd-ackdl-kill', ['--queue-type', 'quorum', ...DEADLINE], undefined, {
      worker: urlsFrom(1),
      client: clusterNodes()[1]!.url,
    });
    const messageId = unique('long-kill');
    const creates = watch(await watchCreates([h.engines.a, h.engines.b], [`docker-dispatch.message-id=${messageId}`]));
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
    expect(creates.count()).toBe(1);
    expect(await countsWhenDrained(h.queue)).toEqual({ ready: 0, unacked: 0 });
    expect(await countsWhenDrained(`${h.queue}.handover`)).toEqual({ ready: 0, unacked: 0 });
  }, 240_000);
});
