import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, makeContainer, startHarness, type Harness } from '../support/harness.js';
import { unique } from '../support/services.js';

describe('stop and remove across the engines', () => {
  let h: Harness;
  const made: string[] = [];
  beforeAll(async () => {
    h = await startHarness('dd-stop');
  });
  afterAll(async () => {
    await h?.cleanup(made);
  });
  const name = () => {
    const n = unique('target');
    made.push(n);
    return n;
  };

  it('stops a container by name on whichever engine holds it (here b)', async () => {
    const target = name();
    await makeContainer(h.engines.b, h.image, target);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: target, Options: { Time: 0 } });
    expect(body).toMatchObject({ Dockercmd: 'stop', Status: 'ok', Host: 'b', Container: { Name: target } });
    expect((await h.engines.b.getContainer(target).inspect()).State.Running).toBe(false);
    expect(h.worker.stdout).toContain(`ok stop ${target} on b: stopped`);
  });

  it('stops by full id and by unique id prefix (here on a)', async () => {
    const byId = await makeContainer(h.engines.a, h.image, name());
    const first = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: byId.id, Options: { Time: 0 } });
    expect(first.body).toMatchObject({ Status: 'ok', Host: 'a', Container: { Id: byId.id } });

    const byPrefix = await makeContainer(h.engines.a, h.image, name());
    const second = await h.broker.request(h.queue, {
      Dockercmd: 'stop',
      Container: byPrefix.id.slice(0, 12),
      Options: { Time: 0 },
    });
    expect(second.body).toMatchObject({ Status: 'ok', Host: 'a', Container: { Id: byPrefix.id } });
  });

  it('sends SIGTERM and gives the container Options.Time seconds before SIGKILL', async () => {
    // A container that exits 42 on SIGTERM: only a graceful stop can give that exit code.
    const target = name();
    await makeContainer(h.engines.b, h.image, target, [
      'sh',
      '-c',
      "trap 'exit 42' TERM; while true; do sleep 0.1; done",
    ]);
    await new Promise((r) => setTimeout(r, 500)); // let the shell install its trap
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: target, Options: { Time: 5 } });
    expect(body.Status).toBe('ok');
    expect((await h.engines.b.getContainer(target).inspect()).State.ExitCode).toBe(42);
  });

  it('treats stopping a container that is not running as done', async () => {
    const target = name();
    await makeContainer(h.engines.a, h.image, target, ['true'], false);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: target });
    expect(body).toMatchObject({ Status: 'ok', Host: 'a' });
  });

  it('removes a stopped container on whichever engine holds it', async () => {
    const target = name();
    await makeContainer(h.engines.b, h.image, target, ['true'], false);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'remove', Container: target });
    expect(body).toMatchObject({ Dockercmd: 'remove', Status: 'ok', Host: 'b', Container: { Name: target } });
    expect(await exists(h.engines.b, target)).toBe(false);
  });

  it('refuses to remove a running container without Force (Conflict, dead-lettered) and removes it with Force', async () => {
    const target = name();
    await makeContainer(h.engines.a, h.image, target);
    const refused = await h.broker.request(h.queue, { Dockercmd: 'remove', Container: target });
    expect(refused.body).toMatchObject({ Status: 'error', Host: 'a', Error: { Code: 'Conflict' } });
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('Conflict');
    expect(await exists(h.engines.a, target)).toBe(true);

    const forced = await h.broker.request(h.queue, {
      Dockercmd: 'remove',
      Container: target,
      Options: { Force: true, Volumes: true },
    });
    expect(forced.body.Status).toBe('ok');
    expect(await exists(h.engines.a, target)).toBe(false);
  });

  it('replies Conflict, naming both engines, when the name exists on both', async () => {
    const target = name();
    await makeContainer(h.engines.a, h.image, target);
    await makeContainer(h.engines.b, h.image, target);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: target, Options: { Time: 0 } });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Conflict' } });
    expect(body.Error?.Message).toMatch(/\ba \(.*\bb \(/);
    await h.broker.take(h.deadLetterQueue);
    // Neither was touched.
    expect((await h.engines.a.getContainer(target).inspect()).State.Running).toBe(true);
    expect((await h.engines.b.getContainer(target).inspect()).State.Running).toBe(true);
  });

  it('replies ContainerNotFound for a container no engine has, and dead-letters the message with its reason', async () => {
    const missing = unique('missing');
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'remove', Container: missing });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'ContainerNotFound' } });
    expect(body.Error?.Message).toContain(missing);
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(JSON.parse(dead.content.toString())).toEqual({ Dockercmd: 'remove', Container: missing });
    expect(dead.properties.headers).toMatchObject({
      'x-dispatch-error-code': 'ContainerNotFound',
      'x-dispatch-error-message': body.Error?.Message,
      'x-dispatch-queue': h.queue,
    });
  });

  it('stops and removes a container the worker itself ran', async () => {
    const target = name();
    const run = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Options: { Name: target },
    });
    const stop = await h.broker.request(h.queue, { Dockercmd: 'stop', Container: target, Options: { Time: 0 } });
    const remove = await h.broker.request(h.queue, { Dockercmd: 'remove', Container: target });
    expect(stop.body).toMatchObject({ Status: 'ok', Host: run.body.Host });
    expect(remove.body).toMatchObject({ Status: 'ok', Host: run.body.Host });
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});
