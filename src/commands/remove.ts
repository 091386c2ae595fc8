import { classifyDockerError } from '../docker/classify.js';
import type { RemoveMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget } from './locate.js';

/** `docker rm` on whichever engine holds the container; a running one needs Options.Force (else Conflict). */
export const remove: CommandHandler<RemoveMessage> = async (message, ctx) => {
  const { engine, container, result } = await locateTarget(message.Container, ctx);
  try {
    await container.remove({
      v: message.Options?.Volumes ?? false,
      force: message.Options?.Force ?? false,
      abortSignal: AbortSignal.timeout(ctx.requestTimeoutMs),
    });
  } catch (err) {
    throw classifyDockerError(err, 'remove', engine.id, { container: result.Container });
  }
  return result;
};
