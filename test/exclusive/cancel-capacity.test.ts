import { afterEach, describe, expect, it } from 'vitest';
import { watchCreates } from '../support/engine-events.js';
import { echoRun, hostsFile, longRun, startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';

// MaxContainers counts every docker-dispatch container on the engine, so this runs alone (the "exclusive" project).

describe('cancel while waiting for room', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('a run waiting for room is answered Cancelled at once, and never gets a container', async () => {
    const { hostA } = services();
    h = await startHarness(
      'dd-cancel-room',
      ['--hosts', hostsFile([{ Name: 'a', Address: hostA, MaxContainers: 1 }])],
      '',
    );
    const full = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Options: { Name: unique('full') },
    });
    expect(full.body).toMatchObject({ Status: 'ok', Host: 'a' });

    const messageId = unique('waiting');
    const creates = await watchCreates([h.engines.a], [`docker-dispatch.message-id=${messageId}`]);
    const waiting = h.broker.request(h.queue, echoRun(h.image), { messageId });
    const worker = h.worker;
    await worker.waitFor(() =>
      worker.stderr.includes('every eligible engine is at its MaxContainers: waiting for room'),
    );
    const cancelledAt = Date.now();
    const cancel = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId });
    const { body } = await waiting;
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(body).toMatchObject({ Status: 'error', MessageId: messageId, Error: { Code: 'Cancelled' } });
    expect(cancel.body).toMatchObject({ Status: 'ok', Pending: true });
    creates.stop();
    expect(creates.count()).toBe(0);
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);
  });

  it('an Instances run with an instance waiting for room: the cancel stops the one running, creates nothing more', async () => {
    const { hostA } = services();
    h = await startHarness(
      'dd-cancel-room-i',
      ['--hosts', hostsFile([{ Name: 'a', Address: hostA, MaxContainers: 1 }])],
      '',
    );
    const messageId = unique('instances');
    const run = h.broker.request(
      h.queue,
      { ...longRun(h.image, { Remove: true }, 'up'), Instances: 2 },
      { messageId },
      60_000,
    );
    const worker = h.worker;
    await worker.waitFor(() => worker.stdout.includes('| up'));
    await worker.waitFor(() =>
      worker.stderr.includes('every eligible engine is at its MaxContainers: waiting for room'),
    );
    // n.b. the two instances were placed at once: the second was created, found over capacity and removed, and waits.
    // From the cancel on, the engine's creates are followed live.
    const label = (n: number) => [`docker-dispatch.message-id=${messageId}-${n}`];
    const creates = [await watchCreates([h.engines.a], label(1)), await watchCreates([h.engines.a], label(2))];
    const cancel = await h.broker.request(h.queue, { Dockercmd: 'cancel', MessageId: messageId, Options: { Time: 0 } });
    expect(cancel.body.Cancelled).toHaveLength(1);
    const { body } = await run;
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Cancelled' } });
    // The room the stopped instance left is not taken: nothing of the message is created after the cancel.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    creates.forEach((w) => w.stop());
    expect(creates.map((w) => w.count())).toEqual([0, 0]);
  });
});
