import { classifyDockerError } from '../docker/classify.js';
import type { KillMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget } from './locate.js';

/** Signal `docker kill` sends when the message names none. */
export const DEFAULT_KILL_SIGNAL = 'SIGKILL';

/** `docker kill` on whichever engine holds the container; one that is not running is a Conflict (the engine's 409). */
export const kill: CommandHandler<KillMessage> = async (message, ctx) => {
  const { engine, container, result } = await locateTarget(message.Container, ctx);
  try {
    await container.kill({
      signal: message.Options?.Signal ?? DEFAULT_KILL_SIGNAL,
      abortSignal: AbortSignal.timeout(ctx.requestTimeoutMs),
    });
  } catch (err) {
    throw classifyDockerError(err, 'kill', engine.id, { container: result.Container });
  }
  return result;
};
