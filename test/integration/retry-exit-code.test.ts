import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient } from '../support/client-process.js';
import { watchCreates } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

/** A job that exits 75 on its first attempt and 0 after, telling them apart by DOCKER_DISPATCH_ATTEMPT. */
const flaky = 'echo attempt $DOCKER_DISPATCH_ATTEMPT; [ "$DOCKER_DISPATCH_ATTEMPT" -ge 2 ] || exit 75';

describe('retry by exit code (Options.Retry)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-retry-exit', ['--retry-delay', '0.5', '--prefetch', '2']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });
  /** Counts, from now on and live, the containers created for a message on either engine. */
  const watch = (messageId: string) =>
    watchCreates([h.engines.a, h.engines.b], [`docker-dispatch.message-id=${messageId}`]);
  const run = (cmd: string, retry: object, options: object = {}) => ({
    Dockercmd: 'run',
    Image: h.image,
    Cmd: ['sh', '-c', cmd],
    Options: { Attach: ['STDOUT'], Retry: retry, ...options },
  });

  it('a job failing with a listed code on attempt 1 succeeds on attempt 2: one reply, two attempts, two containers', async () => {
    const messageId = unique('flaky');
    const creates = await watch(messageId);
    const correlationId = unique('corr');
    const request = run(flaky, { ExitCodes: [75], Max: 3 });
    const { body } = await h.broker.request(h.queue, request, { messageId, correlationId });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'attempt 2\n' });
    expect(body.Attempts!.map((a) => a.ExitCode)).toEqual([75, 0]);
    // Without Remove each attempt's container is kept, and named in the reply; the last is the reply's own.
    expect(body.Attempts![1]!.Container).toEqual(body.Container);
    expect(body.Attempts![0]!.Container.Id).not.toBe(body.Container!.Id);
    creates.stop();
    expect(creates.count()).toBe(2);
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);
    // The caller heard of the retried attempt before the reply.
    expect(h.broker.attempts.get(correlationId)).toEqual([{ MessageId: messageId, Attempt: 1, ...body.Attempts![0]! }]);
    expect(h.broker.invalidAttempts).toEqual([]);
  });

  it('an exit code not listed is answered at once', async () => {
    const { body } = await h.broker.request(h.queue, run('exit 3', { ExitCodes: [75] }, { Remove: true }));
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 3 });
    expect(body.Attempts!.map((a) => a.ExitCode)).toEqual([3]);
  });

  it('after Max retries the run is answered with the last exit code, every attempt listed', async () => {
    const messageId = unique('always');
    const creates = await watch(messageId);
    const { body } = await h.broker.request(
      h.queue,
      run('echo try $DOCKER_DISPATCH_ATTEMPT; exit 75', { ExitCodes: [75], Max: 1 }, { Remove: true }),
      { messageId },
    );
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 75, Stdout: 'try 2\n' });
    expect(body.Attempts!.map((a) => a.ExitCode)).toEqual([75, 75]);
    creates.stop();
    expect(creates.count()).toBe(2);
  });

  it('retries a listed instance alone; the other keeps its result', async () => {
    const messageId = unique('instances');
    const creates = [await watch(`${messageId}-1`), await watch(`${messageId}-2`)];
    const { body } = await h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Instances: 2,
        // Instance 2 succeeds at once; instance 1 fails its first attempt.
        Cmd: ['sh', '-c', `[ "$DOCKER_DISPATCH_INSTANCE" = 2 ] && echo second && exit 0; ${flaky}`],
        Options: { Remove: true, Attach: ['STDOUT'], Retry: { ExitCodes: [75] } },
      },
      { messageId },
    );
    expect(body).toMatchObject({ Status: 'ok' });
    expect(body.Containers!.map((c) => [c.ExitCode, c.Stdout])).toEqual([
      [0, 'attempt 2\n'],
      [0, 'second\n'],
    ]);
    expect(body.Containers!.map((c) => c.Attempts!.map((a) => a.ExitCode))).toEqual([[75, 0], [0]]);
    creates.forEach((w) => w.stop());
    expect(creates.map((w) => w.count())).toEqual([2, 1]);
  });

  it('send prints each attempt retried, then the result', async () => {
    const message = JSON.stringify(run(flaky, { ExitCodes: [75] }, { Remove: true }));
    const sent = await runClient(['send', '-q', h.queue, h.amqpUrl, message]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^retry run \S+ on [ab]: attempt 1 exited with code 75, retrying$/m);
    expect(sent.stdout).toMatch(/\| attempt 2$/m);
    expect(sent.stdout).toMatch(/^ok run \S+ on [ab]: exited with code 0 in /m);
  });
});

describe('retry by exit code, and a worker that dies', () => {
  it('a worker SIGKILLed during attempt 2: the next worker adopts attempt 2, it is not created again', async () => {
    const h = await startHarness('dd-retry-exit-kill', ['--retry-delay', '0.5', '--prefetch', '1']);
    let second: WorkerProcess | undefined;
    try {
      const messageId = unique('kill');
      const label = [`docker-dispatch.message-id=${messageId}`];
      const creates = await watchCreates([h.engines.a, h.engines.b], label);
      const reply = h.broker.request(
        h.queue,
        {
          Dockercmd: 'run',
          Image: h.image,
          Cmd: ['sh', '-c', `${flaky.replace('; [', '; sleep 2; [')}`],
          Options: { Attach: ['STDOUT'], Remove: true, Retry: { ExitCodes: [75] } },
        },
        { messageId },
        60_000,
      );
      await h.worker.waitFor(() => h.worker.stdout.includes('| attempt 2'));
      await h.worker.kill();
      second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', h.hosts, services().amqpUrl]);
      const { body } = await reply;
      expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'attempt 2\n' });
      expect(body.Attempts!.map((a) => a.ExitCode)).toEqual([75, 0]);
      expect(second.stderr).toContain('adopting the container of an earlier attempt');
      creates.stop();
      expect(creates.count()).toBe(2);
    } finally {
      await second?.stop();
      await h.cleanup();
    }
  });
});
