import type { Logger } from 'pino';
import type { Engine } from './engine.js';

/** The engines that answered `/_ping`, with a line for each that did not. */
export type EngineCheck = Engine[] & { failures: string[] };

/** Pings every engine at once; logs each that does not answer (the worker can run without it). */
export async function checkEngines(engines: readonly Engine[], timeoutMs: number, log: Logger): Promise<EngineCheck> {
  const failures: string[] = [];
  const results = await Promise.all(
    engines.map(async (engine) => {
      try {
        await engine.ping(timeoutMs);
        return engine;
      } catch (err) {
        const e = err as Error;
        const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : e.message;
        const failure = `${engine.id} (${engine.spec.written}): ${why}`;
        failures.push(failure);
        log.warn({ host: engine.id }, `Docker engine does not answer: ${failure}`);
        return undefined;
      }
    }),
  );
  return Object.assign(results.filter((e): e is Engine => e !== undefined), { failures });
}
