import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { services } from '../support/services.js';

const ENGINE_B_PIDFILE = '/run/docker-dispatch-test/engine-b.pid';

describe('engine faults', () => {
  let h: Harness | undefined;
  afterAll(async () => {
    // Bring engine b back (scripts/services.sh is idempotent) before cleaning up what ran on it.
    await promisify(execFile)('bash', ['scripts/services.sh'], { timeout: 120_000 });
    await h?.cleanup();
  });

  it("an engine's dockerd killed mid-run: the run is retried a bounded number of times, then answered and dead-lettered", async () => {
    const { hostB } = services();
    h = await startHarness('dd-fault-engine', ['--max-retries', '2', '--retry-delay', '1'], `b=${hostB}`);
    const worker = h.worker;
    const reply = h.broker.request(
      h.queue,
      { Dockercmd: 'run', Image: h.image, Cmd: ['sh', '-c', 'echo begin; sleep 60'], Options: { Attach: ['STDOUT'] } },
      { messageId: `engine-kill-${h.queue}` },
      90_000,
    );
    await worker.waitFor(() => worker.stdout.includes('| begin'));
    process.kill(Number(readFileSync(ENGINE_B_PIDFILE, 'utf8').trim()), 'SIGKILL');

    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'DockerUnavailable' } });
    expect(body.Error?.Message).toContain('gave up after 3 attempts');
    const retries = worker.logs().filter((l) => String(l.msg).startsWith('transient failure: retrying'));
    expect(retries).toHaveLength(2);
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('DockerUnavailable');
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(worker.child.exitCode).toBeNull(); // still working
  });
});
