import { classifyDockerError } from '../docker/classify.js';
import { registerWait } from '../docker/container-io.js';
import type { WaitMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';
import { locateTarget } from './locate.js';

/**
 * `docker wait` on whichever engine holds the container: replies with its exit code once it is not running (at once
 * for one that has exited). No deadline, on purpose: the wait lasts as long as the container runs.
 */
export const wait: CommandHandler<WaitMessage> = async (message, ctx) => {
  const { engine, container, result } = await locateTarget(message.Container, ctx);
  try {
    // n.b. not dockerode's wait with a `timeout`: that is a socket idle timeout, which a long quiet wait would trip.
    const { exitCode } = await registerWait(container, 'not-running', ctx.lease.signal);
    return { ...result, ExitCode: await exitCode };
  } catch (err) {
    throw classifyDockerError(err, 'wait', engine.id, { container: result.Container });
  }
};
