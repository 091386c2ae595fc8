import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/messages/types.js';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

/** A run printing one line a second for five seconds. */
function slowRun(image: string, options: Record<string, unknown> = {}) {
  return {
    Dockercmd: 'run',
    Image: image,
    Cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; sleep 1; done; echo done >&2'],
    Options: { Attach: ['STDOUT', 'STDERR'], Stream: true, ...options },
  };
}

describe('live output (Options.Stream)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-stream');
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('publishes output messages while the container runs, in order from Seq 1, joined equal to the reply', async () => {
    const name = unique('stream');
    const correlationId = unique('corr');
    const { body, properties } = await h.broker.request(h.queue, slowRun(h.image, { Name: name }), { correlationId });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'line 1\nline 2\nline 3\nline 4\nline 5\n' });
    expect(properties.type).toBe('run.reply');

    const outputs = h.broker.outputs.get(correlationId) ?? [];
    expect(h.broker.invalidOutputs).toEqual([]);
    expect(outputs.map((o) => o.body.Seq)).toEqual(outputs.map((_, i) => i + 1));
    for (const o of outputs) expect(o.properties).toMatchObject({ type: 'run.output', correlationId });
    const joined = (stream: string) =>
      outputs
        .filter((o) => o.body.Stream === stream)
        .map((o) => o.body.Data)
        .join('');
    expect(joined('stdout')).toBe(body.Stdout);
    expect(joined('stderr')).toBe(body.Stderr);
    expect(outputs[0]!.body).toMatchObject({ Host: body.Host, Container: name });
    // At least three of them came before the container exited (the engine's own time of the exit).
    const info = await (body.Host === 'a' ? h.engines.a : h.engines.b).getContainer(name).inspect();
    const exitedAt = Date.parse(info.State.FinishedAt);
    expect(outputs.filter((o) => o.receivedAt < exitedAt).length).toBeGreaterThanOrEqual(3);
  });

  it('a message without Stream gets exactly one message on its reply_to, as before', async () => {
    const correlationId = unique('corr');
    const run = { ...slowRun(h.image), Options: { Attach: ['STDOUT'], Remove: true } };
    const { body } = await h.broker.request(h.queue, run, { correlationId });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0 });
    expect(h.broker.outputs.get(correlationId)).toBeUndefined();
  });

  it('refuses Stream without reply_to, or without STDOUT or STDERR attached, naming why', async () => {
    const noAttach = await h.broker.request(h.queue, {
      ...slowRun(h.image),
      Options: { Attach: ['STDIN'], Stream: true },
    });
    expect(noAttach.body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect(noAttach.body.Error!.Message).toContain('Options.Stream needs Options.Attach with STDOUT or STDERR');

    const messageId = unique('no-reply-to');
    h.broker.publish(h.queue, slowRun(h.image), { messageId });
    const reply = await h.broker.take(h.replyQueue);
    const body = JSON.parse(reply.content.toString()) as Reply;
    expect(body).toMatchObject({ MessageId: messageId, Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect(body.Error!.Message).toContain('Options.Stream needs the reply_to property');
    // Both are dead-lettered, as invalid messages are.
    await h.broker.take(h.deadLetterQueue);
    await h.broker.take(h.deadLetterQueue);
  });
});

describe('live output under a flood, and across a worker that died', () => {
  it('a container printing a flood: output messages stay within the rate, the worker stays small, the reply is Truncated', async () => {
    // The worker's own stdout (every line printed) is discarded: this test reads the output messages.
    const { amqpUrl, hostA, hostB } = services();
    const h = await startHarness('dd-stream-flood', [], `a=${hostA},b=${hostB}`);
    await h.worker.stop();
    const worker = await WorkerProcess.start(
      ['-q', h.queue, '--network', 'none', '--max-output', '65536', h.hosts, amqpUrl],
      30_000,
      { discardStdout: true },
    );
    try {
      const correlationId = unique('corr');
      const rssBefore = residentKiB(worker);
      // 50 MB in lines of 101 bytes, as fast as the container can write them.
      const flood = {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', "yes $(printf '%0100d' 0) | head -c 50000000"],
        Options: { Attach: ['STDOUT'], Remove: true, Stream: true },
      };
      const startedAt = Date.now();
      const { body } = await h.broker.request(h.queue, flood, { correlationId }, 120_000);
      const seconds = (Date.now() - startedAt) / 1000;
      expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Truncated: true });
      expect(body.Stdout!.length).toBe(65536);

      const outputs = h.broker.outputs.get(correlationId) ?? [];
      expect(outputs.map((o) => o.body.Seq)).toEqual(outputs.map((_, i) => i + 1));
      // At most one message per 100 ms per stream, plus the stream's end.
      expect(outputs.length).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 2);
      for (const o of outputs) expect(Buffer.byteLength(o.body.Data)).toBeLessThanOrEqual(64 * 1024);
      const skipped = outputs.reduce((sum, o) => sum + (o.body.Skipped ?? 0), 0);
      const streamed = outputs.reduce((sum, o) => sum + Buffer.byteLength(o.body.Data), 0);
      expect(skipped).toBeGreaterThan(0);
      expect(skipped + streamed).toBe(50_000_000);
      // The worker's peak memory grew by far less than the output (50 MB).
      expect(peakResidentKiB(worker) - rssBefore).toBeLessThan(40 * 1024);
    } finally {
      await worker.stop();
      await h.cleanup();
    }
  });

  it('an adopted run (its worker SIGKILLed) streams again from Seq 1, replaying the output from its start', async () => {
    const h = await startHarness('dd-stream-adopt', ['--prefetch', '1']);
    let second: WorkerProcess | undefined;
    try {
      const messageId = unique('adopt');
      const correlationId = unique('corr');
      const reply = h.broker.request(h.queue, slowRun(h.image, { Remove: true }), { messageId, correlationId }, 60_000);
      // n.b. killed once its caller has line 2 (the output message, not only the worker's stdout), a second before
      // line 3: nothing of the first worker's is still on its way when `before` is counted.
      const heard = () =>
        (h.broker.outputs.get(correlationId) ?? [])
          .filter((o) => o.body.Stream === 'stdout')
          .map((o) => o.body.Data)
          .join('');
      await h.worker.waitFor(() => heard().includes('line 2'));
      await h.worker.kill();
      const before = (h.broker.outputs.get(correlationId) ?? []).length;
      expect(heard()).toBe('line 1\nline 2\n');
      second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', h.hosts, services().amqpUrl]);
      const { body } = await reply;
      expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'line 1\nline 2\nline 3\nline 4\nline 5\n' });
      const outputs = h.broker.outputs.get(correlationId)!;
      const replayed = outputs.slice(before);
      expect(replayed[0]!.body.Seq).toBe(1);
      expect(replayed.map((o) => o.body.Seq)).toEqual(replayed.map((_, i) => i + 1));
      const stdout = replayed
        .filter((o) => o.body.Stream === 'stdout')
        .map((o) => o.body.Data)
        .join('');
      expect(stdout).toBe(body.Stdout);
    } finally {
      await second?.stop();
      await h.cleanup();
    }
  });
});

/** The worker's resident memory now, and at its peak, in KiB (Linux). */
function residentKiB(worker: WorkerProcess): number {
  return statusField(worker, 'VmRSS');
}
function peakResidentKiB(worker: WorkerProcess): number {
  return statusField(worker, 'VmHWM');
}
function statusField(worker: WorkerProcess, field: string): number {
  const status = readFileSync(`/proc/${worker.child.pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${worker.child.pid}/status`);
  return Number(match[1]);
}
