import type { Logger } from 'pino';
import { LABELS } from './labels.js';
import type { EnginePool } from './pool.js';

/**
 * Start-up reconciliation: lists the containers docker-dispatch created for this queue on every engine and logs what
 * it finds. It removes nothing: a container of a message still unacked is adopted when that message comes back.
 */
export async function reportEarlierContainers(pool: EnginePool, queue: string, log: Logger): Promise<void> {
  await Promise.all(
    pool.engines.map(async (engine) => {
      try {
        const containers = await engine.docker.listContainers({
          all: true,
          filters: { label: [`${LABELS.queue}=${queue}`] },
          abortSignal: AbortSignal.timeout(10_000),
        });
        if (containers.length === 0) return;
        const byState: Record<string, number> = {};
        for (const c of containers) byState[c.State] = (byState[c.State] ?? 0) + 1;
        log.info(
          { host: engine.id, queue, containers: containers.length, byState },
          `found ${containers.length} container(s) from earlier runs for this queue; a redelivered message adopts its own, the rest are left alone`,
        );
      } catch (err) {
        log.debug({ host: engine.id, err }, 'could not list earlier containers');
      }
    }),
  );
}
