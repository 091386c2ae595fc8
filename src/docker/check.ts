import type { Engine } from './engine.js';

/** The engines that answered `/_ping`, with a line for each that did not. */
export type EngineCheck = Engine[] & { failures: string[] };

/** Pings every engine at once. */
export async function checkEngines(engines: readonly Engine[], timeoutMs: number): Promise<EngineCheck> {
  const failures: string[] = [];
  const results = await Promise.all(
    engines.map(async (engine) => {
      try {
        await engine.ping(timeoutMs);
        return engine;
      } catch (err) {
        const e = err as Error;
        const why =
          e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : e.message;
        failures.push(`${engine.id} (${engine.spec.written}): ${why}`);
        return undefined;
      }
    }),
  );
  return Object.assign(
    results.filter((e): e is Engine => e !== undefined),
    { failures },
  );
}
