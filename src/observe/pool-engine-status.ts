import type { Logger } from 'pino';
import type { EnginePool } from '../docker/pool.js';
import { EnginePoller } from './engine-poller.js';
import type { EngineStatus, EngineStatusSource } from './engine-status.js';

/**
 * Engine status for the HTTP side from the engine pool itself: its engines (so a SIGHUP reload shows), its health
 * (quarantine) and capacities, with the running counts from a poller of the engines.
 */
export class PoolEngineStatus implements EngineStatusSource {
  private readonly poller: EnginePoller;

  constructor(
    private readonly pool: EnginePool,
    log: Logger,
  ) {
    this.poller = new EnginePoller(pool.engines, { log });
    this.poller.start();
  }

  engines(): EngineStatus[] {
    const polled = new Map(this.poller.engines().map((e) => [e.id, e]));
    return this.pool.engines.map((engine) => {
      const healthy = this.pool.isHealthy(engine);
      const counted = polled.get(engine.id);
      return {
        id: engine.id,
        healthy,
        running: counted?.running ?? 0,
        ...(engine.spec.maxContainers === undefined ? {} : { capacity: engine.spec.maxContainers }),
        ...(healthy ? {} : { reason: 'quarantined: it does not answer its health checks' }),
        ...(counted?.checkedAt === undefined ? {} : { checkedAt: counted.checkedAt }),
      };
    });
  }

  stop(): void {
    this.poller.stop();
  }
}
