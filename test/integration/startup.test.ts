import { describe, expect, it } from 'vitest';
import { TestBroker } from '../support/broker.js';
import { removeContainers, dockerClient, services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

/** Runs the CLI to its exit and returns what it printed. */
async function runToExit(args: string[]) {
  const worker = WorkerProcess.spawn(args);
  const code = await worker.exited;
  return { code, stdout: worker.stdout, stderr: worker.stderr };
}

describe('start-up', () => {
  it('documents every option with its default in --help', async () => {
    const { code, stdout: raw } = await runToExit(['--help']);
    expect(code).toBe(0);
    const stdout = raw.replace(/\s+/g, ' '); // help text wraps at the terminal width
    for (const option of [
      '--queue',
      '--reply-queue',
      '--dead-letter-queue',
      '--prefetch',
      '--output',
      '--log-level',
      '--network',
      '--shutdown-timeout',
    ]) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain('(default: "docker-dispatch")');
    expect(stdout).toContain('(default: 4)');
    expect(stdout).toContain('"<queue>.replies"');
    expect(stdout).toContain('"<queue>.dead"');
  });

  it.each([
    ['a bad Docker address', ['ftp://host:21'], /invalid Docker host "ftp:\/\/host:21": unknown scheme/],
    ['a relative socket path', ['unix://docker.sock'], /absolute path/],
    ['a duplicate engine name', ['x=/a.sock,x=/b.sock'], /"x" is given twice/],
    ['a port out of range', ['host:70000'], /invalid Docker host "host:70000"/],
  ])('exits 1 with one clear line for %s', async (_what, [hosts], message) => {
    const { amqpUrl } = services();
    const { code, stderr } = await runToExit([hosts!, amqpUrl]);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('exits 1 for an AMQP URL that is not amqp:// or amqps://, without printing its password', async () => {
    const { hostA } = services();
    const { code, stderr } = await runToExit([hostA, 'http://guest:hunter22@127.0.0.1:5672']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^docker-dispatch: invalid AMQP URL .*must start with amqp:\/\/ or amqps:\/\/\n$/);
    expect(stderr).not.toContain('hunter22');
  });

  it('exits 1 with one line when no engine answers', async () => {
    const { amqpUrl } = services();
    const { code, stderr } = await runToExit([`x=unix:///tmp/${unique('none')}.sock,y=127.0.0.1:1`, amqpUrl]);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^docker-dispatch: no Docker engine answers: x \(unix:.*; y \(127\.0\.0\.1:1\)/);
  });

  it('exits 1 when the broker is unreachable, and never prints the password', async () => {
    const { hostA } = services();
    const { code, stdout, stderr } = await runToExit([hostA, 'amqp://guest:s3cr3t-pw@127.0.0.1:1/']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /docker-dispatch: cannot connect to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1\/: .*ECONNREFUSED/,
    );
    expect(stdout + stderr).not.toContain('s3cr3t-pw');
  });

  it('exits 1 when the broker refuses the credentials, and never prints the password', async () => {
    const { hostA, amqpUrl } = services();
    const url = new URL(amqpUrl);
    url.password = 'wrong-pass-123';
    const { code, stdout, stderr } = await runToExit([hostA, url.toString()]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot connect to RabbitMQ.*ACCESS.REFUSED/i);
    expect(stdout + stderr).not.toContain('wrong-pass-123');
  });

  it('does not wait for an engine that is down to count the containers of earlier runs', async () => {
    const { amqpUrl, hostA } = services();
    const queue = unique('dd-start-down');
    const down = `unix:///tmp/${unique('no-engine')}.sock`;
    const worker = await WorkerProcess.start(['-q', queue, '--log-level', 'debug', `a=${hostA},gone=${down}`, amqpUrl]);
    try {
      const logs = worker.logs();
      const time = (msg: string) =>
        logs.find((l) => String(l.msg).startsWith(msg) && l.host === 'gone')?.time as number;
      const quarantined = time('engine gone does not answer: quarantined');
      const skipped = time('could not list earlier containers on this engine: it is quarantined');
      expect(quarantined).toBeTypeOf('number');
      expect(skipped).toBeTypeOf('number');
      // The wait for the inventories is up to 5 s: none of it for the engine that is down, only a's list.
      expect(skipped - quarantined).toBeLessThan(2500);
    } finally {
      await worker.stop();
      const broker = await TestBroker.connect(amqpUrl);
      await broker.deleteQueues(queue, `${queue}.replies`, `${queue}.dead`, `${queue}.retry`, `${queue}.handover`);
      await broker.close();
    }
  });

  it('uses an existing command queue declared with other arguments (non-durable) as it is', async () => {
    const { amqpUrl, hostA, image } = services();
    const queue = unique('dd-nondurable');
    const broker = await TestBroker.connect(amqpUrl);
    await broker.channel.assertQueue(queue, { durable: false });
    const worker = await WorkerProcess.start(['-q', queue, '--network', 'none', `a=${hostA}`, amqpUrl]);
    try {
      expect(worker.stderr).toContain('exists with other arguments');
      const { body } = await broker.request(queue, {
        Dockercmd: 'run',
        Image: image,
        Cmd: ['echo', 'ok'],
        Options: { Attach: ['STDOUT'], Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Stdout: 'ok\n' });
      // The reply and dead-letter queues are declared durable.
      await expect(broker.channel.checkQueue(`${queue}.replies`)).resolves.toBeTruthy();
      await expect(broker.channel.checkQueue(`${queue}.dead`)).resolves.toBeTruthy();
    } finally {
      await worker.stop();
      await broker.deleteWorkerQueues(queue);
      await broker.close();
      await removeContainers([dockerClient(hostA)], queue);
    }
  });

  it('with --output json, prints one JSON object per line: output lines and a result', async () => {
    const { amqpUrl, hostA, image } = services();
    const queue = unique('dd-json');
    const broker = await TestBroker.connect(amqpUrl);
    const worker = await WorkerProcess.start([
      '-q',
      queue,
      '--network',
      'none',
      '--output',
      'json',
      `a=${hostA}`,
      amqpUrl,
    ]);
    try {
      const name = unique('json');
      const { body } = await broker.request(queue, {
        Dockercmd: 'run',
        Image: image,
        Cmd: ['sh', '-c', 'echo one; echo two >&2'],
        Options: { Name: name, Attach: ['STDOUT', 'STDERR'], Remove: true },
      });
      await worker.waitFor(() => worker.stdout.includes('"Type":"Result"'));
      const lines = worker.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toContainEqual({
        Type: 'Output',
        MessageId: body.MessageId,
        Host: 'a',
        Container: name,
        Stream: 'stdout',
        Line: 'one',
      });
      expect(lines).toContainEqual({
        Type: 'Output',
        MessageId: body.MessageId,
        Host: 'a',
        Container: name,
        Stream: 'stderr',
        Line: 'two',
      });
      const result = lines.find((l) => l.Type === 'Result');
      expect(result).toMatchObject({
        Dockercmd: 'run',
        Status: 'ok',
        ExitCode: 0,
        Host: 'a',
        MessageId: body.MessageId,
      });
      expect(typeof result?.DurationMs).toBe('number');
    } finally {
      await worker.stop();
      await broker.deleteWorkerQueues(queue);
      await broker.close();
    }
  });

  it('honours --reply-queue and --dead-letter-queue', async () => {
    const { amqpUrl, hostA } = services();
    const queue = unique('dd-names');
    const replies = unique('my-replies');
    const dead = unique('my-dead');
    const broker = await TestBroker.connect(amqpUrl);
    const worker = await WorkerProcess.start([
      '-q',
      queue,
      '--reply-queue',
      replies,
      '--dead-letter-queue',
      dead,
      `a=${hostA}`,
      amqpUrl,
    ]);
    try {
      broker.publish(queue, 'not json', { messageId: 'm1' });
      const reply = await broker.take(replies);
      expect(JSON.parse(reply.content.toString())).toMatchObject({
        Status: 'error',
        Error: { Code: 'InvalidJson' },
        MessageId: 'm1',
      });
      const copy = await broker.take(dead);
      expect(copy.content.toString()).toBe('not json');
    } finally {
      await worker.stop();
      await broker.deleteWorkerQueues(queue, replies, dead);
      await broker.close();
    }
  });
});
