import { addAbortSignal, Readable } from 'node:stream';
import type { Engine } from '../../src/docker/engine.js';
import type { ListedContainer } from '../../src/docker/inventory.js';

// For unit tests of the bookkeeping around an engine (its loop, the pool's look-ups) only: how the worker talks to a
// real engine is tested against real engines.

/** An event stream as the Docker client returns it: destroyed when its request's signal aborts. */
type EventStream = Readable & { complete: boolean; socket: null };

/** An engine that answers as scripted, and records what it was asked. */
export class ScriptedEngine {
  readonly streams: { signal: AbortSignal; response: EventStream }[] = [];
  lists = 0;
  /** Lists never answer (an engine that stopped answering). */
  listsHang = false;
  /** Pings fail (an engine that is down). */
  pingsFail = false;

  /** `failLists`: how many lists fail before one succeeds; `listed`: what the lists that succeed return. */
  constructor(
    readonly id: string,
    private readonly failLists = 0,
    private readonly listed: ListedContainer[] = [],
  ) {}

  /** As the pool and its loops take it. */
  get asEngine(): Engine {
    return this as unknown as Engine;
  }

  get openStreams(): number {
    return this.streams.filter((s) => !s.response.destroyed).length;
  }

  ping() {
    if (this.pingsFail) return Promise.reject(new Error('connect ECONNREFUSED'));
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
      if (this.listsHang) return new Promise<never>(() => undefined);
      if (this.lists <= this.failLists) return Promise.reject(new Error('list failed'));
      return Promise.resolve(this.listed);
    },
  };
}
