import { classifyDockerError } from '../docker/classify.js';
import type { CreateMessage, RunMessage } from '../messages/types.js';
import { containerName, type CommandHandler } from './context.js';
import { findEarlierContainer } from './earlier-container.js';
import { createPlaced } from './run-create.js';

/**
 * `docker create` on the engine the placement picks, with run's container options (labels, network, Options.Host,
 * Options.Constraints, capacity). A message that already made its container (an earlier attempt) answers with it.
 */
export const create: CommandHandler<CreateMessage> = async (message, ctx) => {
  // The policy first: a refused message must not even answer with an earlier container.
  ctx.policy.containerSettings({ ...message, Dockercmd: 'run' });
  const earlier = await findEarlierContainer(ctx);
  // A create message is a run message without Attach, Remove and Timeout: run's creation applies as it is.
  const { engine, container } = earlier
    ? { engine: earlier.engine, container: earlier.engine.docker.getContainer(earlier.id) }
    : await createPlaced({ ...message, Dockercmd: 'run' } satisfies RunMessage, ctx);
  if (earlier)
    ctx.log.info({ host: engine.id, container: earlier.id }, 'answering with the container an earlier attempt created');
  try {
    // n.b. the name the message gave, else the engine's (from its create event, no inspect when the inventory follows).
    const name =
      (!earlier && message.Options?.Name) || (await ctx.pool.nameOf(engine, container, ctx.requestTimeoutMs));
    return { Host: engine.id, Container: { Id: container.id, Name: containerName(name) } };
  } catch (err) {
    throw classifyDockerError(err, 'inspect', engine.id, { container: { Id: container.id } });
  }
};
