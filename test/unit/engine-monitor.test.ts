import { addAbortSignal, Readable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { EngineMonitor } from '../../src/docker/engine-monitor.js';
import type { ListedContainer } from '../../src/docker/inventory.js';

// The monitor's bookkeeping against a scripted engine: which event streams it holds open, and what it counts. How it
// talks to a real engine (the stream, the list, a restart) is tested against real engines in test/exclusive and
// test/faults.

/** An event stream as the Docker client returns it: destroyed when its request's signal aborts. */
type EventStream = Readable & { complete: boolean; socket: null };

class ScriptedEngine {
  readonly id = 'a';
  readonly streams: { signal: AbortSignal; response: EventStream }[] = [];
  lists = 0;

  /** `failLists`: how many lists fail before one succeeds; `listed`: what the lists that succeed return. */
  constructor(
    private readonly failLists: number,
    private readonly listed: ListedContainer[] = [],
  ) {}

  get openStreams(): number {
    return this.streams.filter((s) => !s.response.destroyed).length;
  }

  ping() {
    return Promise.resolve({ date: undefined });
  }

  describe() {
    return Promise.resolve({ vendor: 'docker' as const, version: '20.10.24', apiVersion: '1.41' });
  }

  events(_query: unknown, signal: AbortSignal): Promise<EventStream> {
    const response = Object.assign(new Readable({ read() {} }), { complete: false, socket: null });
    addAbortSignal(signal, response);
    this.streams.push({ signal, response });
    return Promise.resolve(response);
  }

  readonly docker = {
    listContainers: () => {
      this.lists += 1;
      if (this.lists <= this.failLists) return Promise.reject(new Error('list failed'));
      return Promise.resolve(this.listed);
    },
  };
}

const managed = { 'docker-dispatch.managed': 'true', 'docker-dispatch.queue': 'jobs' };

function monitorOf(engine: ScriptedEngine): EngineMonitor {
  // n.b. a long ping interval (no pings during the test), a short reconnect back-off.
  const options = { intervalMs: 60_000, quarantineAfter: 10, maxBackoffMs: 20, log: pino({ level: 'silent' }) };
  return new EngineMonitor(engine as unknown as Engine, options, true);
}

describe('EngineMonitor', () => {
  let monitor: EngineMonitor | undefined;
  afterEach(() => monitor?.stop());

  it('closes the event stream of a list that failed before it opens another: one stream open at a time', async () => {
    const engine = new ScriptedEngine(2);
    monitor = monitorOf(engine);
    monitor.start();
    expect(await monitor.whenSynced(5000)).toBe(true);
    expect(engine.lists).toBe(3);
    expect(engine.streams).toHaveLength(3);
    expect(engine.streams.map((s) => s.signal.aborted)).toEqual([true, true, false]);
    expect(engine.openStreams).toBe(1);
  });

  it('takes events only from the stream it holds', async () => {
    const engine = new ScriptedEngine(1);
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
});
