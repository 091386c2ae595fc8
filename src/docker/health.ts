import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Engine } from './engine.js';

export interface HealthOptions {
  /** Between pings of a healthy engine (±20 % jitter). */
  intervalMs: number;
  /** Consecutive failures (pings, or calls that could not reach the engine) that quarantine an engine. */
  quarantineAfter: number;
  /** Longest wait between probes of a quarantined engine. */
  maxBackoffMs: number;
  log: Logger;
}

interface State {
  healthy: boolean;
  failures: number;
  /** Probes of a quarantined engine so far, for the back-off. */
  probes: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Pings every engine (`/_ping`) on an interval. After `quarantineAfter` consecutive failures an engine is quarantined:
 * no new work goes there, and it is probed with a growing back-off; one success brings it back. Emits `change` when an
 * engine goes in or out of quarantine.
 */
export class EngineHealth extends EventEmitter {
  private readonly states = new Map<Engine, State>();
  private stopped = false;

  constructor(private readonly options: HealthOptions) {
    super();
  }

  /** Starts watching an engine, healthy or not as the start-up check found it. */
  watch(engine: Engine, healthy: boolean): void {
    const state: State = { healthy, failures: healthy ? 0 : this.options.quarantineAfter, probes: 0, timer: undefined };
    this.states.set(engine, state);
    if (!healthy) this.options.log.warn({ host: engine.id }, `engine ${engine.id} does not answer: quarantined until it does`);
    this.schedule(engine, state);
  }

  /** Stops watching an engine (removed by a reload). */
  forget(engine: Engine): void {
    clearTimeout(this.states.get(engine)?.timer);
    this.states.delete(engine);
  }

  isHealthy(engine: Engine): boolean {
    return this.states.get(engine)?.healthy ?? false;
  }

  /** Counts a call that could not reach the engine (network failure, timeout, 5xx) against it. */
  reportFailure(engine: Engine, reason: string): void {
    const state = this.states.get(engine);
    if (state) this.failed(engine, state, reason);
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.states.values()) clearTimeout(state.timer);
  }

  private schedule(engine: Engine, state: State): void {
    if (this.stopped) return;
    const { intervalMs, maxBackoffMs } = this.options;
    const base = state.healthy ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(state.probes, 10));
    const delay = base * (0.8 + Math.random() * 0.4);
    state.timer = setTimeout(() => void this.probe(engine, state), delay);
    state.timer.unref();
  }

  private async probe(engine: Engine, state: State): Promise<void> {
    try {
      await engine.ping(Math.min(5000, this.options.intervalMs));
      this.succeeded(engine, state);
    } catch (err) {
      if (!state.healthy) state.probes += 1;
      this.failed(engine, state, (err as Error).message);
    }
    if (this.states.get(engine) === state) this.schedule(engine, state);
  }

  private succeeded(engine: Engine, state: State): void {
    state.failures = 0;
    state.probes = 0;
    if (state.healthy) return;
    state.healthy = true;
    this.options.log.info({ host: engine.id }, `engine ${engine.id} answers again: it takes new work`);
    this.emit('change', engine, true);
  }

  private failed(engine: Engine, state: State, reason: string): void {
    state.failures += 1;
    if (!state.healthy || state.failures < this.options.quarantineAfter) return;
    state.healthy = false;
    this.options.log.warn(
      { host: engine.id, failures: state.failures, reason },
      `engine ${engine.id} quarantined after ${state.failures} failures: no new work goes there until it answers again`,
    );
    this.emit('change', engine, false);
  }
}
