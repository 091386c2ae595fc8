import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient } from '../support/client-process.js';
import { startHarness, type Harness } from '../support/harness.js';
import { addUser, closeConnectionsOfUser, deleteUser } from '../support/rabbitmq-ctl.js';
import { unique } from '../support/services.js';
import { scratchPath } from '../support/scratch.js';

describe('docker-dispatch send, against a running worker', () => {
  let h: Harness;
  /** A queue no worker consumes, to see what send publishes. */
  let idle: string;
  beforeAll(async () => {
    h = await startHarness('dd-send');
    idle = unique('dd-send-idle');
    await h.broker.channel.assertQueue(idle, { durable: false, autoDelete: false });
  });
  afterAll(async () => {
    await h?.broker.deleteQueues(idle);
    await h?.cleanup();
  });
  const send = (args: string[], input?: string) => runClient(['send', '-q', h.queue, ...args], input);

  it("prints a waited run's output and result as the worker does, and exits with the container's exit code", async () => {
    const name = unique('sent');
    const message = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'],
      Options: { Name: name, Attach: ['STDOUT', 'STDERR'], Remove: true },
    };
    const run = await send([h.amqpUrl, JSON.stringify(message)]);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`${name} | hello\n`);
    expect(run.stdout).toContain(`${name} | oops\n`);
    expect(run.stdout).toMatch(new RegExp(`^ok run ${name} on [ab]: exited with code 3 in \\d+\\.\\d\\d s$`, 'm'));
  });

  it('exits 0 for a waited run that exits 0, and for a success without an exit code (hosts)', async () => {
    const run = await send([
      h.amqpUrl,
      JSON.stringify({ Dockercmd: 'run', Image: h.image, Cmd: ['true'], Options: { Remove: true } }),
    ]);
    expect(run.code).toBe(0);
    const hosts = await send([h.amqpUrl, '{"Dockercmd":"hosts"}']);
    expect(hosts.code).toBe(0);
    expect(hosts.stdout).toMatch(/^ok hosts: engines a \(healthy/m);
  });

  it('exits 1 for an error reply, printing the error result line', async () => {
    const missing = unique('missing');
    const run = await send([h.amqpUrl, JSON.stringify({ Dockercmd: 'stop', Container: missing })]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^error stop: ContainerNotFound: .*${missing}`, 'm'));
    await h.broker.take(h.deadLetterQueue);
  });

  it('reads the message from a file and from stdin', async () => {
    const file = scratchPath(`${unique('msg')}.json`);
    writeFileSync(file, '{"Dockercmd":"hosts"}');
    expect((await send([h.amqpUrl, file])).code).toBe(0);
    expect((await send([h.amqpUrl, '-'], '{"Dockercmd":"hosts"}')).code).toBe(0);
    expect((await send([h.amqpUrl], '{"Dockercmd":"hosts"}')).code).toBe(0);
  });

  it('--json prints the output and the result as JSON lines, as the worker does', async () => {
    const name = unique('sent-json');
    const message = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'hi'],
      Options: { Name: name, Attach: ['STDOUT'], Remove: true },
    };
    const run = await send(['--json', h.amqpUrl, JSON.stringify(message)]);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ Type: 'Output', Container: name, Stream: 'stdout', Line: 'hi' });
    expect(lines[1]).toMatchObject({
      Type: 'Result',
      Dockercmd: 'run',
      Status: 'ok',
      ExitCode: 0,
      Container: { Name: name },
    });
    expect(lines[1]).not.toHaveProperty('Stdout');
    expect(typeof lines[1]!.DurationMs).toBe('number');
  });

  it('refuses an invalid message with exit 2 and a clear error, and publishes nothing', async () => {
    const run = await runClient(['send', '-q', idle, h.amqpUrl, '{"Dockercmd":"run","Options":{"Bogus":1}}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Image is required');
    expect(run.stderr).toContain('Options.Bogus is not a known field');
    expect(run.stdout).toBe('');
    expect(await h.broker.depth(idle)).toBe(0);
    const notJson = await runClient(['send', '-q', idle, h.amqpUrl, '{"Dockercmd":']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('InvalidJson');
  });

  it('exits 124 when no reply comes within --timeout', async () => {
    const run = await runClient(['send', '-q', idle, '--timeout', '1', h.amqpUrl, '{"Dockercmd":"hosts"}']);
    expect(run.code).toBe(124);
    expect(run.stderr).toMatch(/no reply within 1 s \(message [0-9a-f-]{36}\)/);
    await h.broker.take(idle);
  });

  it('--no-wait publishes with a fresh message_id, a correlation_id and persistence, and prints the message id', async () => {
    const run = await runClient(['send', '-q', idle, '--no-wait', h.amqpUrl, '{"Dockercmd":"hosts"}']);
    expect(run.code).toBe(0);
    const messageId = run.stdout.trim();
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    const published = await h.broker.take(idle);
    expect(published.properties).toMatchObject({ messageId, contentType: 'application/json', deliveryMode: 2 });
    expect(published.properties.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(published.content.toString())).toEqual({ Dockercmd: 'hosts' });
    const again = await runClient(['send', '-q', idle, '--no-wait', h.amqpUrl, '{"Dockercmd":"hosts"}']);
    expect(again.stdout.trim()).not.toBe(messageId);
    await h.broker.take(idle);
  });

  it('exits 1, naming the queue, when no queue of that name exists (nothing is sent)', async () => {
    const run = await runClient(['send', '-q', unique('nowhere'), h.amqpUrl, '{"Dockercmd":"hosts"}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('there is no queue');
  });

  it("prints each instance's output of an Instances run", async () => {
    const name = unique('sent-inst');
    const message = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo "$HOSTNAME"'],
      Instances: 2,
      Options: { Name: name, Attach: ['STDOUT'], Remove: true },
    };
    const run = await send([h.amqpUrl, JSON.stringify(message)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${name}-1 \\| [0-9a-f]{12}$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${name}-2 \\| [0-9a-f]{12}$`, 'm'));
  });

  it('works for a producer with the permissions docs/security.md gives: write on an exchange of its own, not the default one', async () => {
    const exchange = `${h.queue}-in`;
    const user = unique('producer');
    const password = unique('pw');
    // The operator's side, as docs/security.md says.
    await h.broker.channel.assertExchange(exchange, 'direct', { durable: false, autoDelete: false });
    await h.broker.channel.bindQueue(h.queue, exchange, h.queue);
    await addUser(user, password, ['^amq\\.gen-.*$', `^${exchange}$`, '^amq\\.gen-.*$']);
    try {
      const url = new URL(h.amqpUrl);
      url.username = user;
      url.password = password;
      const producerUrl = url.toString();
      const ok = await runClient([
        'send',
        '-q',
        h.queue,
        '--exchange',
        exchange,
        '--timeout',
        '30',
        producerUrl,
        '{"Dockercmd":"hosts"}',
      ]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^ok hosts:/m);
      // Straight to the queue (the default exchange) it may not publish.
      const refused = await runClient(['send', '-q', h.queue, '--timeout', '30', producerUrl, '{"Dockercmd":"hosts"}']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /^docker-dispatch: .*ACCESS_REFUSED - access to exchange 'amq\.default' .* \(nothing was sent\)\n$/,
      );
      // An exchange with no binding for the queue: nothing is sent, and send says why.
      const unbound = await runClient([
        'send',
        '-q',
        unique('unbound'),
        '--exchange',
        exchange,
        producerUrl,
        '{"Dockercmd":"hosts"}',
      ]);
      expect(unbound.code).toBe(1);
      expect(unbound.stderr).toContain(`no queue is bound to exchange "${exchange}"`);
      expect(ok.stdout + refused.stderr + unbound.stderr).not.toContain(password);
    } finally {
      await deleteUser(user);
      await h.broker.channel.deleteExchange(exchange);
    }
  });

  it('exits 1 saying the message was sent when the broker connection is lost while it waits for the reply', async () => {
    const user = unique('waiter');
    const password = unique('pw');
    await addUser(user, password, ['.*', '.*', '.*']);
    try {
      const url = new URL(h.amqpUrl);
      url.username = user;
      url.password = password;
      // No worker consumes `idle`: the client waits until its connection is closed under it.
      const run = runClient(['send', '-q', idle, url.toString(), '{"Dockercmd":"hosts"}']);
      await expect.poll(() => h.broker.depth(idle), { timeout: 15_000 }).toBe(1);
      expect(await closeConnectionsOfUser(user)).toBe(1);
      const { code, stderr } = await run;
      expect(code).toBe(1);
      expect(stderr).toMatch(
        new RegExp(
          '^docker-dispatch: lost the broker while waiting for the reply to message [0-9a-f-]{36} \\(.*\\); ' +
            'it was sent and may still be carried out\\n$',
        ),
      );
      await h.broker.take(idle);
    } finally {
      await deleteUser(user);
    }
  });

  it('never prints the AMQP password', async () => {
    const url = new URL(h.amqpUrl);
    const wrong = `${url.protocol}//${url.username}:s3cret-pass@${url.host}`;
    const run = await runClient(['send', '-q', idle, '--timeout', '5', wrong, '{"Dockercmd":"hosts"}']);
    expect(run.code).toBe(1);
    expect(run.stderr + run.stdout).not.toContain('s3cret-pass');
  });
});

