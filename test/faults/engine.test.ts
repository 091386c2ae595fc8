import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, getText, sample, statusUrl } from '../support/http.js';
import { startHarness, type Harness } from '../support/harness.js';
import { workerLabels } from '../support/engine-events.js';
import { removeContainers, services, unique } from '../support/services.js';

const ENGINE_B_PIDFILE = '/run/docker-dispatch-test/engine-b.pid';

/** Kills engine b's dockerd, as a crash would. */
function killEngineB(): void {
  process.kill(Number(readFileSync(ENGINE_B_PIDFILE, 'utf8').trim()), 'SIGKILL');
}

/** Brings engine b back (scripts/services.sh is idempotent). */
async function restartEngineB(): Promise<void> {
  await promisify(execFile)('bash', ['scripts/services.sh'], { timeout: 120_000 });
}

describe('engine faults', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await restartEngineB();
    await h?.cleanup();
    h = undefined;
  });

  it('an engine killed while the worker runs: quarantined, new work goes to the other, it rejoins after a restart', async () => {
    const { hostA, hostB } = services();
    h = await startHarness('dd-fault-quarantine', ['--health-interval', '0.3'], `a=${hostA},b=${hostB}`);
    const worker = h.worker;
    killEngineB();
    await worker.waitFor(() => worker.stderr.includes('engine b quarantined'), 30_000);
    for (let i = 0; i < 3; i++) {
      const { body } = await h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['true'],
        Options: { Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Host: 'a' });
    }
    const { body: hosts } = await h.broker.request(h.queue, { Dockercmd: 'hosts' });
    expect(hosts.Hosts?.find((e) => e.Name === 'b')).toMatchObject({ Healthy: false, Running: null });

    await restartEngineB();
    await worker.waitFor(() => worker.stderr.includes('engine b answers again'), 60_000);
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['true'],
      Options: { Remove: true, Host: 'b' },
    });
    expect(body).toMatchObject({ Status: 'ok', Host: 'b' });
  });

  it('no healthy engine: the worker stops taking messages and resumes when an engine is back', async () => {
    const { hostB } = services();
    h = await startHarness('dd-fault-none', ['--health-interval', '0.3', '--http-port', '0'], `b=${hostB}`);
    const worker = h.worker;
    const url = await statusUrl(worker);
    killEngineB();
    await worker.waitFor(() => worker.stderr.includes('no Docker engine is healthy: not taking messages'), 30_000);
    // Not ready, saying why per engine; the engine is down in the metrics.
    const notReady = await eventually('/readyz 503', async () => {
      const { status, text } = await getText(`${url}readyz`);
      return status === 503 ? (JSON.parse(text) as { reasons: string[]; engines: Record<string, string> }) : undefined;
    });
    expect(notReady.reasons).toContain('no Docker engine is healthy');
    expect(notReady.engines.b).toMatch(/^unhealthy: /);
    await eventually('engine_up 0', async () =>
      sample((await getText(`${url}metrics`)).text, 'docker_dispatch_engine_up{engine="b"}') === 0 ? true : undefined,
    );
    const reply = h.broker.request(
      h.queue,
      { Dockercmd: 'run', Image: h.image, Cmd: ['echo', 'waited'], Options: { Attach: ['STDOUT'], Remove: true } },
      {},
      90_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await h.broker.depth(h.queue)).toBe(1); // left in the queue, not cycled through errors
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0);

    await restartEngineB();
    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'ok', Host: 'b', Stdout: 'waited\n' });
    expect((await getText(`${url}readyz`)).status).toBe(200);
    await eventually('engine_up 1', async () =>
      sample((await getText(`${url}metrics`)).text, 'docker_dispatch_engine_up{engine="b"}') === 1 ? true : undefined,
    );
    expect(worker.stderr).toContain('an engine is healthy again: taking messages');
  });

  it("an engine's dockerd killed mid-run: the run is retried a bounded number of times, then answered and dead-lettered", async () => {
    const { hostA, hostB } = services();
    // Engine a stays up, so the worker keeps consuming while b is quarantined (its event stream drops with it): the
    // retries look for the run's container on every engine, b included, and cannot tell.
    h = await startHarness(
      'dd-fault-engine',
      ['--max-retries', '2', '--retry-delay', '1', '--health-interval', '60'],
      `a=${hostA},b=${hostB}`,
    );
    const worker = h.worker;
    const reply = h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', 'echo begin; sleep 60'],
        Options: { Attach: ['STDOUT'], Host: 'b' },
      },
      { messageId: `engine-kill-${h.queue}` },
      90_000,
    );
    await worker.waitFor(() => worker.stdout.includes('| begin'));
    killEngineB();

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

  it('an engine restarted under a running worker: its stream drops, its inventory is listed again, counts right after', async () => {
    const { hostA, hostB } = services();
    h = await startHarness(
      'dd-fault-resync',
      ['--health-interval', '0.3', '--http-port', '0'],
      `a=${hostA},b=${hostB}`,
    );
    const url = await statusUrl(h.worker);
    const engineB = async () =>
      (
        JSON.parse((await getText(`${url}api/status`)).text) as {
          engines: { id: string; healthy: boolean; synced: boolean; running: number | null }[];
        }
      ).engines.find((e) => e.id === 'b')!;
    const truth = async () =>
      (await h!.engines.b.listContainers({ filters: { label: ['docker-dispatch.managed=true'], status: ['running'] } }))
        .length;
    const other = unique('dd-other');
    const start = async (n: string) => {
      const c = await h!.engines.b.createContainer({
        Image: h!.image,
        Cmd: ['sleep', '300'],
        Labels: workerLabels(other, n, 'b'),
        HostConfig: { NetworkMode: 'none' },
      });
      await c.start();
    };
    try {
      await start('m1');
      await start('m2');
      await eventually('b counted', async () => ((await engineB()).running === (await truth()) ? true : undefined));

      killEngineB();
      await eventually('b out of sync', async () => (!(await engineB()).synced ? true : undefined));
      // What its inventory last held is not shown as a current count.
      expect((await engineB()).running).toBeNull();
      await restartEngineB();
      await eventually(
        "b synced again, with the engine's own count",
        async () => {
          const b = await engineB();
          return b.healthy && b.synced && b.running === (await truth()) ? true : undefined;
        },
        60_000,
      );
      const before = await truth();
      await start('m3');
      await eventually(
        'the new container counted',
        async () => ((await engineB()).running === before + 1 ? true : undefined),
        2000,
      );
      expect(h.worker.stderr).toContain('engine b answers again');
    } finally {
      await removeContainers([h.engines.b], other);
    }
  });
});
