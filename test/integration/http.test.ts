import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusDocument } from '../../src/observe/status-document.js';
import { startHarness, type Harness } from '../support/harness.js';
import { eventually, getText, sample, statusUrl } from '../support/http.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

describe('the HTTP endpoint (--http-port)', () => {
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await startHarness('dd-http', ['--http-port', '0']);
    url = await statusUrl(h.worker);
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  const status = async () => JSON.parse((await getText(`${url}api/status`)).text) as StatusDocument;
  const metrics = async () => (await getText(`${url}metrics`)).text;
  const run = (name: string, cmd: string[], image = h.image) => ({
    Dockercmd: 'run',
    Image: image,
    Cmd: cmd,
    Options: { Name: name, Attach: ['STDOUT', 'STDERR'], Remove: true },
  });

  it('listens on 127.0.0.1 by default', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('answers /healthz while the process is alive', async () => {
    expect(await getText(`${url}healthz`)).toEqual({ status: 200, text: '{"alive":true}\n' });
  });

  it('answers /readyz 200 once consuming with a healthy engine, naming each engine', async () => {
    const ready = await eventually('/readyz 200', async () => {
      const { status: code, text } = await getText(`${url}readyz`);
      return code === 200 ? (JSON.parse(text) as unknown) : undefined;
    });
    expect(ready).toEqual({
      ready: true,
      reasons: [],
      worker: 'running',
      amqp: 'connected',
      engines: { a: 'healthy', b: 'healthy' },
    });
  });

  it('counts messages by command and outcome in /metrics, with their durations and replies', async () => {
    const ok = await h.broker.request(h.queue, run(unique('m-ok'), ['echo', 'hi']));
    expect(ok.body.Status).toBe('ok');
    const missing = await h.broker.request(
      h.queue,
      run(unique('m-missing'), ['true'], 'docker-dispatch-test:no-such-tag'),
    );
    expect(missing.body.Error?.Code).toBe('ImageNotFound');
    const invalid = await h.broker.request(h.queue, { Dockercmd: 'explode' });
    expect(invalid.body.Error?.Code).toBe('InvalidMessage');

    // n.b. the worker counts a message as finished just after its reply is confirmed: wait for the last count.
    const text = await eventually('the unknown command to be counted as finished', async () => {
      const t = await metrics();
      return sample(t, 'docker_dispatch_messages_finished_total{command="unknown",outcome="dead-lettered"}') === 1
        ? t
        : undefined;
    });
    expect(sample(text, 'docker_dispatch_messages_received_total{command="run"}')).toBe(2);
    expect(sample(text, 'docker_dispatch_messages_received_total{command="unknown"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_messages_finished_total{command="run",outcome="ok"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_messages_finished_total{command="run",outcome="dead-lettered"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_errors_total{command="run",code="ImageNotFound"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_replies_published_total{command="run",status="ok"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_replies_published_total{command="run",status="error"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_command_duration_seconds_count{command="run",outcome="ok"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_command_duration_seconds_bucket{le="14400",command="run",outcome="ok"}')).toBe(
      1,
    );
    expect(sample(text, 'docker_dispatch_messages_in_progress{command="run"}')).toBe(0);
    expect(sample(text, 'docker_dispatch_amqp_connected')).toBe(1);
    expect(sample(text, 'docker_dispatch_engine_up{engine="a"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_engine_up{engine="b"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_containers_running{engine="a"}')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^docker_dispatch_process_cpu_seconds_total /m);
    // Low cardinality: no message id, no container name in any label.
    expect(text).not.toContain(ok.body.MessageId);
    expect(text).not.toContain(ok.body.Container!.Name!);
  });

  it('shows a running command in progress with its engine and container, then among the recent results', async () => {
    const name = unique('m-sleep');
    const reply = h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Options: { Name: name, Remove: true },
    });
    const job = await eventually('the run to show in progress with its container', async () =>
      (await status()).inProgress.find((j) => j.container === name),
    );
    expect(job).toMatchObject({ command: 'run', image: h.image, container: name });
    expect(['a', 'b']).toContain(job.host);
    expect(sample(await metrics(), 'docker_dispatch_messages_in_progress{command="run"}')).toBe(1);
    const running = await eventually("the engine's inventory to count the running container", async () => {
      const t = await metrics();
      return sample(t, `docker_dispatch_containers_running{engine="${job.host}"}`)! >= 1 ? t : undefined;
    });
    expect(running).toContain('containers_running');

    const stopped = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: name, Options: { Time: 0 } });
    expect(stopped.body.Status).toBe('ok');
    expect((await reply).body).toMatchObject({ Status: 'ok', ExitCode: 137 });
    const result = await eventually('the run among the recent results', async () =>
      (await status()).recent.find((r) => r.container === name && r.command === 'run'),
    );
    expect(result).toMatchObject({ settlement: 'ok', status: 'ok', exitCode: 137, host: job.host });
    expect((await status()).inProgress.find((j) => j.container === name)).toBeUndefined();
  });

  it('keeps the first lines of output for the status page', async () => {
    const name = unique('m-lines');
    await h.broker.request(
      h.queue,
      run(name, ['sh', '-c', 'for i in $(seq 1 30); do echo line $i; done; echo oops >&2']),
    );
    const result = await eventually('the result', async () =>
      (await status()).recent.find((r) => r.container === name),
    );
    expect(result.stdout).toBe(`${Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n')}\n…`);
    expect(result.stderr).toBe('oops');
  });
});