describe('docker-dispatch validate (offline)', () => {
  const fixtures = new URL('../fixtures/messages/', import.meta.url).pathname;

  it('exits 0 and names each command when every message is valid', async () => {
    const run = await runClient([
      'validate',
      `${fixtures}valid/run-every-option.json`,
      `${fixtures}valid/stop-time-zero.json`,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('run-every-option.json: run');
    expect(run.stdout).toContain('stop-time-zero.json: stop');
  });

  it('exits 2 naming the problem of each invalid message, and checks the others too', async () => {
    const bad = scratchPath(`${unique('bad')}.json`);
    writeFileSync(bad, '{"dockercmd":"run","Image":"x"}');
    const run = await runClient(['validate', bad, `${fixtures}valid/run-image-only.json`, '/no/such/file.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}: InvalidMessage: Dockercmd is required: keys are capitalized`);
    expect(run.stderr).toContain('/no/such/file.json: cannot read it');
    expect(run.stdout).toContain('run-image-only.json: run');
  });

  it('reads stdin for -', async () => {
    expect((await runClient(['validate', '-'], '{"Dockercmd":"hosts"}')).code).toBe(0);
    expect((await runClient(['validate', '-'], '{"Dockercmd":"hosts","X":1}')).code).toBe(2);
  });
});
