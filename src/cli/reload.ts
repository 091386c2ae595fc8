import type { Logger } from 'pino';
import type { WorkerConfig } from '../config.js';
import type { EngineSpec } from '../docker/address.js';
import { checkEngines } from '../docker/check.js';
import { Engine } from '../docker/engine.js';
import { loadHostsFile } from '../docker/hosts-file.js';
import type { EnginePool } from '../docker/pool.js';
import { engineSpecs } from './options.js';

/**
 * SIGHUP: re-reads the hosts file; the engines from `<dockerHost>` (`positional`) stay. New engines join, removed ones
 * take no new work, changed ones are followed at their new address; work in flight is not disturbed. A bad file (or
 * an engine whose TLS files cannot be read) changes nothing.
 */
export async function reloadHostsFile(
  file: string,
  positional: readonly EngineSpec[],
  pool: EnginePool,
  config: Readonly<WorkerConfig>,
  log: Logger,
): Promise<void> {
  try {
    const specs = engineSpecs(positional, await loadHostsFile(file));
    const engines = specs.map((spec) => new Engine(spec, config.defaultTls)); // reads TLS files: fail before changing anything
    const healthy = new Set((await checkEngines(engines, config.pingTimeoutMs)).map((e) => e.id));
    const changes = pool.update(specs, (engine) => healthy.has(engine.id));
    log.info(changes, `SIGHUP: re-read ${file}: ${pool.engines.map((e) => e.id).join(', ')}`);
  } catch (err) {
    log.error(
      { err: (err as Error).message },
      `SIGHUP: could not re-read ${file}; keeping the engines as they were. Fix the file and send SIGHUP again`,
    );
  }
}
