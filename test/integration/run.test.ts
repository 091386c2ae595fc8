import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';

describe('run', () => {
  let h: Harness;
  beforeAll(async () => {
    // Round-robin, so placement does not depend on what other test files run on the engines meanwhile.
    h = await startHarness('dd-run', ['--strategy', 'round-robin', '--allow-user-override']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  const runMessage = (name: string, cmd: string[], options: Record<string, unknown> = {}) => ({
    Dockercmd: 'run',
    Image: h.image,
    Cmd: cmd,
    Options: { Name: name, Attach: ['STDOUT', 'STDERR'], Remove: true, ...options },
  });

  it('runs an attached container, replies with its output and exit code, prints it, and removes it', async () => {
    const name = unique('hello');
    const { body, properties } = await h.broker.request(h.queue, runMessage(name, ['echo', 'hello world!']));

    expect(body).toMatchObject({ Dockercmd: 'run', Status: 'ok', ExitCode: 0, Stdout: 'hello world!\n', Stderr: '' });
    expect(body.Container?.Name).toBe(name);
    expect(body.Container?.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(['a', 'b']).toContain(body.Host);
    expect(properties.contentType).toBe('application/json');
    expect(h.worker.stdout).toContain(`${name} | hello world!\n`);
    expect(h.worker.stdout).toMatch(new RegExp(`ok run ${name} on [ab]: exited with code 0`));
    const engine = body.Host === 'a' ? h.engines.a : h.engines.b;
    expect(await exists(engine, body.Container!.Id)).toBe(false);
  });

  it('reports a non-zero exit as a successful dispatch with that exit code', async () => {
    const { body } = await h.broker.request(h.queue, runMessage(unique('exit3'), ['sh', '-c', 'exit 3']));
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 3 });
    expect(body.Error).toBeUndefined();
  });

  it('keeps stdout and stderr apart', async () => {
    const cmd = ['sh', '-c', 'echo out1; echo err1 >&2; echo out2; echo err2 >&2'];
    const { body } = await h.broker.request(h.queue, runMessage(unique('streams'), cmd));
    expect(body.Stdout).toBe('out1\nout2\n');
    expect(body.Stderr).toBe('err1\nerr2\n');
  });

  it('attaches only the streams asked for', async () => {
    const cmd = ['sh', '-c', 'echo out; echo err >&2'];
    const { body } = await h.broker.request(h.queue, runMessage(unique('only-err'), cmd, { Attach: ['STDERR'] }));
    expect(body.Stderr).toBe('err\n');
    expect(body).not.toHaveProperty('Stdout');
  });

  it('loses no output of a container that exits at once, even a large one', async () => {
    // 20,000 numbered lines written as fast as the container can.
    const { body } = await h.broker.request(h.queue, runMessage(unique('burst'), ['seq', '1', '20000']));
    const lines = body.Stdout!.trimEnd().split('\n');
    expect(lines).toHaveLength(20000);
    expect(lines.at(-1)).toBe('20000');
  });

  it('with Remove and no Attach, waits for the exit and replies with the exit code but no output', async () => {
    const { body } = await h.broker.request(
      h.queue,
      runMessage(unique('rm-only'), ['sh', '-c', 'echo x; exit 7'], { Attach: undefined }),
    );
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 7 });
    expect(body).not.toHaveProperty('Stdout');
  });

  it('without Attach or Remove, replies once the container has started and leaves it running', async () => {
    const name = unique('detached');
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Options: { Name: name },
    });
    expect(body).toMatchObject({ Status: 'ok', Container: { Name: name } });
    expect(body).not.toHaveProperty('ExitCode');
    const engine = body.Host === 'a' ? h.engines.a : h.engines.b;
    const info = await engine.getContainer(name).inspect();
    expect(info.State.Running).toBe(true);
  });

  it('passes Env, WorkingDir, User, Entrypoint and Labels to the container, with the worker labels added', async () => {
    const name = unique('opts');
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['-c', 'echo "$GREETING from $(pwd) as $(id -u)"'],
      Options: {
        Name: name,
        Attach: ['STDOUT'],
        Entrypoint: ['sh'],
        Env: ['GREETING=hi there'],
        WorkingDir: '/tmp',
        User: '65534',
        Labels: { team: 'qa' },
      },
    });
    expect(body.Stdout).toBe('hi there from /tmp as 65534\n');
    const engine = body.Host === 'a' ? h.engines.a : h.engines.b;
    const labels = (await engine.getContainer(name).inspect()).Config.Labels;
    expect(labels).toMatchObject({
      team: 'qa',
      'docker-dispatch.managed': 'true',
      'docker-dispatch.queue': h.queue,
      'docker-dispatch.message-id': body.MessageId,
      'docker-dispatch.host': body.Host,
    });
  });

  it('with --strategy round-robin, alternates runs between the engines', async () => {
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await h.broker.request(h.queue, runMessage(unique('rr'), ['true'])));
    const hosts = replies.map((r) => r.body.Host);
    expect(new Set(hosts)).toEqual(new Set(['a', 'b']));
    expect(hosts[0]).not.toBe(hosts[1]);
  });

  it('replies ImageNotFound for an image the engine does not have, dead-letters it, and leaves no container', async () => {
    const name = unique('noimage');
    const message = runMessage(name, ['true'], { Attach: undefined });
    const { body } = await h.broker.request(h.queue, { ...message, Image: 'docker-dispatch-test:does-not-exist' });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'ImageNotFound' } });
    expect(body.Error?.Message).toContain('docker-dispatch-test:does-not-exist');
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('ImageNotFound');
    expect(await exists(h.engines.a, name)).toBe(false);
    expect(await exists(h.engines.b, name)).toBe(false);
  });

  it('replies Conflict when the name is taken on the chosen engine', async () => {
    const name = unique('taken');
    const first = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Options: { Name: name },
    });
    expect(first.body.Status).toBe('ok');
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['true'],
      Options: { Name: name, Host: first.body.Host },
    });
    expect(body).toMatchObject({ Status: 'error', Host: first.body.Host, Error: { Code: 'Conflict' } });
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('Conflict');
  });

  it('removes the container when it cannot start (missing executable), and dead-letters the message', async () => {
    const name = unique('noexec');
    const { body } = await h.broker.request(h.queue, runMessage(name, ['/no/such/binary']));
    expect(body.Status).toBe('error');
    expect(body.Error?.Message).toMatch(/no such file|not found/i);
    await h.broker.take(h.deadLetterQueue);
    expect(await exists(h.engines.a, name)).toBe(false);
    expect(await exists(h.engines.b, name)).toBe(false);
  });

  it('sends the reply to the reply queue, with the message id as correlation id, when there is no reply_to', async () => {
    const messageId = unique('msg');
    h.broker.publish(h.queue, runMessage(unique('noreplyto'), ['echo', 'x']), { messageId });
    const msg = await h.broker.take(h.replyQueue);
    expect(msg.properties.correlationId).toBe(messageId);
    expect(msg.properties.contentType).toBe('application/json');
    const reply = JSON.parse(msg.content.toString()) as Record<string, unknown>;
    expect(reply).toMatchObject({ Status: 'ok', MessageId: messageId, Stdout: 'x\n' });
  });

  it('replies to the reply queue instead when reply_to names a queue that does not exist', async () => {
    const correlationId = unique('lost');
    h.broker.publish(h.queue, runMessage(unique('gone'), ['echo', 'y']), {
      replyTo: unique('no-such-queue'),
      correlationId,
    });
    const msg = await h.broker.take(h.replyQueue);
    expect(msg.properties.correlationId).toBe(correlationId);
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});

describe('run on a network the engine does not have', () => {
  it('answers DockerError naming the network, dead-letters it, and leaves no container', async () => {
    const { hostA } = services();
    const h = await startHarness('dd-nonet', ['--network', 'no-such-network'], `a=${hostA}`);
    try {
      const name = unique('nonet');
      const { body } = await h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['true'],
        Options: { Name: name, Remove: true },
      });
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'DockerError' } });
      expect(body.Error?.Message).toContain('no-such-network');
      await h.broker.take(h.deadLetterQueue);
      expect(await exists(h.engines.a, name)).toBe(false);
    } finally {
      await h.cleanup();
    }
  });
});
