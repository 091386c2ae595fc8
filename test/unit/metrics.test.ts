import { describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/observe/engine-status.js';
import { commandLabel } from '../../src/observe/labels.js';
import { DispatchMetrics } from '../../src/observe/metrics.js';
import type { WorkerStatus } from '../../src/observe/worker-status.js';

const running: WorkerStatus = { state: 'running', amqpConnected: true, amqpSince: 0, amqpDisconnects: 2 };

function metricsWith(engines: EngineStatus[], worker: WorkerStatus = running) {
  return new DispatchMetrics({
    engines: { engines: () => engines },
    worker: { status: () => worker },
    info: { version: '9.9.9', queue: 'jobs' },
  });
}

/** The value of one sample line, e.g. `docker_dispatch_ready` or `…_total{command="run",outcome="ok"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metric labels', () => {
  it('keeps the command label to the known commands, whatever a bad message names', () => {
    expect(commandLabel('run')).toBe('run');
    expect(commandLabel('remove')).toBe('remove');
    expect(commandLabel(undefined)).toBe('unknown');
    expect(commandLabel('DROP TABLE; '.repeat(50))).toBe('unknown');
    expect(commandLabel('toString')).toBe('unknown');
  });
});

describe('metrics', () => {
  it('counts messages received and finished by command and outcome, with their durations', async () => {
    const metrics = metricsWith([]);
    const ok = metrics.observer.received({ messageId: 'm1', dockercmd: 'run', image: 'busybox', seenBefore: false });
    ok.started({ host: 'a', container: { Id: 'f'.repeat(64), Name: 'job-1' } });
    ok.replied({ Dockercmd: 'run', Status: 'ok', MessageId: 'm1', ExitCode: 0 });
    ok.finished({
      settlement: 'ok',
      reply: { Dockercmd: 'run', Status: 'ok', MessageId: 'm1', ExitCode: 0 },
      durationMs: 2500,
    });
    const bad = metrics.observer.received({
      messageId: 'm2',
      dockercmd: 'nonsense',
      image: undefined,
      seenBefore: false,
    });
    const error = { Status: 'error', MessageId: 'm2', Error: { Code: 'InvalidMessage', Message: 'x' } } as const;
    bad.replied(error);
    bad.finished({ settlement: 'dead-lettered', reply: error, durationMs: 1 });
    metrics.observer.received({ messageId: 'm3', dockercmd: 'stop', image: undefined, seenBefore: false });

    const text = await metrics.metrics();
    expect(sample(text, 'docker_dispatch_messages_received_total{command="run"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_messages_received_total{command="unknown"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_messages_finished_total{command="run",outcome="ok"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_messages_finished_total{command="unknown",outcome="dead-lettered"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_messages_finished_total{command="run",outcome="retried"}')).toBe(0);
    expect(sample(text, 'docker_dispatch_messages_in_progress{command="stop"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_messages_in_progress{command="run"}')).toBe(0);
    expect(sample(text, 'docker_dispatch_replies_published_total{command="run",status="ok"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_replies_published_total{command="unknown",status="error"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_errors_total{command="unknown",code="InvalidMessage"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_command_duration_seconds_bucket{le="1",command="run",outcome="ok"}')).toBe(0);
    expect(sample(text, 'docker_dispatch_command_duration_seconds_bucket{le="5",command="run",outcome="ok"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_command_duration_seconds_sum{command="run",outcome="ok"}')).toBe(2.5);
    // Never a message id or a container name in a label.
    expect(text).not.toMatch(/m1|m2|job-1|nonsense/);
  });

  it('has duration buckets from a tenth of a second to four hours', async () => {
    const metrics = metricsWith([]);
    metrics.observer
      .received({ messageId: 'm', dockercmd: 'run', image: 'i', seenBefore: false })
      .finished({ settlement: 'ok', reply: undefined, durationMs: 10 });
    const les = [...(await metrics.metrics()).matchAll(/command_duration_seconds_bucket\{le="([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(les).toEqual(['0.1', '0.5', '1', '5', '15', '60', '300', '900', '3600', '14400', '+Inf']);
  });

  it('reads engines and the broker connection at each scrape', async () => {
    const engines: EngineStatus[] = [
      { id: 'a', healthy: true, synced: true, running: 3, capacity: 8 },
      { id: 'b', healthy: false, synced: false, running: null, reason: 'ECONNREFUSED' },
    ];
    const worker = { ...running };
    const metrics = metricsWith(engines, worker);
    let text = await metrics.metrics();
    expect(sample(text, 'docker_dispatch_engine_up{engine="a"}')).toBe(1);
    expect(sample(text, 'docker_dispatch_engine_up{engine="b"}')).toBe(0);
    expect(sample(text, 'docker_dispatch_containers_running{engine="a"}')).toBe(3);
    // n.b. no count for an engine whose count is not known, rather than a stale one.
    expect(sample(text, 'docker_dispatch_containers_running{engine="b"}')).toBeUndefined();
    expect(sample(text, 'docker_dispatch_engine_capacity{engine="a"}')).toBe(8);
    expect(sample(text, 'docker_dispatch_engine_capacity{engine="b"}')).toBeUndefined();
    expect(sample(text, 'docker_dispatch_amqp_connected')).toBe(1);
    expect(sample(text, 'docker_dispatch_amqp_disconnects_total')).toBe(2);
    expect(sample(text, 'docker_dispatch_ready')).toBe(1);
    expect(sample(text, 'docker_dispatch_info{version="9.9.9",queue="jobs"}')).toBe(1);

    worker.amqpConnected = false;
    engines[0]!.running = 1;
    text = await metrics.metrics();
    expect(sample(text, 'docker_dispatch_amqp_connected')).toBe(0);
    expect(sample(text, 'docker_dispatch_ready')).toBe(0);
    expect(sample(text, 'docker_dispatch_containers_running{engine="a"}')).toBe(1);
  });

  it('describes each engine that has answered /version by its vendor and versions, always 1', async () => {
    const engines: EngineStatus[] = [
      { id: 'a', healthy: true, synced: true, running: 0, vendor: 'docker', version: '20.10.24', apiVersion: '1.41' },
      { id: 'p', healthy: true, synced: true, running: 0, vendor: 'podman', version: '4.3.1', apiVersion: '1.41' },
      { id: 'new', healthy: false, synced: false, running: 0 },
    ];
    const metrics = metricsWith(engines);
    let text = await metrics.metrics();
    const info = (engine: string, vendor: string, version: string) =>
      sample(
        text,
        `docker_dispatch_engine_info{engine="${engine}",vendor="${vendor}",version="${version}",api_version="1.41"}`,
      );
    expect(info('a', 'docker', '20.10.24')).toBe(1);
    expect(info('p', 'podman', '4.3.1')).toBe(1);
    expect(text).not.toMatch(/^docker_dispatch_engine_info\{engine="new"/m);

    // An upgrade shows as the new version only, not beside the old one.
    engines[1]!.version = '4.9.3';
    text = await metrics.metrics();
    expect(info('p', 'podman', '4.9.3')).toBe(1);
    expect(info('p', 'podman', '4.3.1')).toBeUndefined();
  });

  it("includes the process's default metrics under the same prefix", async () => {
    const text = await metricsWith([]).metrics();
    expect(text).toMatch(/^docker_dispatch_process_resident_memory_bytes /m);
    expect(text).toMatch(/^docker_dispatch_nodejs_eventloop_lag_seconds /m);
  });
});
