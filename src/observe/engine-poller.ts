import type { Logger } from 'pino';
import type { Engine } from '../docker/engine.js';
import { LABELS } from '../docker/labels.js';
import type { EngineStatus, EngineStatusSource } from './engine-status.js';

export interface EnginePollerOptions {
  /**
   * Time between checks of each engine.
   * @default 5000
   */
  intervalMs?: number;
  /**
   * How long one check (ping, then the list of running containers) may take.
   * @default 5000
   */
  timeoutMs?: number;
  log?: Logger;
}

/**
 * Checks every engine now and then: `/_ping`, then its running docker-dispatch containers (label
 * `docker-dispatch.managed=true`). Until the first check of an engine ends, that engine counts as not healthy.
 */
export class EnginePoller implements EngineStatusSource {
  private readonly status = new Map<string, EngineStatus>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly log: Logger | undefined;

  constructor(
    private readonly pool: readonly Engine[],
    options: EnginePollerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.log = options.log;
    for (const engine of pool) this.status.set(engine.id, { id: engine.id, healthy: false, running: 0, reason: 'not checked yet' });
  }

  engines(): EngineStatus[] {
    return this.pool.map((engine) => ({ ...this.status.get(engine.id)! }));
  }

  /** Checks at once, then every interval, until stop(). */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checks every engine once, at the same time. */
  async poll(): Promise<void> {
    await Promise.all(this.pool.map((engine) => this.check(engine)));
  }

  private async check(engine: Engine): Promise<void> {
    const before = this.status.get(engine.id);
    let next: EngineStatus;
    try {
      const abortSignal = AbortSignal.timeout(this.timeoutMs);
      await engine.ping(this.timeoutMs);
      const running = await engine.docker.listContainers({
        filters: { label: [`${LABELS.managed}=true`], status: ['running'] },
        abortSignal,
      });
      next = { id: engine.id, healthy: true, running: running.length, checkedAt: Date.now() };
    } catch (err) {
      next = { id: engine.id, healthy: false, running: 0, reason: why(err, this.timeoutMs), checkedAt: Date.now() };
    }
    this.status.set(engine.id, next);
    if (before?.checkedAt !== undefined && before.healthy !== next.healthy) {
      if (next.healthy) this.log?.info({ host: engine.id }, 'Docker engine answers again');
      else this.log?.warn({ host: engine.id, reason: next.reason }, `Docker engine ${engine.id} does not answer its health check (${next.reason}): check that its daemon runs and is reachable at ${engine.spec.written}`);
    }
  }
}

function why(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; statusCode?: number; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  if (e.code) return e.code;
  if (e.statusCode) return `HTTP ${e.statusCode}`;
  return e.message ?? String(err);
}
