import { describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/observe/engine-status.js';
import { readiness } from '../../src/observe/readiness.js';
import type { WorkerStatus } from '../../src/observe/worker-status.js';

const consuming: WorkerStatus = { state: 'running', amqpConnected: true, amqpSince: 0, amqpDisconnects: 0 };
const healthy: EngineStatus = { id: 'a', healthy: true, synced: true, running: 0 };
const down: EngineStatus = {
  id: 'b',
  healthy: false,
  synced: false,
  running: null,
  reason: 'connect ECONNREFUSED 10.0.0.5:2375',
};

describe('readiness', () => {
  it('is ready while consuming with at least one healthy engine', () => {
    expect(readiness(consuming, [healthy, down])).toEqual({
      ready: true,
      reasons: [],
      worker: 'running',
      amqp: 'connected',
      engines: { a: 'healthy', b: 'unhealthy: connect ECONNREFUSED 10.0.0.5:2375' },
    });
  });

  it('is not ready without a healthy engine, and says why for each', () => {
    const r = readiness(consuming, [
      down,
      { id: 'c', healthy: false, synced: false, running: null, reason: 'not checked yet' },
    ]);
    expect(r.ready).toBe(false);
    expect(r.reasons).toEqual(['no Docker engine is healthy']);
    expect(r.engines).toEqual({ b: 'unhealthy: connect ECONNREFUSED 10.0.0.5:2375', c: 'unhealthy: not checked yet' });
  });

  it('is not ready while disconnected from RabbitMQ', () => {
    const r = readiness({ ...consuming, amqpConnected: false }, [healthy]);
    expect(r).toMatchObject({
      ready: false,
      amqp: 'disconnected',
      reasons: ['not connected to RabbitMQ: reconnecting'],
    });
  });

  it('is not ready while starting, draining or stopped', () => {
    for (const state of ['starting', 'draining', 'stopped'] as const) {
      const r = readiness({ ...consuming, state }, [healthy]);
      expect(r.ready, state).toBe(false);
      expect(r.reasons, state).toHaveLength(1);
    }
    expect(readiness({ ...consuming, state: 'draining' }, [healthy]).reasons[0]).toMatch(/shutting down/);
  });
});
