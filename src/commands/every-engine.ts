import type { Engine } from '../docker/engine.js';
import { classifyDockerError, type DockerOperation } from '../docker/classify.js';
import type { CommandContext, CommandResult } from './context.js';

/** What every engine answered, and which could not be asked (with why, for the reply's Warnings). */
export interface PoolAnswers<T> {
  items: T[];
  result: Pick<CommandResult, 'Unreachable' | 'Warnings'>;
}

/**
 * Asks every engine of the pool at once, quarantined ones included (they may be back). An engine that cannot be asked
 * is named in `Unreachable` with its reason in `Warnings`: a list is never silently missing an engine.
 */
export async function askEveryEngine<T>(
  ctx: CommandContext,
  operation: DockerOperation,
  ask: (engine: Engine, abortSignal: AbortSignal) => Promise<T[]>,
): Promise<PoolAnswers<T>> {
  const unreachable: string[] = [];
  const warnings: string[] = [];
  const answers = await Promise.all(
    ctx.pool.engines.map(async (engine) => {
      try {
        return await ask(engine, AbortSignal.timeout(ctx.requestTimeoutMs));
      } catch (err) {
        const error = classifyDockerError(err, operation, engine.id);
        ctx.log.warn(
          { host: engine.id, err: error.message },
          `could not ${operation} on this engine: the reply lists it as Unreachable; check that its daemon runs and is reachable`,
        );
        unreachable.push(engine.id);
        warnings.push(error.message);
        return [];
      }
    }),
  );
  const result = unreachable.length === 0 ? {} : { Unreachable: unreachable, Warnings: warnings };
  return { items: answers.flat(), result };
}
