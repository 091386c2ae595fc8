import type { EarlierContainer } from '../docker/pool.js';
import type { CommandContext } from './context.js';

export type { EarlierContainer };

/**
 * The container an earlier attempt at this message left, so a redelivered or retried message adopts it instead of
 * starting a second one (see EnginePool.findEarlier). Without an identity there is nothing to look for.
 */
export function findEarlierContainer(ctx: CommandContext): Promise<EarlierContainer | undefined> {
  if (ctx.identity === undefined) return Promise.resolve(undefined);
  return ctx.pool.findEarlier(ctx.identity, ctx.queue, {
    authoritative: ctx.seenBefore,
    timeoutMs: ctx.requestTimeoutMs,
    log: ctx.log,
  });
}
