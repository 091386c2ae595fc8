import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/** The worker's resident memory, from the kernel. */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/** 300 bodies that are each wrong in their own way. */
function garbage(): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = 0; i < 100; i++) bodies.push(randomBytes(1 + ((i * 97) % 4000)));
  for (let i = 0; i < 50; i++)
    bodies.push(
      Buffer.concat([Buffer.from('{"Dockercmd":"run","Image":"'), Buffer.from([0xff, 0xfe, i]), Buffer.from('"}')]),
    );
  for (let i = 0; i < 5; i++) bodies.push(Buffer.alloc(5 * 1024 * 1024, '['));
  for (let i = 0; i < 5; i++) bodies.push(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)));
  for (let i = 0; i < 5; i++)
    bodies.push(Buffer.from(`{"Dockercmd":"run","Image":"x","Cmd":${'['.repeat(100_000)}${']'.repeat(100_000)}}`));
  const wrongTypes: unknown[] = [
    { Dockercmd: 'run', Image: 42 },
    { Dockercmd: 'run', Image: 'x', Cmd: 'echo' },
    { Dockercmd: 'run', Image: 'x', Options: [] },
    { Dockercmd: 'stop', Container: null },
    { Dockercmd: 'remove', Container: 'x', Options: { Force: 'yes' } },
    { Dockercmd: ['run'] },
    null,
    true,
    12,
    'run',
  ];
  for (let i = 0; i < 60; i++) bodies.push(Buffer.from(JSON.stringify(wrongTypes[i % wrongTypes.length])));
  for (let i = 0; i < 35; i++) {
    const huge = 'k'.repeat(200_000 + i);
    const shapes = [
      { Dockercmd: 'run', Image: 'x', [huge]: 1 },
      { Dockercmd: huge },
      { Dockercmd: 'run', Image: 'x', Options: { Labels: { [`docker-dispatch.${huge}`]: 'v' } } },
    ];
    bodies.push(Buffer.from(JSON.stringify(shapes[i % shapes.length])));
  }
  // Valid as far as the schema goes, refused by the engine.
  for (let i = 0; i < 5; i++)
    bodies.push(Buffer.from(JSON.stringify({ Dockercmd: 'run', Image: 'x'.repeat(900_000 + i) })));
  for (let i = 0; i < 35; i++) {
    const keys = Object.fromEntries(Array.from({ length: 5000 }, (_, k) => [`Bogus${k}`, k]));
    bodies.push(Buffer.from(JSON.stringify({ Dockercmd: 'run', Image: 'x', ...keys })));
  }
  return bodies;
}

describe('garbage input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-fault-garbage', ['--prefetch', '8']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('300 garbage messages: each answered with an error and dead-lettered, the worker alive and its memory bounded', async () => {
    const bodies = garbage();
    expect(bodies).toHaveLength(300);
    const before = rssBytes(h.worker.child.pid!);
    const replies = await Promise.all(bodies.map((body) => h.broker.request(h.queue, body, {}, 120_000)));

    for (const { body } of replies) {
      expect(body.Status).toBe('error');
      expect(['InvalidJson', 'InvalidMessage', 'DockerError', 'ImageNotFound']).toContain(body.Error?.Code);
      expect(Buffer.byteLength(body.Error!.Message)).toBeLessThan(10_000);
    }
    let dead = 0;
    while (dead < 300) {
      await h.broker.take(h.deadLetterQueue);
      dead++;
    }
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(h.broker.invalidReplies).toEqual([]);

    const after = rssBytes(h.worker.child.pid!);
    // Bounded: the 5 MiB bodies are refused before parsing and nothing is kept per message.
    expect(after).toBeLessThan(Math.max(before * 3, 250 * 1024 * 1024));

    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'still fine'],
      Options: { Attach: ['STDOUT'], Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', Stdout: 'still fine\n' });
  });
});
