import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineMonitor } from '../../src/docker/engine-monitor.js';
import { ScriptedEngine } from '../support/scripted-engine.js';

// The monitor's bookkeeping against a scripted engine: which event streams it holds open, and what it counts. How it
// talks to a real engine (the stream, the list, a restart) is tested against real engines in test/exclusive and
// test/faults.

const managed = { 'docker-dispatch.managed': 'true', 'docker-dispatch.queue': 'jobs' };

function monitorOf(engine: ScriptedEngine, { healthy = true, quarantineAfter = 10 } = {}): EngineMonitor {
  // n.b. a long ping interval (no pings during the test), a short reconnect back-off.
  const options = { intervalMs: 60_000, quarantineAfter, maxBackoffMs: 20, log: pino({ level: 'silent' }) };
  return new EngineMonitor(engine.asEngine, options, healthy);
}

describe('EngineMonitor', () => {
  let monitor: EngineMonitor | undefined;
  afterEach(() => monitor?.stop());

  it('closes the event stream of a list that failed before it opens another: one stream open at a time', async () => {
    const engine = new ScriptedEngine('a', 2);
    monitor = monitorOf(engine);
    monitor.start();
    expect(await monitor.whenSynced(5000)).toBe(true);
    expect(engine.lists).toBe(3);
    expect(engine.streams).toHaveLength(3);
    expect(engine.streams.map((s) => s.signal.aborted)).toEqual([true, true, false]);
    expect(engine.openStreams).toBe(1);
  });

  it('takes events only from the stream it holds', async () => {
    const engine = new ScriptedEngine('a', 1);
    monitor = monitorOf(engine);
    monitor.start();
    expect(await monitor.whenSynced(5000)).toBe(true);
    const event = (id: string) =>
      `${JSON.stringify({ Type: 'container', Action: 'create', Actor: { ID: id, Attributes: managed }, time: 1 })}\n`;
    // The dropped stream is closed: what it would still say goes nowhere.
    engine.streams[0]!.response.push(event('old'));
    engine.streams[1]!.response.push(event('new'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(monitor.inventory.get('old')).toBeUndefined();
    expect(monitor.inventory.get('new')?.state).toBe('created');
  });

  it('says how many of its containers run only while that is known: null before the sync and once the stream drops', async () => {
    const listed = [
      { Id: 'x', State: 'running', Created: 1, Labels: managed },
      { Id: 'y', State: 'exited', Created: 1, Labels: managed },
    ];
    const engine = new ScriptedEngine('a', 0, listed);
    monitor = monitorOf(engine);
    expect(monitor.running).toBeNull();
    monitor.start();
    expect(await monitor.whenSynced(5000)).toBe(true);
    expect(monitor.running).toBe(1);
    const dropped = new Promise((resolve) => monitor!.once('inventory', resolve));
    engine.streams[0]!.response.destroy(new Error('cut'));
    await dropped;
    expect(monitor.synced).toBe(false);
    expect(monitor.inventory.running()).toBe(1); // what it last knew, no longer current
    expect(monitor.running).toBeNull();
  });

  it('is not waited for while quarantined: whenSynced answers false at once', async () => {
    const engine = new ScriptedEngine('a');
    engine.pingsFail = true;
    monitor = monitorOf(engine, { healthy: false });
    monitor.start();
    const started = performance.now();
    expect(await monitor.whenSynced(5000)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('stops being waited for once it is quarantined during the wait', async () => {
    const engine = new ScriptedEngine('a');
    engine.listsHang = true;
    monitor = monitorOf(engine, { quarantineAfter: 3 });
    monitor.start();
    const started = performance.now();
    const synced = monitor.whenSynced(5000);
    for (let i = 0; i < 3; i++) monitor.reportFailure('connect ETIMEDOUT');
    expect(await synced).toBe(false);
    expect(monitor.healthy).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
