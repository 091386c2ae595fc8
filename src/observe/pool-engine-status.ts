import type { EnginePool } from '../docker/pool.js';
import type { EngineStatus, EngineStatusSource } from './engine-status.js';

/**
 * Engine status for the HTTP side, read from the engine pool at each request: its current engines (so a SIGHUP reload
 * shows at once), each engine's health, the running count of its inventory (null while that may be stale: the
 * engine quarantined or its inventory not synced) and its vendor and version (as its loop last read them). It asks no
 * engine anything.
 */
export class PoolEngineStatus implements EngineStatusSource {
  constructor(private readonly pool: EnginePool) {}

  engines(): EngineStatus[] {
    return this.pool.monitors.map((monitor) => {
      const { engine } = monitor;
      const reason = monitor.healthy
        ? monitor.synced
          ? undefined
          : `inventory not synced: ${monitor.reason ?? 'connecting'}`
        : `quarantined: ${monitor.reason ?? 'it does not answer its health checks'}`;
      const version = monitor.version;
      return {
        id: engine.id,
        healthy: monitor.healthy,
        running: monitor.running,
        synced: monitor.synced,
        ...(version === undefined
          ? {}
          : { vendor: version.vendor, version: version.version, apiVersion: version.apiVersion }),
        ...(engine.spec.maxContainers === undefined ? {} : { capacity: engine.spec.maxContainers }),
        ...(reason === undefined ? {} : { reason }),
        ...(monitor.unsyncedSince === undefined ? {} : { unsyncedSince: monitor.unsyncedSince }),
      };
    });
  }
}
