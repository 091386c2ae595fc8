import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient } from '../support/client-process.js';
import { exists, makeContainer, startHarness, type Harness } from '../support/harness.js';
import { unique } from '../support/services.js';

describe('"Instances": N on a run', () => {
  let h: Harness;
  const made: string[] = [];
  beforeAll(async () => {
    // Round-robin makes the spread over the two engines certain whatever else runs on them.
    h = await startHarness('dd-inst', ['--strategy', 'round-robin']);
  });
  afterAll(async () => {
    await h?.cleanup(made);
  });

  it('starts N containers spread over the engines, named <Name>-1…-N, and replies with each one', async () => {
    const name = unique('inst');
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo "$HOSTNAME"'],
      Instances: 4,
      Options: { Name: name, Attach: ['STDOUT'], Remove: true },
    });
    expect(body).toMatchObject({ Dockercmd: 'run', Status: 'ok' });
    expect(body.Container).toBeUndefined();
    const containers = body.Containers ?? [];
    expect(containers.map((c) => c.Name)).toEqual([1, 2, 3, 4].map((n) => `${name}-${n}`));
    for (const c of containers) {
      expect(c).toMatchObject({ ExitCode: 0 });
      expect(c.Id).toMatch(/^[0-9a-f]{64}$/);
      expect(c.Stdout).toBe(`${c.Id.slice(0, 12)}\n`);
    }
    expect(new Set(containers.map((c) => c.Host))).toEqual(new Set(['a', 'b']));
    // Remove is carried out once all have settled: none is left.
    for (const c of containers) expect(await exists(c.Host === 'a' ? h.engines.a : h.engines.b, c.Id)).toBe(false);
  });

  it('without waiting, replies once all N have started', async () => {
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sleep', '300'],
      Instances: 3,
    });
    expect(body.Status).toBe('ok');
    expect(body.Containers).toHaveLength(3);
    for (const c of body.Containers ?? []) {
      const docker = c.Host === 'a' ? h.engines.a : h.engines.b;
      expect((await docker.getContainer(c.Id).inspect()).State.Running).toBe(true);
      expect(c.ExitCode).toBeUndefined();
    }
  });

  it('reports a partial failure per instance, and fails (dead-letters) the message with the first failure', async () => {
    const name = unique('inst-partial');
    // Instance 2's name is taken on both engines: it cannot be created wherever it goes.
    made.push(`${name}-2`);
    await makeContainer(h.engines.a, h.image, `${name}-2`, ['true'], false);
    await makeContainer(h.engines.b, h.image, `${name}-2`, ['true'], false);
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['true'],
      Instances: 2,
      Options: { Name: name, Remove: true },
    });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Conflict' } });
    expect(body.Error?.Message).toMatch(/^1 of 2 instances failed/);
    expect(body.Containers?.[0]).toMatchObject({ Name: `${name}-1`, ExitCode: 0 });
    expect(body.Containers?.[0]?.Error).toBeUndefined();
    expect(body.Containers?.[1]).toMatchObject({ Error: { Code: 'Conflict' } });
    // A permanent failure is not retried, so the finished instance is removed as asked.
    const finished = body.Containers![0]!;
    expect(await exists(finished.Host === 'a' ? h.engines.a : h.engines.b, finished.Id)).toBe(false);
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('Conflict');
  });

  it('send exits with the first non-zero instance exit code', async () => {
    const message = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'exit 4'],
      Instances: 2,
      Options: { Remove: true },
    };
    const run = await runClient(['send', '-q', h.queue, h.amqpUrl, JSON.stringify(message)]);
    expect(run.code).toBe(4);
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});