describe('the HTTP endpoint and an engine whose count is not known', () => {
  it('says no running count for a quarantined engine, as the hosts reply does: null in /api/status, no sample in /metrics', async () => {
    const h = await startHarness(
      'dd-http-unknown',
      ['--http-port', '0'],
      `a=${services().hostA},gone=unix:///tmp/${unique('no-engine')}.sock`,
    );
    try {
      const url = await statusUrl(h.worker);
      const hosts = (await h.broker.request(h.queue, { Dockercmd: 'hosts' })).body.Hosts ?? [];
      expect(hosts.find((e) => e.Name === 'gone')).toMatchObject({ Healthy: false, Running: null });
      const doc = JSON.parse((await getText(`${url}api/status`)).text) as StatusDocument;
      expect(doc.engines.find((e) => e.id === 'gone')).toMatchObject({ healthy: false, synced: false, running: null });
      const text = (await getText(`${url}metrics`)).text;
      expect(sample(text, 'docker_dispatch_engine_up{engine="gone"}')).toBe(0);
      expect(sample(text, 'docker_dispatch_containers_running{engine="gone"}')).toBeUndefined();
      expect(sample(text, 'docker_dispatch_containers_running{engine="a"}')).toBe(
        hosts.find((e) => e.Name === 'a')?.Running,
      );
    } finally {
      await h.cleanup();
    }
  });
});

describe('the HTTP endpoint at start-up', () => {
  it('refuses to start, in one line, when its port is taken', async () => {
    const h = await startHarness('dd-http-busy', ['--http-port', '0']);
    try {
      const port = new URL(await statusUrl(h.worker)).port;
      const second = WorkerProcess.spawn(['-q', unique('dd-http-busy2'), '--http-port', port, h.hosts, h.amqpUrl]);
      expect(await second.exited).toBe(1);
      // n.b. the last line: warnings may come before it.
      expect(second.stderr.trimEnd().split('\n').at(-1)).toBe(
        `docker-dispatch: cannot serve HTTP on 127.0.0.1:${port}: the port is in use: choose another --http-port`,
      );
    } finally {
      await h.cleanup();
    }
  });
});

describe('the HTTP endpoint when start-up fails', () => {
  it('prints only the error line, not the status page address', async () => {
    const worker = WorkerProcess.spawn([
      '--http-port',
      '0',
      `a=${services().hostA}`,
      'amqp://guest:guest@127.0.0.1:1/',
    ]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toMatch(/^docker-dispatch: cannot connect to RabbitMQ at [^\n]*ECONNREFUSED[^\n]*\n$/);
  });
});

describe('readiness while shutting down', () => {
  it('answers /readyz 503, saying so, while draining work in progress', async () => {
    const h = await startHarness('dd-http-drain', ['--http-port', '0', '--shutdown-timeout', '60']);
    try {
      const url = await statusUrl(h.worker);
      const name = unique('m-drain');
      const reply = h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sleep', '300'],
        Options: { Name: name, Remove: true },
      });
      await eventually('the run to be in progress', async () => {
        const doc = JSON.parse((await getText(`${url}api/status`)).text) as StatusDocument;
        return doc.inProgress.find((j) => j.container === name);
      });
      h.worker.child.kill('SIGTERM');
      const draining = await eventually('/readyz 503', async () => {
        const { status: code, text } = await getText(`${url}readyz`);
        return code === 503 ? (JSON.parse(text) as { reasons: string[]; worker: string }) : undefined;
      });
      expect(draining).toMatchObject({
        worker: 'draining',
        reasons: ['the worker is shutting down: it takes no new messages'],
      });
      expect((await getText(`${url}healthz`)).status).toBe(200);
      // Let the run end: the worker replies, acks and exits.
      const engine =
        (await h.engines.a.listContainers({ filters: { name: [name] } })).length > 0 ? h.engines.a : h.engines.b;
      await engine.getContainer(name).stop({ t: 0 });
      expect((await reply).body).toMatchObject({ Status: 'ok', ExitCode: 137 });
      expect(await h.worker.exited).toBe(0);
    } finally {
      await h.cleanup();
    }
  });
});
