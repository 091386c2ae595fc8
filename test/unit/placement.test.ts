import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import type { Engine } from '../../src/docker/engine.js';
import { Placement } from '../../src/docker/placement.js';
import type { EnginePool } from '../../src/docker/pool.js';
import { roundRobin } from '../../src/docker/strategies/index.js';

/** One healthy engine without capacity, in a pool that records what counts against its health. */
function onePool() {
  const engine = { id: 'p', spec: { labels: {} } } as unknown as Engine;
  const unavailable: string[] = [];
  const pool = {
    engines: [engine],
    isHealthy: () => true,
    monitorOf: () => undefined,
    reportUnavailable: (_engine: Engine, reason: string) => unavailable.push(reason),
  } as unknown as EnginePool;
  return { placement: new Placement(pool, roundRobin()), unavailable };
}

const options = { timeoutMs: 1000, log: pino({ level: 'silent' }) };
const owner = { messageId: 'm', queue: 'q' };

describe('Placement.create: what counts against an engine', () => {
  it("a create refused as a conflict (Podman's 500, name in use) is the message's Conflict, not the engine's health", async () => {
    const { placement, unavailable } = onePool();
    const nameInUse = Object.assign(new Error('(HTTP code 500) server error - name in use'), {
      statusCode: 500,
      json: {
        cause: 'that name is already in use',
        message: 'the container name "x" is already in use',
        response: 500,
      },
    });
    const failure = placement.create({}, owner, () => Promise.reject(nameInUse), options);
    await expect(failure).rejects.toMatchObject({ code: 'Conflict' });
    expect(unavailable).toEqual([]);
  });

  it('a create the engine failed (a 500 with another cause) counts against its health', async () => {
    const { placement, unavailable } = onePool();
    const broken = Object.assign(new Error('(HTTP code 500) server error - boom'), {
      statusCode: 500,
      json: { cause: 'internal libpod error', message: 'boom', response: 500 },
    });
    const failure = placement.create({}, owner, (): Promise<Docker.Container> => Promise.reject(broken), options);
    await expect(failure).rejects.toMatchObject({ code: 'DockerUnavailable' });
    expect(unavailable).toEqual(['engine p failed create (500): boom']);
  });
});
