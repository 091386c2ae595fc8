import { describe, expect, it } from 'vitest';
import { Activity, firstLines } from '../../src/observe/activity.js';
import { statusDocument } from '../../src/observe/status-document.js';
import { Throughput } from '../../src/observe/throughput.js';
import { addSecret } from '../../src/redact.js';

const worker = { state: 'running', amqpConnected: true, amqpSince: 500, amqpDisconnects: 0 } as const;

describe('activity', () => {
  it('follows a message from received to started to finished', () => {
    let now = 1000;
    const activity = new Activity({ now: () => now });
    const job = activity.observer.received({ messageId: 'm1', dockercmd: 'run', image: 'busybox', seenBefore: false });
    expect(activity.inProgress()).toEqual([
      { messageId: 'm1', command: 'run', image: 'busybox', host: undefined, container: undefined, receivedAt: 1000 },
    ]);
    job.started({ host: 'a', container: { Id: 'abcdef0123456789', Name: 'hello' } });
    expect(activity.inProgress()[0]).toMatchObject({ host: 'a', container: 'hello' });
    now = 3000;
    job.finished({
      settlement: 'ok',
      reply: {
        Dockercmd: 'run',
        Status: 'ok',
        MessageId: 'm1',
        Host: 'a',
        Container: { Id: 'abcdef0123456789', Name: 'hello' },
        ExitCode: 0,
        Stdout: 'hi\n',
        Stderr: '',
      },
      durationMs: 2000,
    });
    expect(activity.inProgress()).toEqual([]);
    expect(activity.recentResults()).toEqual([
      {
        messageId: 'm1',
        command: 'run',
        image: 'busybox',
        host: 'a',
        container: 'hello',
        settlement: 'ok',
        status: 'ok',
        exitCode: 0,
        error: undefined,
        durationMs: 2000,
        finishedAt: 3000,
        stdout: 'hi',
        stderr: '',
      },
    ]);
    expect(activity.totals).toEqual({
      received: 1,
      ok: 1,
      'dead-lettered': 0,
      cancelled: 0,
      retried: 0,
      'handed-over': 0,
      error: 0,
    });
  });

  it('keeps a bounded number of recent results, newest first, with only the first lines of output', () => {
    const activity = new Activity({ maxRecent: 3, outputLines: 2 });
    for (let i = 0; i < 5; i++) {
      activity.observer.received({ messageId: `m${i}`, dockercmd: 'run', image: 'i', seenBefore: false }).finished({
        settlement: 'ok',
        reply: { Status: 'ok', MessageId: `m${i}`, Stdout: 'a\nb\nc\nd\n' },
        durationMs: 1,
      });
    }
    const recent = activity.recentResults();
    expect(recent.map((r) => r.messageId)).toEqual(['m4', 'm3', 'm2']);
    expect(recent[0]!.stdout).toBe('a\nb\n…');
  });

  it('hides secrets in the output it keeps, and shortens what a bad message names', () => {
    addSecret('s3cr3t-status');
    const activity = new Activity();
    activity.observer
      .received({ messageId: 'm', dockercmd: 'x'.repeat(500), image: undefined, seenBefore: false })
      .finished({
        settlement: 'dead-lettered',
        reply: {
          Status: 'error',
          MessageId: 'm',
          Stderr: 'pw=s3cr3t-status',
          Error: { Code: 'DockerError', Message: 'bad s3cr3t-status' },
        },
        durationMs: 1,
      });
    const [result] = activity.recentResults();
    expect(JSON.stringify(result)).not.toContain('s3cr3t-status');
    expect(result!.command!.length).toBeLessThan(50);
  });

  it('cuts output to its first lines and characters', () => {
    expect(firstLines('one\ntwo\n', 5, 100)).toBe('one\ntwo');
    expect(firstLines('one\ntwo\nthree', 2, 100)).toBe('one\ntwo\n…');
    expect(firstLines('x'.repeat(50), 5, 10)).toBe(`${'x'.repeat(10)}\n…`);
    expect(firstLines('', 5, 10)).toBe('');
  });
});

describe('throughput', () => {
  it('counts finished messages per slice over the span, empty slices included, oldest first', () => {
    const t = new Throughput(10_000, 60_000);
    t.add('ok', 100_000);
    t.add('ok', 105_000);
    t.add('dead-lettered', 119_999);
    t.add('ok', 10_000); // long before the span: forgotten
    const series = t.series(125_000);
    expect(series).toHaveLength(6);
    expect(series.map((b) => b.start)).toEqual([70_000, 80_000, 90_000, 100_000, 110_000, 120_000]);
    expect(series[3]!.counts).toEqual({
      ok: 2,
      'dead-lettered': 0,
      cancelled: 0,
      retried: 0,
      'handed-over': 0,
      error: 0,
    });
    expect(series[4]!.counts['dead-lettered']).toBe(1);
    expect(series.reduce((n, b) => n + b.counts.ok, 0)).toBe(2);
  });
});

describe('the status document', () => {
  it('works out readiness and how long each message has been running, oldest first', () => {
    const doc = statusDocument({
      now: 10_000,
      info: { version: '1.0.0', queue: 'jobs', prefetch: 4, startedAt: 0 },
      worker,
      engines: [{ id: 'a', healthy: false, synced: false, running: null, reason: 'ENOENT' }],
      inProgress: [
        { messageId: 'new', command: 'run', image: 'i', host: undefined, container: undefined, receivedAt: 9000 },
        { messageId: 'old', command: 'stop', image: undefined, host: 'a', container: 'web', receivedAt: 4000 },
      ],
      recent: [],
      totals: { received: 2, ok: 0, 'dead-lettered': 0, cancelled: 0, retried: 0, 'handed-over': 0, error: 0 },
      throughput: { bucketMs: 10_000, buckets: [] },
    });
    expect(doc.inProgress.map((j) => [j.messageId, j.runningForMs])).toEqual([
      ['old', 6000],
      ['new', 1000],
    ]);
    expect(doc.readiness).toMatchObject({ ready: false, engines: { a: 'unhealthy: ENOENT' } });
    expect(doc.worker).toEqual({ state: 'running', amqp: { connected: true, since: 500, disconnects: 0 } });
    expect(doc).toMatchObject({ version: '1.0.0', queue: 'jobs', prefetch: 4, startedAt: 0, now: 10_000 });
  });
});
