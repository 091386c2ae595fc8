import { afterEach, describe, expect, it } from 'vitest';
import { countCreates } from '../support/engine-events.js';
import { echoRun, hostsFile, startHarness, type Harness } from '../support/harness.js';
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
    const since = Math.floor(Date.now() / 1000);
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
    expect(await countCreates(h.engines.a, since, [`docker-dispatch.message-id=${messageId}`])).toBe(0);
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);
  });
});
