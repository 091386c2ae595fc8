import { classifyDockerError } from '../docker/classify.js';
import type { StopMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget, statusOf } from './locate.js';

/** Default seconds between SIGTERM and SIGKILL, as `docker stop`. */
export const DEFAULT_STOP_SECONDS = 10;

/** `docker stop` on whichever engine holds the container. Stopping a container that is not running is not an error. */
export const stop: CommandHandler<StopMessage> = async (message, ctx) => {
  const { engine, container, result } = await locateTarget(message.Container, ctx);
  try {
    const t = message.Options?.Time ?? DEFAULT_STOP_SECONDS;
    // n.b. the engine answers only once the container has stopped: up to t seconds, then the kill.
    await container.stop({ t, abortSignal: AbortSignal.timeout(t * 1000 + ctx.requestTimeoutMs) });
  } catch (err) {
    // n.b. 304 is the engine saying the container was not running: the outcome the message asked for.
    if (statusOf(err) !== 304) throw classifyDockerError(err, 'stop', engine.id, { container: result.Container });
  }
  return result;
};
