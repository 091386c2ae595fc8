import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, makeContainer, startHarness, type Harness } from '../support/harness.js';
import { unique } from '../support/services.js';

describe('create, start, restart, kill, wait, inspect and logs across the engines', () => {
  let h: Harness;
  const made: string[] = [];
  beforeAll(async () => {
    h = await startHarness('dd-cmds', ['--max-output', '1000']);
  });
  afterAll(async () => {
    await h?.cleanup(made);
  });
  const name = () => {
    const n = unique('target');
    made.push(n);
    return n;
  };
  const state = async (engine: 'a' | 'b', ref: string) => (await h.engines[engine].getContainer(ref).inspect()).State;

  it('create makes a container on the engine placement picks, labelled, and does not start it', async () => {
    const target = name();
    const { body } = await h.broker.request(
      h.queue,
      {
        Dockercmd: 'create',
        Image: h.image,
        Cmd: ['sleep', '300'],
        Options: { Name: target, Host: 'b', Labels: { team: 'x' } },
      },
      { messageId: unique('create') },
    );
    expect(body).toMatchObject({ Dockercmd: 'create', Status: 'ok', Host: 'b', Container: { Name: target } });
    expect(body.Container?.Id).toMatch(/^[0-9a-f]{64}$/);
    const info = await h.engines.b.getContainer(target).inspect();
    expect(info.State.Status).toBe('created');
    expect(info.Config.Labels).toMatchObject({
      team: 'x',
      'docker-dispatch.managed': 'true',
      'docker-dispatch.queue': h.queue,
    });
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(await exists(h.engines.a, target)).toBe(false);
    expect(h.worker.stdout).toContain(`ok create ${target} on b: created`);
  });

  it('create without a name answers with the name the engine picked', async () => {
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'create', Image: h.image, Cmd: ['true'] });
    expect(body.Status).toBe('ok');
    expect(body.Container?.Name).toMatch(/^[a-z]+_[a-z]+$/);
    made.push(body.Container!.Id);
  });

  it('create sent twice with one message_id makes one container and answers with it both times', async () => {
    const messageId = unique('create-twice');
    const message = { Dockercmd: 'create', Image: h.image, Cmd: ['true'] };
    const first = await h.broker.request(h.queue, message, { messageId });
    const second = await h.broker.request(h.queue, message, { messageId });
    made.push(first.body.Container!.Id);
    expect(first.body.Status).toBe('ok');
    expect(second.body).toMatchObject({ Status: 'ok', Host: first.body.Host, Container: first.body.Container });
  });

  it('create refuses a name in use (Conflict) and an image the engine lacks (ImageNotFound)', async () => {
    const target = name();
    await makeContainer(h.engines.a, h.image, target, ['true'], false);
    const taken = await h.broker.request(h.queue, {
      Dockercmd: 'create',
      Image: h.image,
      Options: { Name: target, Host: 'a' },
    });
    expect(taken.body).toMatchObject({ Status: 'error', Host: 'a', Error: { Code: 'Conflict' } });
    const missing = await h.broker.request(h.queue, {
      Dockercmd: 'create',
      Image: 'docker-dispatch-test:no-such-tag',
      Options: { Name: name() },
    });
    expect(missing.body).toMatchObject({ Status: 'error', Error: { Code: 'ImageNotFound' } });
  });

  it('start starts a created container on whichever engine holds it (here b), and starting it again is ok', async () => {
    const target = name();
    await makeContainer(h.engines.b, h.image, target, ['sleep', '300'], false);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'start', Container: target });
    expect(body).toMatchObject({ Dockercmd: 'start', Status: 'ok', Host: 'b', Container: { Name: target } });
    expect((await state('b', target)).Running).toBe(true);
    const again = await h.broker.request(h.queue, { Dockercmd: 'start', Container: target });
    expect(again.body).toMatchObject({ Status: 'ok', Host: 'b' });
  });

  it("start of a container whose command cannot run is a DockerError with the engine's words", async () => {
    const target = name();
    await makeContainer(h.engines.a, h.image, target, ['/no/such/executable'], false);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'start', Container: target });
    expect(body).toMatchObject({ Status: 'error', Host: 'a', Error: { Code: 'DockerError' } });
    expect(body.Error?.Message).toContain('/no/such/executable');
  });

  it('restart stops and starts the container again (here on a), with Options.Time', async () => {
    const target = name();
    await makeContainer(h.engines.a, h.image, target);
    const before = (await state('a', target)).StartedAt;
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'restart', Container: target, Options: { Time: 0 } });
    expect(body).toMatchObject({ Dockercmd: 'restart', Status: 'ok', Host: 'a', Container: { Name: target } });
    const after = await state('a', target);
    expect(after.Running).toBe(true);
    expect(after.StartedAt).not.toBe(before);
  });

  it('kill sends SIGKILL by default (exit code 137)', async () => {
    const target = name();
    await makeContainer(h.engines.b, h.image, target);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'kill', Container: target });
    expect(body).toMatchObject({ Dockercmd: 'kill', Status: 'ok', Host: 'b' });
    const wait = await h.broker.request(h.queue, { Dockercmd: 'wait', Container: target });
    expect(wait.body).toMatchObject({ Status: 'ok', ExitCode: 137 });
  });

  it('kill sends Options.Signal', async () => {
    const target = name();
    await makeContainer(h.engines.a, h.image, target, [
      'sh',
      '-c',
      "trap 'exit 42' TERM; while true; do sleep 0.1; done",
    ]);
    await new Promise((r) => setTimeout(r, 500)); // let the shell install its trap
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'kill',
      Container: target,
      Options: { Signal: 'SIGTERM' },
    });
    expect(body).toMatchObject({ Status: 'ok', Host: 'a' });
    const wait = await h.broker.request(h.queue, { Dockercmd: 'wait', Container: target });
    expect(wait.body).toMatchObject({ Status: 'ok', ExitCode: 42 });
  });

  it('kill of a container that is not running is a Conflict, dead-lettered', async () => {
    const target = name();
    await makeContainer(h.engines.b, h.image, target, ['true'], false);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'kill', Container: target });
    expect(body).toMatchObject({ Status: 'error', Host: 'b', Error: { Code: 'Conflict' } });
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('Conflict');
  });

  it('wait replies with the exit code once a running container exits (here on b)', async () => {
    const target = name();
    await makeContainer(h.engines.b, h.image, target, ['sh', '-c', 'sleep 2; exit 3']);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'wait', Container: target });
    expect(body).toMatchObject({
      Dockercmd: 'wait',
      Status: 'ok',
      Host: 'b',
      Container: { Name: target },
      ExitCode: 3,
    });
    expect((await state('b', target)).Running).toBe(false);
    expect(h.worker.stdout).toContain(`ok wait ${target} on b: exited with code 3`);
  });

  it('wait on a container that has exited replies at once with its exit code (here on a)', async () => {
    const target = name();
    const container = await makeContainer(h.engines.a, h.image, target, ['sh', '-c', 'exit 5']);
    await container.wait();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'wait', Container: target });
    expect(body).toMatchObject({ Status: 'ok', Host: 'a', ExitCode: 5 });
  });

  it("inspect replies with the engine's document (here from b)", async () => {
    const target = name();
    const container = await makeContainer(h.engines.b, h.image, target);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'inspect', Container: target });
    expect(body).toMatchObject({
      Dockercmd: 'inspect',
      Status: 'ok',
      Host: 'b',
      Container: { Id: container.id, Name: target },
    });
    expect(body.Inspect).toMatchObject({
      Id: container.id,
      Name: `/${target}`,
      State: { Running: true },
      Config: { Image: h.image },
    });
  });

  it('logs replies with stdout and stderr apart (here from a)', async () => {
    const target = name();
    const container = await makeContainer(h.engines.a, h.image, target, [
      'sh',
      '-c',
      'echo out1; echo err1 >&2; echo out2; echo err2 >&2',
    ]);
    await container.wait();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'logs', Container: target });
    expect(body).toMatchObject({
      Dockercmd: 'logs',
      Status: 'ok',
      Host: 'a',
      Stdout: 'out1\nout2\n',
      Stderr: 'err1\nerr2\n',
    });
    expect(body.Truncated).toBeUndefined();
  });

  it('logs honours Options.Tail and Options.Timestamps', async () => {
    const target = name();
    const container = await makeContainer(h.engines.b, h.image, target, [
      'sh',
      '-c',
      'for i in 1 2 3 4 5; do echo line$i; done',
    ]);
    await container.wait();
    const tail = await h.broker.request(h.queue, { Dockercmd: 'logs', Container: target, Options: { Tail: 2 } });
    expect(tail.body).toMatchObject({ Status: 'ok', Host: 'b', Stdout: 'line4\nline5\n', Stderr: '' });
    const stamped = await h.broker.request(h.queue, {
      Dockercmd: 'logs',
      Container: target,
      Options: { Tail: 1, Timestamps: true },
    });
    expect(stamped.body.Stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line5\n$/);
  });

  it('logs honours Options.Since (nothing written after a time in the future)', async () => {
    const target = name();
    const container = await makeContainer(h.engines.a, h.image, target, ['echo', 'before']);
    await container.wait();
    const all = await h.broker.request(h.queue, { Dockercmd: 'logs', Container: target, Options: { Since: 0 } });
    expect(all.body.Stdout).toBe('before\n');
    const later = await h.broker.request(h.queue, {
      Dockercmd: 'logs',
      Container: target,
      Options: { Since: Math.ceil(Date.now() / 1000) + 3600 },
    });
    expect(later.body).toMatchObject({ Status: 'ok', Stdout: '', Stderr: '' });
  });

  it('logs keeps the end of each stream within --max-output and says Truncated', async () => {
    const target = name();
    const container = await makeContainer(h.engines.b, h.image, target, ['sh', '-c', 'seq 1 2000; echo small >&2']);
    await container.wait();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'logs', Container: target });
    expect(body).toMatchObject({ Status: 'ok', Truncated: true, Stderr: 'small\n' });
    expect(Buffer.byteLength(body.Stdout!)).toBeLessThanOrEqual(1000);
    expect(body.Stdout).toMatch(/\n1999\n2000\n$/);
  });

  it.each(['start', 'restart', 'kill', 'wait', 'inspect', 'logs'])(
    '%s of a container no engine has is ContainerNotFound',
    async (dockercmd) => {
      const missing = unique('missing');
      const { body } = await h.broker.request(h.queue, { Dockercmd: dockercmd, Container: missing });
      expect(body).toMatchObject({ Dockercmd: dockercmd, Status: 'error', Error: { Code: 'ContainerNotFound' } });
      expect(body.Error?.Message).toContain(missing);
    },
  );

  it.each(['start', 'restart', 'kill', 'wait', 'inspect', 'logs'])(
    '%s of a name on both engines is a Conflict, touching neither',
    async (dockercmd) => {
      const target = name();
      await makeContainer(h.engines.a, h.image, target);
      await makeContainer(h.engines.b, h.image, target);
      const { body } = await h.broker.request(h.queue, { Dockercmd: dockercmd, Container: target });
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Conflict' } });
      expect(body.Error?.Message).toMatch(/\ba \(.*\bb \(/);
      expect((await state('a', target)).Running).toBe(true);
      expect((await state('b', target)).Running).toBe(true);
    },
  );

  it('create, start, wait and logs work together on a container the worker made', async () => {
    const target = name();
    const created = await h.broker.request(h.queue, {
      Dockercmd: 'create',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo done; exit 7'],
      Options: { Name: target },
    });
    expect(created.body.Status).toBe('ok');
    const started = await h.broker.request(h.queue, { Dockercmd: 'start', Container: target });
    const waited = await h.broker.request(h.queue, { Dockercmd: 'wait', Container: target });
    const logs = await h.broker.request(h.queue, { Dockercmd: 'logs', Container: target });
    expect(started.body).toMatchObject({ Status: 'ok', Host: created.body.Host });
    expect(waited.body).toMatchObject({ Status: 'ok', ExitCode: 7, Host: created.body.Host });
    expect(logs.body).toMatchObject({ Status: 'ok', Stdout: 'done\n' });
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});
