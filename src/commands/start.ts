import { classifyDockerError } from '../docker/classify.js';
import type { StartMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget, statusOf } from './locate.js';

/** `docker start` on whichever engine holds the container. Starting a running container is not an error. */
export const start: CommandHandler<StartMessage> = async (message, ctx) => {
  const { engine, container, result } = await locateTarget(message.Container, ctx);
  try {
    await container.start({ abortSignal: AbortSignal.timeout(ctx.requestTimeoutMs) });
  } catch (err) {
    // n.b. 304 is the engine saying the container was already running: the outcome the message asked for.
    if (statusOf(err) !== 304) throw classifyDockerError(err, 'start', engine.id, { container: result.Container });
  }
  return result;
};
