import { classifyDockerError } from '../docker/classify.js';
import type { RemoveMessage } from '../messages/types.js';
import { containerName, type CommandHandler } from './context.js';

/** `docker rm` on whichever engine holds the container; a running one needs Options.Force (else Conflict). */
export const remove: CommandHandler<RemoveMessage> = async (message, ctx) => {
  const { engine, container, info } = await ctx.pool.locate(message.Container, ctx.requestTimeoutMs);
  const result = { Host: engine.id, Container: { Id: info.Id, Name: containerName(info.Name) } };
  ctx.onContainer?.(result.Host, result.Container);
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
