import type { Logger } from 'pino';
import type { EnginePool } from './pool.js';

/**
 * Start-up reconciliation: what each engine's inventory holds for this queue, logged once the inventories are synced
 * (or `timeoutMs` passed; a quarantined engine is not waited for). It removes nothing: a container of a message still
 * unacked is adopted when that message comes back.
 */
export async function reportEarlierContainers(
  pool: EnginePool,
  queue: string,
  log: Logger,
  timeoutMs = 5000,
): Promise<void> {
  await pool.whenSynced(timeoutMs);
  for (const monitor of pool.monitors) {
    if (!monitor.healthy) {
      log.debug(
        { host: monitor.id, reason: monitor.reason },
        'could not list earlier containers on this engine: it is quarantined (not waited for)',
      );
      continue;
    }
    if (!monitor.synced) {
      log.debug(
        { host: monitor.id, reason: monitor.reason },
        'could not list earlier containers on this engine yet: its inventory is not synced',
      );
      continue;
    }
    const byState = monitor.inventory.statesOf(queue);
    const count = Object.values(byState).reduce((sum, n) => sum + n, 0);
    if (count === 0) continue;
    log.info(
      { host: monitor.id, queue, containers: count, byState },
      `found ${count} container(s) from earlier runs for this queue; a redelivered message adopts its own, the rest are left alone`,
    );
  }
}
