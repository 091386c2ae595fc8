import { classifyDockerError } from '../docker/classify.js';
import type { RestartMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget } from './locate.js';
import { DEFAULT_STOP_SECONDS } from './stop.js';

/** `docker restart` on whichever engine holds the container: stop (SIGTERM, SIGKILL after Options.Time s), start. */
export const restart: CommandHandler<RestartMessage> = async (message, ctx) => {
  const { engine, container, result } = await locateTarget(message.Container, ctx);
  const t = message.Options?.Time ?? DEFAULT_STOP_SECONDS;
  try {
    // n.b. the engine answers once the container has stopped (up to t seconds) and started again.
    await container.restart({ t, abortSignal: AbortSignal.timeout(t * 1000 + ctx.requestTimeoutMs) });
  } catch (err) {
    throw classifyDockerError(err, 'restart', engine.id, { container: result.Container });
  }
  return result;
};
