import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';

/** An address where no engine answers: the worker starts with it quarantined. */
const DEAD = 'unix:///tmp/nonexistent.sock';

describe('list and images across all engines, one of them unreachable', () => {
  let h: Harness;
  const made: string[] = [];
  beforeAll(async () => {
    const { hostA, hostB } = services();
    h = await startHarness('dd-list', [], `a=${hostA},b=${hostB},dead=${DEAD}`);
  });
  afterAll(async () => {
    await h?.cleanup(made);
  });

  /** A container made directly on an engine (not by the worker), labelled with `tag`. */
  const labelled = async (engine: 'a' | 'b', tag: string, start = true) => {
    const name = unique('listed');
    made.push(name);
    const container = await h.engines[engine].createContainer({
      name,
      Image: h.image,
      Cmd: ['sleep', '300'],
      Labels: { 'test.tag': tag },
      HostConfig: { NetworkMode: 'none' },
    });
    if (start) await container.start();
    return name;
  };

  it('lists running containers on every engine, filtered by Options.Labels, and names the unreachable engine', async () => {
    const tag = unique('tag');
    const onA = await labelled('a', tag);
    const onB = await labelled('b', tag);
    await labelled('b', tag, false);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'list', Options: { Labels: { 'test.tag': tag } } });
    expect(body).toMatchObject({ Dockercmd: 'list', Status: 'ok', Unreachable: ['dead'] });
    expect(body.Warnings?.[0]).toContain('dead');
    const containers = [...(body.Containers ?? [])].sort((x, y) => x.Host.localeCompare(y.Host));
    expect(containers).toHaveLength(2);
    expect(containers[0]).toMatchObject({
      Host: 'a',
      Name: onA,
      Image: h.image,
      State: 'running',
      Labels: { 'test.tag': tag },
    });
    expect(containers[0]!.Status).toMatch(/^Up/);
    expect(containers[0]!.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(containers[1]).toMatchObject({ Host: 'b', Name: onB, State: 'running' });
    expect(h.worker.stdout).toContain('ok list: 2 containers (unreachable: dead)');
  });

  it('Options.All lists stopped and created containers too', async () => {
    const tag = unique('tag');
    await labelled('a', tag);
    const stopped = await labelled('b', tag, false);
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'list',
      Options: { All: true, Labels: { 'test.tag': tag } },
    });
    expect(body.Containers).toHaveLength(2);
    expect(body.Containers).toContainEqual(expect.objectContaining({ Host: 'b', Name: stopped, State: 'created' }));
  });

  it('Options.Managed lists only containers docker-dispatch created', async () => {
    const tag = unique('tag');
    await labelled('a', tag);
    const run = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Options: { Name: unique('managed'), Labels: { 'test.tag': tag } },
    });
    expect(run.body.Status).toBe('ok');
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'list',
      Options: { Managed: true, Labels: { 'test.tag': tag } },
    });
    expect(body.Containers).toEqual([expect.objectContaining({ Host: run.body.Host, Id: run.body.Container!.Id })]);
    expect(body.Containers?.[0]?.Labels).toMatchObject({
      'docker-dispatch.managed': 'true',
      'docker-dispatch.queue': h.queue,
    });
  });

  it('images lists the images of every engine and names the unreachable one', async () => {
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'images' });
    expect(body).toMatchObject({ Dockercmd: 'images', Status: 'ok', Unreachable: ['dead'] });
    for (const host of ['a', 'b']) {
      const image = body.Images?.find((i) => i.Host === host && i.RepoTags.includes(h.image));
      expect(image, host).toBeDefined();
      expect(image!.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(image!.Size).toBeGreaterThan(0);
    }
    expect(body.Images?.some((i) => i.Host === 'dead')).toBe(false);
    expect(h.worker.stdout).toMatch(/ok images: \d+ images \(unreachable: dead\)/);
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});
