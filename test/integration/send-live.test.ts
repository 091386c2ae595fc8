import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient, startClient } from '../support/client-process.js';
import { exists, longRun, startHarness, type Harness } from '../support/harness.js';
import { unique } from '../support/services.js';

describe('send and cancel on the command line: live output, Ctrl-C', () => {
  let h: Harness;
  /** A queue no worker consumes, to see what send publishes. */
  let idle: string;
  beforeAll(async () => {
    h = await startHarness('dd-send-live');
    idle = unique('dd-send-live-idle');
    await h.broker.channel.assertQueue(idle, { durable: false, autoDelete: false });
  });
  afterAll(async () => {
    await h?.broker.deleteQueues(idle);
    await h?.cleanup();
  });

  it("prints an attached run's lines as they come, in the worker's format, then its result", async () => {
    const name = unique('live');
    const message = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo first; sleep 3; echo second'],
      Options: { Name: name, Attach: ['STDOUT'], Remove: true },
    };
    const client = startClient(['send', '-q', h.queue, h.amqpUrl, JSON.stringify(message)]);
    await client.waitFor(() => client.stdout.includes(`${name} | first\n`));
    const firstAt = Date.now();
    const run = await client.done;
    // The first line was printed while the container still ran (it sleeps 3 s before its second line).
    expect(Date.now() - firstAt).toBeGreaterThan(2000);
    expect(run.code).toBe(0);
    // Each line once: streamed, not printed again from the reply; then the result line.
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([`${name} | first`, `${name} | second`]);
    expect(lines.slice(2)).toHaveLength(1);
    expect(lines[2]).toMatch(new RegExp(`^ok run ${name} on [ab]: exited with code 0 in `));
  });

  it('asks for Stream on attached runs unless --no-stream', async () => {
    const message = JSON.stringify({ Dockercmd: 'run', Image: h.image, Options: { Attach: ['STDOUT'] } });
    await runClient(['send', '-q', idle, '--timeout', '1', h.amqpUrl, message]);
    await runClient(['send', '-q', idle, '--timeout', '1', '--no-stream', h.amqpUrl, message]);
    const streamed = JSON.parse((await h.broker.take(idle)).content.toString()) as { Options: object };
    const plain = JSON.parse((await h.broker.take(idle)).content.toString()) as { Options: object };
    expect(streamed.Options).toEqual({ Attach: ['STDOUT'], Stream: true });
    expect(plain.Options).toEqual({ Attach: ['STDOUT'] });
  });

  it('Ctrl-C while waiting cancels the run, prints its Cancelled reply and exits 130', async () => {
    const name = unique('interrupted');
    const message = longRun(h.image, { Name: name, Remove: true });
    const client = startClient(['send', '-q', h.queue, h.amqpUrl, JSON.stringify(message)]);
    await client.waitFor(() => client.stdout.includes(`${name} | started`));
    client.child.kill('SIGINT');
    const run = await client.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/cancelling message \S+ \(Ctrl-C again to stop waiting\)/);
    expect(run.stdout).toMatch(new RegExp(`^error run ${name} on [ab]: Cancelled: `, 'm'));
    expect((await exists(h.engines.a, name)) || (await exists(h.engines.b, name))).toBe(false);
  });

  it('a second Ctrl-C stops waiting at once (exit 130)', async () => {
    const name = unique('impatient');
    const message = longRun(h.image, { Name: name, Remove: true });
    const client = startClient(['send', '-q', h.queue, h.amqpUrl, JSON.stringify(message)]);
    await client.waitFor(() => client.stdout.includes(`${name} | started`));
    client.child.kill('SIGINT');
    await client.waitFor(() => client.stderr.includes('cancelling message'));
    client.child.kill('SIGINT');
    const run = await client.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('stopped waiting for message');
  });

  it('docker-dispatch cancel <url> <id> cancels a message and prints what it stopped', async () => {
    const messageId = unique('by-cli');
    const started = await h.broker.request(
      h.queue,
      { Dockercmd: 'run', Image: h.image, Cmd: ['sleep', '60'], Options: { Name: messageId } },
      { messageId },
    );
    expect(started.body.Status).toBe('ok');
    const cancel = await runClient(['cancel', '-q', h.queue, '--time', '0', h.amqpUrl, messageId]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`^ok cancel: stopped ${messageId} on ${started.body.Host} in `, 'm'));
    const pending = await runClient(['cancel', '-q', h.queue, h.amqpUrl, unique('nothing')]);
    expect(pending.code).toBe(0);
    expect(pending.stdout).toMatch(/^ok cancel: pending /m);
  });
});
